#include "token_budget_batches.hpp"

#include <algorithm>
#include <numeric>

#include "wizard/base/error.hpp"
#include "wizard/data/numpy_random.hpp"
#include "wizard/data/sampling.hpp"

namespace wizard::packing {

namespace {

std::int64_t tokens_of(const std::vector<std::int64_t>& batch,
                       const std::vector<std::int64_t>& lengths) {
  std::int64_t total = 0;
  for (const std::int64_t index : batch) total += lengths[static_cast<std::size_t>(index)];
  return total;
}

// One bucket, longest first, cut into consecutive batches within the budget.
void cut_bucket(std::vector<std::int64_t> bucket, const std::vector<std::int64_t>& lengths,
                std::int64_t budget, Batches& out) {
  std::stable_sort(bucket.begin(), bucket.end(), [&](std::int64_t a, std::int64_t b) {
    return lengths[static_cast<std::size_t>(a)] > lengths[static_cast<std::size_t>(b)];
  });
  std::vector<std::int64_t> batch;
  std::int64_t used = 0;
  for (const std::int64_t index : bucket) {
    const std::int64_t length = lengths[static_cast<std::size_t>(index)];
    if (!batch.empty() && used + length > budget) {
      out.push_back(std::move(batch));
      batch.clear();
      used = 0;
    }
    batch.push_back(index);
    used += length;
  }
  if (!batch.empty()) out.push_back(std::move(batch));
}

}  // namespace

Batches token_budget_batches(const std::vector<std::int64_t>& lengths, std::int64_t budget,
                             std::int64_t bucket_size, std::uint64_t seed, std::int64_t epoch) {
  if (budget < 1) throw Error("the token budget of a batch must be 1 or more");
  if (bucket_size < 1) throw Error("the bucket size must be 1 or more");
  const auto n = static_cast<std::int64_t>(lengths.size());
  const std::vector<std::int64_t> order = random_order(n, seed, epoch);
  Batches batches;
  for (std::int64_t start = 0; start < n; start += bucket_size) {
    const std::int64_t end = std::min(n, start + bucket_size);
    cut_bucket({order.begin() + start, order.begin() + end}, lengths, budget, batches);
  }
  // Another stream of the same (seed, epoch) orders the batches.
  const std::vector<std::int64_t> shuffle = numpy_permutation(
      static_cast<std::int64_t>(batches.size()), {seed, static_cast<std::uint64_t>(epoch), 1});
  Batches shuffled;
  shuffled.reserve(batches.size());
  for (const std::int64_t i : shuffle)
    shuffled.push_back(std::move(batches[static_cast<std::size_t>(i)]));
  if (shuffled.empty()) return shuffled;
  std::size_t largest = 0;
  for (std::size_t i = 1; i < shuffled.size(); ++i) {
    if (tokens_of(shuffled[i], lengths) > tokens_of(shuffled[largest], lengths)) largest = i;
  }
  std::swap(shuffled[0], shuffled[largest]);
  return shuffled;
}

}  // namespace wizard::packing
