#include "wizard/base/run_folder_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"

namespace wizard {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLockFile = ".wizard.lock";

// This process's command line, for the lock file (the refused process quotes it).
std::string own_command() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text.size() > 300 ? text.substr(0, 297) + "..." : text;
}

std::string now_text() {
  const std::time_t now = std::time(nullptr);
  char text[32] = "";
  std::tm local{};
  if (::localtime_r(&now, &local)) std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

// "process 1234 (`wizard run a.toml`, since 2024-05-01 12:00:00)" from the holder's lock file.
std::string describe_holder(const fs::path& lock_file) {
  std::ifstream in(lock_file);
  std::string pid, command, since;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("pid ", 0) == 0) pid = line.substr(4);
    if (line.rfind("command ", 0) == 0) command = line.substr(8);
    if (line.rfind("since ", 0) == 0) since = line.substr(6);
  }
  if (pid.empty()) return "another process (it has not written its process id yet)";
  std::string out = "process " + pid;
  if (!command.empty() || !since.empty()) {
    out += " (";
    if (!command.empty()) out += "`" + command + "`";
    if (!since.empty()) out += (command.empty() ? "since " : ", since ") + since;
    out += ")";
  }
  return out;
}

bool same_file(int fd, const fs::path& path) {
  struct stat open_file {
  }, named{};
  if (::fstat(fd, &open_file) != 0 || ::stat(path.c_str(), &named) != 0) return false;
  return open_file.st_dev == named.st_dev && open_file.st_ino == named.st_ino;
}

}  // namespace

struct RunFolderLock::Holder {
  fs::path folder;
  fs::path file;
  int fd = -1;
  bool created_folder = false;

  ~Holder() {
    if (fd < 0) return;
    if (created_folder) {
      // Nothing but the lock file: the run wrote nothing, so leave no folder behind.
      std::error_code error;
      bool only_lock = true;
      for (fs::directory_iterator it(folder, error), end; !error && it != end;
           it.increment(error)) {
        if (it->path().filename() != kLockFile) only_lock = false;
      }
      if (!error && only_lock) {
        ::unlink(file.c_str());
        ::rmdir(folder.c_str());
      }
    }
    ::close(fd);  // releases the lock
  }
};

namespace {

std::mutex registry_mutex;
// Locks this process holds, by canonical folder.
std::map<fs::path, std::weak_ptr<RunFolderLock::Holder>>& registry() {
  static std::map<fs::path, std::weak_ptr<RunFolderLock::Holder>> held;
  return held;
}

}  // namespace

RunFolderLock::RunFolderLock() = default;
RunFolderLock::~RunFolderLock() {
  if (!holder_) return;
  // A Holder's destructor may remove the folder: not while acquire() looks it up.
  std::lock_guard<std::mutex> lock(registry_mutex);
  holder_.reset();
}
RunFolderLock::RunFolderLock(RunFolderLock&&) noexcept = default;
RunFolderLock& RunFolderLock::operator=(RunFolderLock&& other) noexcept {
  std::lock_guard<std::mutex> lock(registry_mutex);  // the released Holder may remove its folder
  holder_ = std::move(other.holder_);
  return *this;
}

const char* RunFolderLock::file_name() {
  return kLockFile;
}

RunFolderLock RunFolderLock::acquire(const fs::path& folder) {
  std::error_code error;
  const bool existed = fs::exists(folder, error);
  if (existed && !fs::is_directory(folder, error)) {
    throw Error(folder.string() + " exists and is not a folder; choose another path");
  }
  fs::create_directories(folder, error);
  if (error) {
    throw Error("cannot create the folder " + folder.string() + ": " + error.message() +
                "; check that its parent exists and is writable, or choose another path");
  }
  const fs::path canonical = fs::canonical(folder, error);
  if (error) throw Error("cannot resolve the folder " + folder.string() + ": " + error.message());

  RunFolderLock out;  // declared before the guard: its destructor takes the mutex
  std::lock_guard<std::mutex> guard(registry_mutex);
  if (auto held = registry()[canonical].lock()) {
    out.holder_ = held;
    return out;
  }
  auto holder = std::make_shared<Holder>();
  holder->folder = canonical;
  holder->file = canonical / kLockFile;
  holder->created_folder = !existed;
  // Retry when the file was replaced between open and flock (a releasing process removed it).
  for (int attempt = 0; attempt < 5 && holder->fd < 0; ++attempt) {
    const int fd = ::open(holder->file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw Error("cannot create the lock file " + holder->file.string() + ": " +
                  std::strerror(errno) + "; the folder must be writable");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int reason = errno;
      ::close(fd);
      if (reason == EWOULDBLOCK) {
        throw Error(folder.string() + " is in use by " + describe_holder(holder->file) +
                    ": two runs writing one folder would replace each other's checkpoints and "
                    "model. Wait for that run to end (or stop it), or choose another folder");
      }
      logger()->warn(
          "cannot lock {} ({}): this file system has no locks, so nothing stops a second run "
          "from writing into the same folder",
          folder.string(), std::strerror(reason));
      return out;
    }
    if (!same_file(fd, holder->file)) {
      ::close(fd);
      continue;
    }
    holder->fd = fd;
  }
  if (holder->fd < 0)
    throw Error("cannot lock " + folder.string() + ": its lock file keeps changing");
  const std::string text = "pid " + std::to_string(::getpid()) + "\ncommand " + own_command() +
                           "\nsince " + now_text() + "\n";
  if (::ftruncate(holder->fd, 0) != 0 ||
      ::pwrite(holder->fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    logger()->debug("could not write {}: {}", holder->file.string(), std::strerror(errno));
  }
  registry()[canonical] = holder;
  out.holder_ = std::move(holder);
  return out;
}

}  // namespace wizard
