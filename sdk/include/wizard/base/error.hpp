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

}  // namespace wizard
