#include "train/optimizer_shards.hpp"

#include <fstream>

#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/checkpoint.hpp"

namespace wizard::train::detail {

namespace fs = std::filesystem;

std::string optimizer_shard_file(int64_t rank) {
  return "optimizer_rank" + std::to_string(rank) + ".safetensors";
}

nlohmann::json partition_json(const std::vector<std::string>& names,
                              const std::vector<int64_t>& owners, int64_t world_size) {
  nlohmann::json owner_of = nlohmann::json::object();
  for (std::size_t i = 0; i < names.size(); ++i) owner_of[names[i]] = owners.at(i);
  return {{"world_size", world_size}, {"owners", owner_of}};
}

SavedPartition read_saved_partition(const fs::path& folder) {
  SavedPartition saved;
  const fs::path partition_file = folder / kOptimizerPartitionFile;
  std::error_code error;
  if (!fs::is_regular_file(partition_file, error)) {
    saved.files.push_back(folder / kOptimizerFile);
    return saved;
  }
  std::ifstream in(partition_file);
  nlohmann::json partition;
  try {
    partition = nlohmann::json::parse(in);
    saved.world_size = partition.at("world_size").get<int64_t>();
    saved.owners = partition.at("owners").get<std::map<std::string, int64_t>>();
  } catch (const nlohmann::json::exception& failure) {
    throw Error(partition_file.string() + " is not a valid optimizer partition (" +
                json_error_reason(failure) + "); the checkpoint is damaged");
  }
  if (saved.world_size < 1) {
    throw Error(partition_file.string() + ": world_size " + std::to_string(saved.world_size) +
                " is not a number of ranks; the checkpoint is damaged");
  }
  for (const auto& [name, owner] : saved.owners) {
    if (owner < 0 || owner >= saved.world_size) {
      throw Error(partition_file.string() + ": parameter '" + name + "' is owned by rank " +
                  std::to_string(owner) + " of " + std::to_string(saved.world_size) +
                  "; the checkpoint is damaged");
    }
  }
  for (int64_t rank = 0; rank < saved.world_size; ++rank) {
    saved.files.push_back(folder / optimizer_shard_file(rank));
  }
  return saved;
}

std::optional<std::string> optimizer_state_damage(const fs::path& folder) {
  try {
    const SavedPartition saved = read_saved_partition(folder);
    for (std::size_t rank = 0; rank < saved.files.size(); ++rank) {
      std::error_code error;
      if (!fs::is_regular_file(saved.files[rank], error)) {
        return saved.world_size == 0
                   ? "it lacks " + std::string(kOptimizerFile) +
                         " (the optimizer's moments, step counts and float32 masters)"
                   : "it lacks " + saved.files[rank].filename().string() + " (rank " +
                         std::to_string(rank) + "'s share of the sharded optimizer state)";
      }
      safetensors::File::open(saved.files[rank]);
    }
  } catch (const Error& failure) {
    return failure.what();
  }
  return std::nullopt;
}

}  // namespace wizard::train::detail
