// Compiled into every test executable that uses LibTorch: each test starts from the same
// random state, so a failure reproduces. LibTorch's default generator starts differently in
// every process; WIZARD_TEST_SEED (default 0) chooses the state, to try other inputs.
#include <ATen/Context.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace {

class SeedEachTest : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override {
    const char* seed = std::getenv("WIZARD_TEST_SEED");
    at::manual_seed(seed != nullptr ? std::strtoull(seed, nullptr, 10) : 0);
  }
};

const bool seeded_tests = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new SeedEachTest);
  return true;
}();

}  // namespace
