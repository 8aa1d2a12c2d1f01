#include "wizard/base/error.hpp"

#include <filesystem>

#include "wizard/base/text.hpp"

namespace wizard {

// Out-of-line destructors give each type one vtable and typeinfo in libwizard_sdk.so,
// so exceptions thrown in a plugin are caught by type in the host.
Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;
ConfigError::ConfigError(const std::string& message) : Error(message) {}
ConfigError::~ConfigError() = default;
UsageError::UsageError(const std::string& message) : Error(message) {}
UsageError::~UsageError() = default;
Interrupted::Interrupted(const std::string& message, int signal)
    : Error(message), signal_(signal) {}
Interrupted::~Interrupted() = default;

std::string error_text(const std::exception& error) {
  if (const auto* fs_error = dynamic_cast<const std::filesystem::filesystem_error*>(&error)) {
    // libstdc++: "filesystem error: <operation>: <reason> [<path1>] [<path2>]".
    std::string operation = fs_error->what();
    const std::string prefix = "filesystem error: ";
    if (operation.rfind(prefix, 0) == 0) operation.erase(0, prefix.size());
    const std::string reason = fs_error->code().message();
    const auto end = operation.find(": " + reason);
    if (end != std::string::npos) operation.erase(end);
    std::string out = operation;
    if (!fs_error->path1().empty()) out += " " + fs_error->path1().string();
    if (!fs_error->path2().empty()) out += " to " + fs_error->path2().string();
    return out + ": " + reason;
  }
  const std::string what = error.what();
  if (what.rfind("[json.exception.", 0) == 0) return json_error_reason(error);
  return what;
}

}  // namespace wizard
