// Sharded optimizer state in a checkpoint folder (optimizer_sharding, docs/distributed.md):
//
//   optimizer_rank<r>.safetensors   rank r's AdamW state: the tensors optimizer.safetensors
//                                   would hold for the parameters rank r owns, same names
//   optimizer_partition.json        {"world_size": N, "owners": {"<parameter>": r, ...}}
//
// in place of optimizer.safetensors. Any partition can be read back by any other (each
// parameter's state is looked up in the shard that holds it), so a run resumes on another
// number of ranks, with or without sharding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wizard::train::detail {

inline constexpr const char* kOptimizerPartitionFile = "optimizer_partition.json";

std::string optimizer_shard_file(int64_t rank);

// The partition file's content for parameters `names` owned by `owners` (same order).
nlohmann::json partition_json(const std::vector<std::string>& names,
                              const std::vector<int64_t>& owners, int64_t world_size);

// A checkpoint's optimizer state as saved: sharded (world_size and owners from the
// partition file) or one file (world_size 0, no owners).
struct SavedPartition {
  int64_t world_size = 0;                    // 0: optimizer.safetensors, not sharded
  std::map<std::string, int64_t> owners;     // parameter name -> rank (sharded)
  std::vector<std::filesystem::path> files;  // the state files, in rank order
};
// Throws wizard::Error naming the folder and what is missing or malformed.
SavedPartition read_saved_partition(const std::filesystem::path& folder);
// Why the optimizer state of `folder` cannot be read, nullopt when it can (headers only).
std::optional<std::string> optimizer_state_damage(const std::filesystem::path& folder);

}  // namespace wizard::train::detail
