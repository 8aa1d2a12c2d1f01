// Exclusive use of a folder a run writes (output_dir, init-model's target): `flock` on
// <folder>/.wizard.lock for as long as the lock is held, released by the operating system
// when the process ends, however it ends. A second process is refused with a message naming
// the holder's process id; within one process the lock is shared, so the host and the
// trainer may both hold the same folder.
#pragma once

#include <filesystem>
#include <memory>

#include "wizard/base/export.hpp"

namespace wizard {

class WIZARD_API RunFolderLock {
 public:
  RunFolderLock();  // holds nothing
  ~RunFolderLock();
  RunFolderLock(RunFolderLock&&) noexcept;
  RunFolderLock& operator=(RunFolderLock&&) noexcept;
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

  // Creates `folder` when it is missing and locks it. Throws wizard::Error naming the
  // holder's process id and command when another process holds it, and saying why when the
  // folder cannot be created. A folder this lock created is removed again at release when
  // nothing but the lock file was written into it. On file systems without locks it logs a
  // warning and holds nothing.
  static RunFolderLock acquire(const std::filesystem::path& folder);

  bool held() const { return holder_ != nullptr; }

  // ".wizard.lock": in the folder, but not part of what a run wrote.
  static const char* file_name();

  struct Holder;  // the open, locked file (defined in the SDK)

 private:
  std::shared_ptr<Holder> holder_;
};

}  // namespace wizard
