#include "output_folder.hpp"

#include <algorithm>
#include <vector>

#include "wizard/base/error.hpp"
#include "wizard/base/run_folder_lock.hpp"
#include "wizard/base/text.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

void check_output_folder(const fs::path& dir, bool overwrite, const std::string& command) {
  std::error_code error;
  if (!fs::exists(dir, error)) return;
  if (!fs::is_directory(dir, error)) {
    throw UsageError(dir.string() + " exists and is not a folder; choose another path");
  }
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name != RunFolderLock::file_name()) names.push_back(name);
  }
  if (names.empty() || overwrite) return;
  std::sort(names.begin(), names.end());
  if (names.size() > 4) {
    names.resize(4);
    names.push_back("...");
  }
  throw UsageError(dir.string() + " is not empty (" + join(names) + "); " + command +
                   " would replace everything in it. Pass --overwrite to replace it, or choose "
                   "a new folder");
}

}  // namespace wizard::core
