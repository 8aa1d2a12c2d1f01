// File-system helpers for writing checkpoints so that a crash never leaves a
// half-written file or folder under its final name.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <string>

namespace wizard::safetensors::detail {

// A path next to `target` that nobody else uses: ".<name>.<tag>-<pid>-<random>".
std::filesystem::path unique_sibling(const std::filesystem::path& target, const std::string& tag);

// A file written under a temporary name in the target's folder and renamed over the
// target by commit(). Destroyed uncommitted, it removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);
  // Flushes to disk, closes and renames into place.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  bool committed_ = false;
};

void write_text_atomically(const std::filesystem::path& path, const std::string& text);

// JSON as Python's json.dumps(value, indent=2, sort_keys=True) + "\n" writes it, the
// form transformers uses for config.json and the shard index.
std::string python_style_json(const nlohmann::json& value);

// Whether `path` is a folder / a regular file (after symlinks); false, never an
// exception, when it cannot be examined (permissions, over-long names).
bool is_folder(const std::filesystem::path& path);
bool is_file(const std::filesystem::path& path);

// Makes a rename or file creation inside `folder` durable.
void sync_directory(const std::filesystem::path& folder);

}  // namespace wizard::safetensors::detail
