// Finding and reading data files, as training-wizard's SimpleDataSourceSpec
// does: `data_files` is a path, a list of paths, or glob patterns.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"
#include "wizard/data/dataset.hpp"

namespace wizard {

// Resolves `data_files` (a string or a list of strings; each a path or a glob)
// from `config`. Relative paths are tried against the working folder first and
// then against the config file's folder. Every entry must match at least one
// file: an entry that matches none is a ConfigError saying where it looked.
// Results keep the given order; each glob's matches are sorted.
WIZARD_API std::vector<std::filesystem::path> resolve_data_files(
    const Config& config, const std::string& key = "data_files");

// Reads a JSON Lines file: one JSON object per non-blank line. A malformed line
// is a wizard::Error naming the file, line and column.
WIZARD_API Dataset read_jsonl(const std::filesystem::path& path);

}  // namespace wizard
