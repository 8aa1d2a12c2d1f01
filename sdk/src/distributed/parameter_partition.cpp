#include "wizard/distributed/parameter_partition.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "wizard/base/error.hpp"

namespace wizard::distributed {

std::vector<int64_t> partition_parameters(const std::vector<int64_t>& numels, int64_t world_size) {
  if (world_size < 1) {
    throw Error("partition_parameters: world_size must be at least 1, got " +
                std::to_string(world_size));
  }
  std::vector<size_t> order(numels.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return numels[a] > numels[b]; });
  std::vector<int64_t> load(static_cast<size_t>(world_size), 0);
  std::vector<int64_t> owner(numels.size(), 0);
  for (size_t index : order) {
    const auto lightest = std::min_element(load.begin(), load.end()) - load.begin();
    owner[index] = lightest;
    load[static_cast<size_t>(lightest)] += numels[index];
  }
  return owner;
}

}  // namespace wizard::distributed
