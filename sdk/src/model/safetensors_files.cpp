#include "model/safetensors_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "wizard/base/error.hpp"

namespace wizard::safetensors::detail {

namespace fs = std::filesystem;

namespace {

std::string system_error_text() {
  return std::strerror(errno);
}

}  // namespace

fs::path unique_sibling(const fs::path& target, const std::string& tag) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  return parent / ("." + target.filename().string() + "." + tag + "-" + std::to_string(::getpid()) +
                   "-" + std::to_string(generator() % 1000000000));
}

AtomicFile::AtomicFile(fs::path target)
    : target_(std::move(target)), temporary_(unique_sibling(target_, "tmp")) {
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error("cannot create '" + temporary_.string() + "' to write '" + target_.string() +
                "': " + system_error_text() + ". Check that the folder exists and is writable");
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
}

void AtomicFile::write(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd_, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      throw Error("cannot write '" + target_.string() + "' (temporary file '" +
                  temporary_.string() + "'): " + system_error_text() +
                  ". Check free disk space; the previous file, if any, is unchanged");
    }
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    fd_ = -1;
    throw Error("cannot flush '" + temporary_.string() + "' to disk: " + system_error_text());
  }
  fd_ = -1;
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) {
    throw Error("cannot rename '" + temporary_.string() + "' to '" + target_.string() +
                "': " + system_error_text());
  }
  committed_ = true;
  sync_directory(target_.has_parent_path() ? target_.parent_path() : fs::path("."));
}

void write_text_atomically(const fs::path& path, const std::string& text) {
  AtomicFile file(path);
  file.write(text.data(), text.size());
  file.commit();
}

std::string python_style_json(const nlohmann::json& value) {
  // nlohmann::json objects are sorted by key; ensure_ascii matches Python's default.
  return value.dump(2, ' ', /*ensure_ascii=*/true) + "\n";
}

bool is_folder(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

bool is_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

void sync_directory(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // durability is best effort where directories cannot be opened
  ::fsync(fd);
  ::close(fd);
}

}  // namespace wizard::safetensors::detail
