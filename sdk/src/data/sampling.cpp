#include "wizard/data/sampling.hpp"

#include <algorithm>
#include <numeric>

#include "wizard/base/error.hpp"
#include "wizard/data/numpy_random.hpp"

namespace wizard {

std::vector<std::int64_t> sequential_order(std::int64_t n) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
  std::iota(order.begin(), order.end(), 0);
  return order;
}

std::vector<std::int64_t> random_order(std::int64_t n, std::uint64_t seed, std::int64_t epoch) {
  return numpy_permutation(n, {seed, static_cast<std::uint64_t>(epoch)});
}

std::vector<std::int64_t> length_grouped_order(const std::vector<std::int64_t>& lengths,
                                               std::int64_t batch_size, std::uint64_t seed,
                                               std::int64_t epoch, std::int64_t mega_batch_mult) {
  if (batch_size < 1) throw Error("length grouping needs a batch size of 1 or more");
  const auto n = static_cast<std::int64_t>(lengths.size());
  if (mega_batch_mult <= 0)
    mega_batch_mult = std::max<std::int64_t>(1, std::min<std::int64_t>(n / (batch_size * 4), 50));
  const std::int64_t megabatch_size = mega_batch_mult * batch_size;

  const std::vector<std::int64_t> indices = random_order(n, seed, epoch);
  std::vector<std::vector<std::int64_t>> megabatches;
  for (std::int64_t start = 0; start < n; start += megabatch_size) {
    std::vector<std::int64_t> megabatch(indices.begin() + start,
                                        indices.begin() + std::min(n, start + megabatch_size));
    std::stable_sort(megabatch.begin(), megabatch.end(),
                     [&](std::int64_t a, std::int64_t b) { return lengths[a] > lengths[b]; });
    megabatches.push_back(std::move(megabatch));
  }
  if (megabatches.empty()) return {};
  // The first megabatch holding the longest example gives it to the first batch.
  std::size_t longest = 0;
  for (std::size_t i = 1; i < megabatches.size(); ++i) {
    if (lengths[megabatches[i][0]] > lengths[megabatches[longest][0]]) longest = i;
  }
  std::swap(megabatches[0][0], megabatches[longest][0]);

  std::vector<std::int64_t> order;
  order.reserve(lengths.size());
  for (const auto& megabatch : megabatches)
    order.insert(order.end(), megabatch.begin(), megabatch.end());
  return order;
}

Batches make_batches(const std::vector<std::int64_t>& order, std::int64_t batch_size,
                     bool drop_last) {
  if (batch_size < 1) throw Error("the batch size must be 1 or more");
  Batches batches;
  const auto size = static_cast<std::size_t>(batch_size);
  for (std::size_t start = 0; start < order.size(); start += size) {
    const std::size_t end = std::min(order.size(), start + size);
    if (drop_last && end - start < size) break;
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return batches;
}

}  // namespace wizard
