// The error types wizard reports to users. Every message says what failed,
// where (file, line, key path) and what to do; the host maps the type to the
// exit code (ConfigError/UsageError: 2, anything else: 1).
#pragma once

#include <stdexcept>
#include <string>

#include "wizard/base/export.hpp"

namespace wizard {

// A runtime failure: unreadable or malformed input, a numerical failure, I/O.
class WIZARD_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  ~Error() override;
};

// The configuration is wrong: unknown key, wrong type, bad value, unknown plugin.
class WIZARD_API ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message);
  ~ConfigError() override;
};

// The command line is wrong.
class WIZARD_API UsageError : public Error {
 public:
  explicit UsageError(const std::string& message);
  ~UsageError() override;
};

// The message of any exception as a user should read it: a filesystem error as "cannot
// create directories /data/out: Read-only file system", a nlohmann::json error without its
// "[json.exception...]" prefix, anything else as what() says.
WIZARD_API std::string error_text(const std::exception& error);

// A run stopped on request (SIGINT, SIGTERM) after saving what it could; the message says
// where the run stands and how to continue. The host exits with 128 + signal (130, 143).
class WIZARD_API Interrupted : public Error {
 public:
  Interrupted(const std::string& message, int signal);
  ~Interrupted() override;
  int signal() const { return signal_; }

 private:
  int signal_;
};

}  // namespace wizard
