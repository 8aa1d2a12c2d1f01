// Checkpoint folders: naming, discovery, atomic writing, rotation, and cleaning up after
// crashed saves.
#include "wizard/train/checkpoint.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

#include "model/safetensors_files.hpp"
#include "train/optimizer_shards.hpp"
#include "train/run_state.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::train {

namespace fs = std::filesystem;
using safetensors::detail::sync_directory;
using safetensors::detail::unique_sibling;

namespace {

bool is_folder(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(fs::symlink_status(path, error));
}

// Puts `staging` at `target`: exchanged atomically when `target` exists (then the old one is
// removed), a plain rename otherwise.
void move_into_place(const fs::path& staging, const fs::path& target) {
  if (!fs::exists(fs::symlink_status(target))) {
    fs::rename(staging, target);
    return;
  }
  if (!is_folder(target)) {
    throw Error("cannot write '" + target.string() + "': a file with that name exists; remove it");
  }
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    remove_folder(staging);  // now the old folder
    return;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
    throw Error("cannot replace '" + target.string() + "': " + std::strerror(errno));
  }
  remove_folder(target);
  fs::rename(staging, target);
}

// Names of weight files that a model folder may hold (transformers' save_pretrained).
bool is_weight_file(const std::string& name) {
  static const std::regex pattern(
      R"((model|pytorch_model)(-\d+-of-\d+)?\.(safetensors|bin)(\.index\.json)?)");
  return std::regex_match(name, pattern);
}

}  // namespace

std::string checkpoint_name(int64_t step) {
  return "checkpoint-" + std::to_string(step);
}

std::optional<int64_t> checkpoint_step(const fs::path& folder) {
  static const std::regex pattern(R"(checkpoint-(\d+))");
  std::smatch match;
  const std::string name = folder.filename().string();
  if (!std::regex_match(name, match, pattern)) return std::nullopt;
  return std::stoll(match[1].str());
}

