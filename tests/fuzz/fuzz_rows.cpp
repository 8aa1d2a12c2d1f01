// Data files as the datasources read them: JSON Lines, JSON or CSV/TSV (the first byte: l, j,
// c, t; J reads a JSON document's "rows" field), then each row through the preference columns'
// checks, TRL's prompt extraction and wizard's test for answers written empty.
#include <sys/mman.h>
#include <unistd.h>

#include "data/preference_row.hpp"
#include "fuzz_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/data/files.hpp"
#include "wizard/data/trl_preference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The readers take paths: an in-memory file keeps the disk out of it.
  static const int fd = ::memfd_create("fuzz-rows", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (fd < 0 || ::ftruncate(fd, 0) != 0) return 0;
  if (size > 1 && ::pwrite(fd, data + 1, size - 1, 0) != static_cast<ssize_t>(size - 1)) return 0;
  try {
    wizard::Dataset rows;
    switch (data[0]) {
      case 'l':
        rows = wizard::read_jsonl(path);
        break;
      case 'j':
        rows = wizard::read_json(path);
        break;
      case 'J':
        rows = wizard::read_json(path, "rows");
        break;
      case 't':
        rows = wizard::read_csv(path, '\t');
        break;
      default:
        rows = wizard::read_csv(path);
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      (void)rows.where(i);
      try {
        const auto parts =
            wizard::data_detail::split_preference_row(rows.row(i), wizard::PreferenceColumns{});
        for (const auto& negative : parts.extra_negatives) {
          (void)wizard::data_detail::is_empty_answer(negative.first);
        }
        const wizard::Row row = wizard::maybe_extract_prompt(parts.row);
        (void)wizard::data_detail::is_empty_answer(row.at("chosen"));
      } catch (const wizard::Error&) {
      }
    }
  } catch (const wizard::Error&) {
  }
  return 0;
}
