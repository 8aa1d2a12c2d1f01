#include "wizard/base/error.hpp"

namespace wizard {

// Out-of-line destructors give each type one vtable and typeinfo in libwizard_sdk.so,
// so exceptions thrown in a plugin are caught by type in the host.
Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;
ConfigError::ConfigError(const std::string& message) : Error(message) {}
ConfigError::~ConfigError() = default;
UsageError::UsageError(const std::string& message) : Error(message) {}
UsageError::~UsageError() = default;

}  // namespace wizard