std::vector<fs::path> list_checkpoints(const fs::path& output_dir) {
  std::vector<std::pair<int64_t, fs::path>> found;
  std::error_code error;
  for (fs::directory_iterator it(output_dir, error), end; !error && it != end;
       it.increment(error)) {
    const auto step = checkpoint_step(it->path());
    if (step && is_folder(it->path())) found.emplace_back(*step, it->path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> folders;
  for (auto& entry : found) folders.push_back(std::move(entry.second));
  return folders;
}

std::optional<fs::path> latest_checkpoint(const fs::path& output_dir) {
  auto folders = list_checkpoints(output_dir);
  if (folders.empty()) return std::nullopt;
  return folders.back();
}

bool is_resumable_checkpoint(const fs::path& folder) {
  std::error_code error;
  for (const char* name : {kSchedulerFile, kRngStateFile, kWizardStateFile}) {
    if (!fs::is_regular_file(folder / name, error)) return false;
  }
  return fs::is_regular_file(folder / kOptimizerFile, error) ||
         fs::is_regular_file(folder / detail::kOptimizerPartitionFile, error);
}

namespace {

std::optional<std::string> json_file_damage(const fs::path& file, nlohmann::json& out) {
  std::ifstream in(file);
  if (!in) return file.filename().string() + " cannot be read";
  try {
    out = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    return file.filename().string() + " is not valid JSON (" + json_error_reason(error) + ")";
  }
  return std::nullopt;
}

}  // namespace

std::string rank_rng_state_file(int64_t rank) {
  return "rng_state_" + std::to_string(rank) + ".safetensors";
}

std::optional<std::string> checkpoint_damage(const fs::path& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) return "it is not a folder";
  // The optimizer state is optimizer.safetensors, or the shards a partition file names.
  const char* optimizer_file = fs::is_regular_file(folder / detail::kOptimizerPartitionFile, error)
                                   ? detail::kOptimizerPartitionFile
                                   : kOptimizerFile;
  const std::pair<const char*, const char*> state_files[] = {
      {optimizer_file, "the optimizer's moments, step counts and float32 masters"},
      {kSchedulerFile, "the learning-rate schedule's position"},
      {kRngStateFile, "the random generators' states"},
      {kWizardStateFile, "the data position and the sums since the last log"}};
  std::vector<std::string> missing;
  for (const auto& [name, holds] : state_files) {
    if (!fs::is_regular_file(folder / name, error))
      missing.push_back(std::string(name) + " (" + holds + ")");
  }
  if (missing.size() == std::size(state_files)) {
    return "it holds the model but not the optimizer, scheduler, RNG and data position (it was "
           "saved with save_only_model = true, or is not a wizard checkpoint)";
  }
  if (!missing.empty()) return "it lacks " + join(missing, ", ");
  nlohmann::json trainer_state, scheduler, wizard_state;
  for (const auto& [name, json] :
       {std::pair<const char*, nlohmann::json*>{kTrainerStateFile, &trainer_state},
        {kSchedulerFile, &scheduler},
        {kWizardStateFile, &wizard_state}}) {
    if (!fs::is_regular_file(folder / name, error)) return std::string("it lacks ") + name;
    if (auto problem = json_file_damage(folder / name, *json)) return problem;
  }
  // A data-parallel checkpoint counts once its marker, written last, is there.
  const int64_t world_size = wizard_state.is_object() && wizard_state.contains("world_size") &&
                                     wizard_state["world_size"].is_number_integer()
                                 ? wizard_state["world_size"].get<int64_t>()
                                 : 1;
  if (world_size > 1) {
    if (!fs::is_regular_file(folder / kCompleteMarkerFile, error)) {
      return "it was written by " + std::to_string(world_size) + " ranks but lacks " +
             kCompleteMarkerFile + ", which is written last: the save did not finish";
    }
    for (int64_t rank = 1; rank < world_size; ++rank) {
      if (!fs::is_regular_file(folder / rank_rng_state_file(rank), error))
        return "it lacks " + rank_rng_state_file(rank) + " (rank " + std::to_string(rank) +
               "'s random generator states)";
    }
  }
  try {
    detail::RunState probe;
    probe.restore(trainer_state, wizard_state);
  } catch (const nlohmann::json::exception& error) {
    return std::string(kTrainerStateFile) + " or " + kWizardStateFile + " lacks a field (" +
           json_error_reason(error) + ")";
  }
  if (auto problem = detail::optimizer_state_damage(folder)) return problem;
  try {
    if (!safetensors::File::open(folder / kRngStateFile).contains("cpu")) {
      return std::string(kRngStateFile) + " has no \"cpu\" generator state";
    }
    if (fs::is_regular_file(folder / "adapter_model.safetensors", error)) {
      safetensors::File::open(folder / "adapter_model.safetensors");  // a LoRA run's adapter
    } else {
      safetensors::Checkpoint::open(folder);
    }
  } catch (const Error& failure) {
    return failure.what();
  }
  return std::nullopt;
}

void write_folder_atomically(const fs::path& target,
                             const std::function<void(const fs::path&)>& write) {
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  fs::create_directories(parent);
  const fs::path staging = unique_sibling(target, "staging");
  try {
    write(staging);
    fs::create_directories(staging);
    sync_directory(staging);
    move_into_place(staging, target);
    sync_directory(parent);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
}

void remove_folder(const fs::path& folder) {
  if (!fs::exists(fs::symlink_status(folder))) return;
  const fs::path trash = unique_sibling(folder, "trash");
  fs::rename(folder, trash);
  fs::remove_all(trash);
}

std::vector<fs::path> rotate_checkpoints(const fs::path& output_dir, int64_t save_total_limit,
                                         const std::optional<fs::path>& best_checkpoint) {
  if (save_total_limit <= 0) return {};
  std::vector<fs::path> sorted = list_checkpoints(output_dir);
  if (static_cast<int64_t>(sorted.size()) <= save_total_limit) return {};
  int64_t keep = save_total_limit;
  if (best_checkpoint) {
    const fs::path best_name = best_checkpoint->filename();
    auto it = std::find_if(sorted.begin(), sorted.end(),
                           [&](const fs::path& p) { return p.filename() == best_name; });
    if (it != sorted.end()) {
      // HF moves the best checkpoint to the second-newest place so it is deleted last.
      const auto index = static_cast<std::size_t>(it - sorted.begin());
      for (std::size_t i = index; i + 2 < sorted.size(); ++i) std::swap(sorted[i], sorted[i + 1]);
      if (save_total_limit == 1 && sorted.back().filename() != best_name) keep = 2;
    }
  }
  std::vector<fs::path> removed;
  const int64_t excess = static_cast<int64_t>(sorted.size()) - keep;
  for (int64_t i = 0; i < excess; ++i) {
    logger()->info("deleting older checkpoint {} (save_total_limit = {})", sorted[i].string(),
                   save_total_limit);
    remove_folder(sorted[i]);
    removed.push_back(sorted[i]);
  }
  return removed;
}

int remove_stale_staging(const fs::path& folder) {
  // unique_sibling names: .<name>.<tag>-<pid>-<random>
  static const std::regex pattern(R"(\..+\.(staging|trash|old|tmp)-(\d+)-\d+)");
  int removed = 0;
  std::error_code error;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    std::smatch match;
    const std::string name = it->path().filename().string();
    if (!std::regex_match(name, match, pattern)) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(match[2].str()));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // still running
    stale.push_back(it->path());
  }
  for (const auto& path : stale) {
    logger()->info("removing {} left by an interrupted save", path.string());
    std::error_code ignored;
    fs::remove_all(path, ignored);
    ++removed;
  }
  return removed;
}

void publish_model_files(const fs::path& staging, const fs::path& destination) {
  fs::create_directories(destination);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(staging)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  // config.json last: a folder with a config and missing weights would load as broken.
  std::stable_partition(names.begin(), names.end(),
                        [](const std::string& n) { return n != "config.json"; });
  for (const std::string& name : names) fs::rename(staging / name, destination / name);
  for (const auto& entry : fs::directory_iterator(destination)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && is_weight_file(name) &&
        std::find(names.begin(), names.end(), name) == names.end()) {
      logger()->info("removing {} of an earlier model save", entry.path().string());
      fs::remove(entry.path());
    }
  }
  sync_directory(destination);
  fs::remove_all(staging);
}

}  // namespace wizard::train
