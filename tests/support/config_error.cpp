// Separate from test_support.cpp: only tests that link the SDK's base use it.
#include "test_support.hpp"
#include "wizard/base/error.hpp"

namespace wizard::test {

std::string config_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const wizard::ConfigError& error) {
    return error.what();
  }
  return "";
}

}  // namespace wizard::test
