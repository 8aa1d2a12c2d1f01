#include "wizard/distributed/batch_split.hpp"

#include <algorithm>
#include <numeric>

#include "wizard/base/error.hpp"

namespace wizard::distributed {

std::vector<std::vector<int64_t>> split_batch(const std::vector<int64_t>& batch,
                                              const std::vector<int64_t>& tokens,
                                              int64_t world_size) {
  if (world_size < 1) throw Error("split_batch: world_size must be positive");
  if (!tokens.empty() && tokens.size() != batch.size())
    throw Error("split_batch: one token count per example is needed");
  const auto n = static_cast<int64_t>(batch.size());
  const auto size_of = [&](std::size_t i) { return tokens.empty() ? 1 : tokens[i]; };
  std::vector<std::size_t> order(batch.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return size_of(a) > size_of(b); });
  std::vector<int64_t> room(static_cast<std::size_t>(world_size), n / world_size);
  for (int64_t r = 0; r < n % world_size; ++r) room[static_cast<std::size_t>(r)] += 1;
  std::vector<int64_t> load(static_cast<std::size_t>(world_size), 0);
  std::vector<int64_t> owner(batch.size(), 0);
  for (const std::size_t i : order) {
    std::size_t best = room.size();
    for (std::size_t r = 0; r < room.size(); ++r) {
      if (room[r] > 0 && (best == room.size() || load[r] < load[best])) best = r;
    }
    room[best] -= 1;
    load[best] += size_of(i);
    owner[i] = static_cast<int64_t>(best);
  }
  std::vector<std::vector<int64_t>> shares(static_cast<std::size_t>(world_size));
  for (std::size_t i = 0; i < batch.size(); ++i)
    shares[static_cast<std::size_t>(owner[i])].push_back(batch[i]);
  return shares;
}

}  // namespace wizard::distributed
