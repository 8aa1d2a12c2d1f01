// Template definitions of train_test_support.hpp.
#pragma once

#include <gtest/gtest.h>

namespace wizard::test {

template <class E>
void expect_throw_with(const std::function<void()>& action,
                       std::initializer_list<std::string> fragments) {
  try {
    action();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& error) {
    const std::string message = error.what();
    for (const auto& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "missing '" << fragment << "' in: " << message;
    }
  }
}

}  // namespace wizard::test
