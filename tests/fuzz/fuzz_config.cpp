// Config files as `wizard run` reads them: TOML, JSON or YAML (the first byte: t, j, y), then
// --set overrides (the lines after "\n%%\n"), then the Config view as plugins read it. The
// resolved TOML wizard writes into every run folder must read back.
#include <cstdio>
#include <cstdlib>

#include "config_files.hpp"
#include "fuzz_support.hpp"
#include "wizard/base/config.hpp"
#include "wizard/base/error.hpp"

namespace {

using wizard::Config;

// Reads every key of `table` as each type a plugin might ask for, and descends.
void read_everything(const Config& table, int depth) {
  if (depth > 8) return;
  for (const std::string& key : table.keys()) {
    auto quietly = [](auto read) {
      try {
        read();
      } catch (const wizard::ConfigError&) {
      }
    };
    quietly([&] { (void)table.get<double>(key, 0.0); });
    quietly([&] { (void)table.get<std::int64_t>(key, 0); });
    quietly([&] { (void)table.get<int>(key, 0); });
    quietly([&] { (void)table.get<bool>(key, false); });
    quietly([&] { (void)table.get<std::string>(key, ""); });
    quietly([&] { (void)table.get<std::vector<std::string>>(key, {}); });
    quietly([&] { (void)table.get<std::vector<double>>(key, {}); });
    quietly([&] { (void)table.get_number(key, 1.0, 0.0, 10.0); });
    quietly([&] { read_everything(table.table(key), depth + 1); });
    quietly([&] {
      for (const Config& item : table.tables(key)) read_everything(item, depth + 1);
    });
  }
  try {
    table.check_keys({{"spec_class", "string", "", ""}, {"a.b", "int", "", ""}});
  } catch (const wizard::ConfigError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = wizard::fuzz::split_input(data, size);
  std::string written;
  try {
    wizard::ConfigValue tree =
        input.selector == 'j'   ? wizard::core::read_json(input.document, "fuzz.json")
        : input.selector == 'y' ? wizard::core::read_yaml(input.document, "fuzz.yaml")
                                : wizard::core::read_toml(input.document, "fuzz.toml");
    wizard::core::apply_overrides(tree, input.extra_lines);
    const Config config(std::move(tree));
    read_everything(config, 0);
    written = wizard::core::write_toml(config.resolved());
  } catch (const wizard::Error&) {
    return 0;
  }
  try {
    (void)wizard::core::read_toml(written, "resolved_config.toml");
  } catch (const wizard::Error& error) {
    std::fprintf(stderr, "the resolved config does not read back: %s\n--- written:\n%s\n",
                 error.what(), written.c_str());
    std::abort();
  }
  return 0;
}
