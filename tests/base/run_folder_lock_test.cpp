// RunFolderLock: one process per run folder, the holder named, released with the process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/run_folder_lock.hpp"

namespace fs = std::filesystem;
using wizard::RunFolderLock;

namespace {

// A child process that holds `dir` until killed; returns its id once it holds it.
pid_t hold_in_child(const fs::path& dir) {
  int ready[2];
  if (::pipe(ready) != 0) return -1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(ready[0]);
    try {
      const RunFolderLock lock = RunFolderLock::acquire(dir);
      if (::write(ready[1], "x", 1) != 1) _exit(1);
      ::pause();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "child: %s\n", error.what());
      _exit(2);
    }
    _exit(0);
  }
  ::close(ready[1]);  // a child that fails closes the pipe: read() then returns 0
  char byte = 0;
  const bool holds = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  return holds ? child : -1;
}

std::string message_of_acquire(const fs::path& dir) {
  try {
    RunFolderLock::acquire(dir);
  } catch (const wizard::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST(RunFolderLock, ASecondProcessIsRefusedWithTheHoldersProcessId) {
  const fs::path dir = wizard::test::temp_dir("lock") / "run";
  const pid_t holder = hold_in_child(dir);
  ASSERT_GT(holder, 0);
  const std::string message = message_of_acquire(dir);
  EXPECT_NE(message.find(dir.string() + " is in use by process " + std::to_string(holder)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("since "), std::string::npos) << message;
  EXPECT_NE(message.find("choose another folder"), std::string::npos) << message;
  // SIGKILL gives no chance to clean up: the operating system releases the lock anyway.
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  EXPECT_TRUE(RunFolderLock::acquire(dir).held());
}

TEST(RunFolderLock, IsSharedWithinAProcess) {
  const fs::path dir = wizard::test::temp_dir("lock-shared");
  const RunFolderLock host = RunFolderLock::acquire(dir);
  const RunFolderLock trainer = RunFolderLock::acquire(dir / "." / "");  // the same folder
  EXPECT_TRUE(host.held());
  EXPECT_TRUE(trainer.held());
  const std::string text = wizard::test::read_text(dir / RunFolderLock::file_name());
  EXPECT_NE(text.find("pid " + std::to_string(::getpid())), std::string::npos) << text;
}

TEST(RunFolderLock, AFolderItCreatedGoesAgainWhenNothingWasWritten) {
  const fs::path parent = wizard::test::temp_dir("lock-created");
  { const RunFolderLock lock = RunFolderLock::acquire(parent / "empty"); }
  EXPECT_FALSE(fs::exists(parent / "empty"));
  {
    const RunFolderLock lock = RunFolderLock::acquire(parent / "used");
    std::ofstream(parent / "used" / "metrics.jsonl") << "{}\n";
  }
  EXPECT_TRUE(fs::exists(parent / "used" / "metrics.jsonl"));
  { const RunFolderLock lock = RunFolderLock::acquire(parent); }  // existed before: kept
  EXPECT_TRUE(fs::exists(parent));
}

TEST(RunFolderLock, SaysWhyAFolderCannotBeMade) {
  const fs::path file = wizard::test::temp_dir("lock-file") / "plain";
  std::ofstream(file) << "x";
  const std::string message = message_of_acquire(file);
  EXPECT_NE(message.find(file.string() + " exists and is not a folder"), std::string::npos)
      << message;
  const std::string under_file = message_of_acquire(file / "out");
  EXPECT_NE(under_file.find("cannot create the folder " + (file / "out").string()),
            std::string::npos)
      << under_file;
  EXPECT_EQ(under_file.find("filesystem error"), std::string::npos) << under_file;
}
