#include "digest.hpp"

#include <algorithm>
#include <vector>

namespace wizard::cpo {

namespace fs = std::filesystem;

void Digest::feed_model_files(const fs::path& model_dir) {
  feed(fs::weakly_canonical(model_dir).string());
  std::vector<fs::directory_entry> files;
  for (const auto& entry : fs::directory_iterator(model_dir)) {
    const std::string name = entry.path().filename().string();
    if (name == "config.json" || entry.path().extension() == ".safetensors") files.push_back(entry);
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.path() < b.path(); });
  for (const auto& entry : files) {
    feed(entry.path().filename().string());
    feed_value(entry.file_size());
    feed_value(entry.last_write_time().time_since_epoch().count());
  }
}

}  // namespace wizard::cpo
