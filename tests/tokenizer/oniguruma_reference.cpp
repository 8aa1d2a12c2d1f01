#include "oniguruma_reference.hpp"

#include <oniguruma.h>

#include <mutex>

#include "base/utf8.hpp"
#include "wizard/base/error.hpp"

namespace wizard::test {

struct OnigurumaRegex::Compiled {
  regex_t* regex = nullptr;
  ~Compiled() { onig_free(regex); }
};

namespace {

std::string onig_message(int code, OnigErrorInfo* info) {
  OnigUChar text[ONIG_MAX_ERROR_MESSAGE_LEN];
  const int length =
      info ? onig_error_code_to_str(text, code, info) : onig_error_code_to_str(text, code);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length));
}

// One match region per thread, reused by every search of that thread (a compiled regex is
// read-only during a search, so threads may share it).
OnigRegion* thread_region() {
  struct Region {
    OnigRegion* region = onig_region_new();
    ~Region() { onig_region_free(region, 1); }
  };
  thread_local Region holder;
  return holder.region;
}

}  // namespace

OnigurumaRegex::OnigurumaRegex(std::string_view pattern) : pattern_(pattern) {
  auto compiled = std::make_shared<Compiled>();
  const auto* begin = reinterpret_cast<const OnigUChar*>(pattern_.data());
  OnigErrorInfo info{};
  int status;
  {
    // Initialisation and the compiler share global state (the onig crate locks too).
    static std::mutex mutex;
    const std::lock_guard<std::mutex> lock(mutex);
    static const int initialized = [] {
      OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
      return onig_initialize(encodings, 1);
    }();
    if (initialized != ONIG_NORMAL)
      throw Error("Oniguruma failed to initialise: " + onig_message(initialized, nullptr));
    status = onig_new(&compiled->regex, begin, begin + pattern_.size(), ONIG_OPTION_NONE,
                      ONIG_ENCODING_UTF8, ONIG_SYNTAX_DEFAULT, &info);
  }
  if (status != ONIG_NORMAL)
    throw Error("regex \"" + pattern_ + "\" does not compile: " + onig_message(status, &info));
  compiled_ = std::move(compiled);
}

bool OnigurumaRegex::find(std::string_view text, std::size_t from, std::size_t& begin,
                          std::size_t& end) const {
  static const char empty = 0;
  const auto* start = reinterpret_cast<const OnigUChar*>(text.empty() ? &empty : text.data());
  const auto* stop = start + text.size();
  OnigRegion* region = thread_region();
  const int found =
      onig_search(compiled_->regex, start, stop, start + from, stop, region, ONIG_OPTION_NONE);
  if (found == ONIG_MISMATCH) return false;
  if (found < 0) throw Error("regex \"" + pattern_ + "\" failed: " + onig_message(found, nullptr));
  begin = static_cast<std::size_t>(region->beg[0]);
  end = static_cast<std::size_t>(region->end[0]);
  return true;
}

std::size_t OnigurumaRegex::next_character_length(std::string_view text, std::size_t at) {
  return at < text.size() ? utf8::decode(text, at).length : 1;
}

std::vector<std::string> OnigurumaRegex::matches(std::string_view text) const {
  std::vector<std::string> out;
  for_each_match(text, [&](std::size_t begin, std::size_t end) {
    out.emplace_back(text.substr(begin, end - begin));
  });
  return out;
}

}  // namespace wizard::test
