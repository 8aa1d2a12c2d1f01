// The CPU buffer cache: a freed large buffer serves a later request of its size or up to a
// half smaller (packed batches change length every step), but not one much smaller, and
// turning the cache off hands allocation back to LibTorch.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "wizard/model/causal_lm.hpp"

namespace wizard::test {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

void* fresh_buffer_address(int64_t bytes) {
  return at::empty({bytes}, at::kByte).data_ptr();  // freed when the tensor goes
}

class CpuBufferCache : public ::testing::Test {
 protected:
  void SetUp() override { model::enable_cpu_buffer_cache(std::size_t{1} << 30); }
  void TearDown() override { model::enable_cpu_buffer_cache(); }
};

TEST_F(CpuBufferCache, AFreedBufferServesTheSameSizeAndSlightlySmaller) {
  ASSERT_TRUE(model::cpu_buffer_cache_enabled());
  void* first = fresh_buffer_address(8 * kMiB);
  EXPECT_EQ(fresh_buffer_address(8 * kMiB), first);
  EXPECT_EQ(fresh_buffer_address(7 * kMiB), first);
  EXPECT_EQ(fresh_buffer_address(5 * kMiB), first);
}

TEST_F(CpuBufferCache, AMuchSmallerRequestGetsItsOwnBuffer) {
  void* large = fresh_buffer_address(16 * kMiB);
  at::Tensor held = at::empty({16 * kMiB}, at::kByte);  // keeps the freed buffer's twin busy
  EXPECT_EQ(held.data_ptr(), large);
  void* freed = fresh_buffer_address(16 * kMiB);  // maps another one and frees it
  EXPECT_NE(fresh_buffer_address(6 * kMiB), freed);
}

TEST_F(CpuBufferCache, ReusedBuffersKeepTheirContentsOnlyUntilWritten) {
  at::Tensor a = at::full({2 * kMiB}, 7, at::kByte);
  void* address = a.data_ptr();
  a.reset();
  at::Tensor b = at::zeros({2 * kMiB}, at::kByte);
  EXPECT_EQ(b.data_ptr(), address);
  EXPECT_EQ(b.sum().item<int64_t>(), 0);  // at::zeros still zeroes a reused buffer
}

TEST_F(CpuBufferCache, TurnedOffLibTorchAllocatesAgain) {
  model::disable_cpu_buffer_cache();
  EXPECT_FALSE(model::cpu_buffer_cache_enabled());
  at::Tensor t = at::ones({4 * kMiB}, at::kByte);
  EXPECT_EQ(t.sum().item<int64_t>(), 4 * kMiB);
  model::enable_cpu_buffer_cache(std::size_t{1} << 30);
  EXPECT_TRUE(model::cpu_buffer_cache_enabled());
}

}  // namespace
}  // namespace wizard::test
