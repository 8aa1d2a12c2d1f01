#include "rank_share.hpp"

#include <vector>

#include "wizard/base/error.hpp"

namespace wizard::mining {

namespace {

RowShare share_of(std::int64_t rows, std::int64_t rank, std::int64_t ranks) {
  const std::int64_t first = rows * rank / ranks;
  return {first, rows * (rank + 1) / ranks - first};
}

bool shared(const MiningInput& input) {
  if (input.world_size <= 1) return false;
  if (!input.all_gather) {
    throw Error("mining: " + std::to_string(input.world_size) + " ranks but no all_gather");
  }
  return true;
}

}  // namespace

RowShare row_share(std::int64_t rows, const MiningInput& input) {
  if (input.world_size <= 1) return {0, rows};
  return share_of(rows, input.rank, input.world_size);
}

at::Tensor gather_rows(const at::Tensor& mine, std::int64_t rows, const MiningInput& input) {
  if (!shared(input)) return mine;
  // Collectives take equal shapes: each share padded to the largest.
  const std::int64_t most = (rows + input.world_size - 1) / input.world_size;
  std::vector<std::int64_t> padded_shape = mine.sizes().vec();
  padded_shape[0] = most;
  at::Tensor padded = at::zeros(padded_shape, mine.options().device(at::kCPU));
  padded.narrow(0, 0, mine.size(0)).copy_(mine);
  const std::vector<at::Tensor> all = input.all_gather(padded);
  std::vector<at::Tensor> parts;
  for (std::int64_t r = 0; r < input.world_size; ++r) {
    parts.push_back(
        all[static_cast<std::size_t>(r)].narrow(0, 0, share_of(rows, r, input.world_size).count));
  }
  return at::cat(parts).to(mine.device());
}

at::Tensor from_rank_zero(const at::Tensor& tensor, const MiningInput& input) {
  if (!shared(input)) return tensor;
  return input.all_gather(tensor.cpu()).front().to(tensor.device());
}

}  // namespace wizard::mining
