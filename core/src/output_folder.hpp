// The folder a command writes a model into (init-model, merge).
#pragma once

#include <filesystem>
#include <string>

namespace wizard::core {

// A folder holding anything (but a lock file) is someone's work: a UsageError naming what it
// holds unless `overwrite`; a path that is not a folder is refused always.
void check_output_folder(const std::filesystem::path& dir, bool overwrite,
                         const std::string& command);

}  // namespace wizard::core
