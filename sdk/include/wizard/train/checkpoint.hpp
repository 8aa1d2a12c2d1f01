// Checkpoint folders in output_dir, laid out as HF's Trainer names them:
//
//   output_dir/checkpoint-<step>/
//     config.json, model.safetensors, ...   the model, written by the recipe's save function
//     trainer_state.json                    HF's TrainerState (global_step, log_history, best)
//     training_args.json                    the resolved TrainingArguments
//     optimizer.safetensors                 AdamW state: masters, exp_avg, exp_avg_sq, step
//     scheduler.json                        the LR schedule and its step count
//     rng_state.safetensors                 the default CPU (and CUDA) generators' states
//     wizard_state.json                     data position and logging accumulators
//
// (save_only_model writes the model and trainer_state.json only.) Everything is written
// into a hidden staging folder next to the target and renamed into place, so a crash never
// leaves a partial folder under a checkpoint name; list_checkpoints() ignores anything else.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/train/adamw.hpp"

namespace wizard::train {

inline constexpr const char* kTrainerStateFile = "trainer_state.json";
inline constexpr const char* kTrainingArgsFile = "training_args.json";
inline constexpr const char* kOptimizerFile = "optimizer.safetensors";
inline constexpr const char* kSchedulerFile = "scheduler.json";
inline constexpr const char* kRngStateFile = "rng_state.safetensors";
inline constexpr const char* kWizardStateFile = "wizard_state.json";
// A data-parallel run's checkpoint also holds rng_state_<rank>.safetensors for ranks 1 and up
// and, written last, checkpoint_complete.json; wizard_state.json names the world_size. With
// optimizer_sharding it holds optimizer_rank<rank>.safetensors for every rank and
// optimizer_partition.json instead of optimizer.safetensors (sdk/src/train/optimizer_shards.hpp).
inline constexpr const char* kCompleteMarkerFile = "checkpoint_complete.json";
WIZARD_API std::string rank_rng_state_file(int64_t rank);

// "checkpoint-<step>", and the step of such a folder name (nullopt for other names).
WIZARD_API std::string checkpoint_name(int64_t step);
WIZARD_API std::optional<int64_t> checkpoint_step(const std::filesystem::path& folder);

// The checkpoint-<step> folders of output_dir, oldest step first.
WIZARD_API std::vector<std::filesystem::path> list_checkpoints(
    const std::filesystem::path& output_dir);
// The one with the largest step (transformers' get_last_checkpoint).
WIZARD_API std::optional<std::filesystem::path> latest_checkpoint(
    const std::filesystem::path& output_dir);

// Copies every parameter, by name, from the model files of checkpoint folder `folder` (each
// must be there with the parameter's shape and finite values; an error names what is wrong).
// What the trainer does on resume unless the task loads its model itself.
WIZARD_API void load_parameters(const NamedParameters& parameters,
                                const std::filesystem::path& folder);

// Whether `folder` holds the optimizer, scheduler, RNG and data-position state a resume needs
// (a save_only_model checkpoint does not).
WIZARD_API bool is_resumable_checkpoint(const std::filesystem::path& folder);

// Why a resume from `folder` would fail, nullopt when it would not: a state file missing
// (named, with what it holds), a JSON file that does not parse or lacks a field, a
// safetensors file (model, optimizer, RNG) that is truncated or malformed. Reads headers and
// JSON only, no tensor data.
WIZARD_API std::optional<std::string> checkpoint_damage(const std::filesystem::path& folder);

// Writes a folder atomically: `write` fills a fresh staging folder next to `target` (it may
// create it, or replace it as a whole, as save_pretrained does), which is then renamed to
// `target`; an existing `target` is swapped out and removed. On an exception the staging
// folder is removed and `target` is untouched.
WIZARD_API void write_folder_atomically(
    const std::filesystem::path& target,
    const std::function<void(const std::filesystem::path&)>& write);

// Removes a folder so that it never exists half-deleted under its name: it is renamed to a
// hidden sibling first.
WIZARD_API void remove_folder(const std::filesystem::path& folder);

// HF's rotation: when more than `save_total_limit` checkpoints exist, deletes the oldest.
// The best checkpoint is kept (moved just before the newest in the order), and a limit of 1
// keeps 2 while the best is not the newest. A limit <= 0 keeps everything. Returns the
// deleted folders.
WIZARD_API std::vector<std::filesystem::path> rotate_checkpoints(
    const std::filesystem::path& output_dir, int64_t save_total_limit,
    const std::optional<std::filesystem::path>& best_checkpoint);

// Removes hidden staging folders that crashed saves of processes no longer running left in
// `folder`; returns how many.
WIZARD_API int remove_stale_staging(const std::filesystem::path& folder);

// Moves the files of a model folder written at `staging` into `destination` (output_dir),
// keeping everything else there: weight files of an earlier save that the new one does not
// have are removed, config.json arrives last. `staging` is removed.
WIZARD_API void publish_model_files(const std::filesystem::path& staging,
                                    const std::filesystem::path& destination);

}  // namespace wizard::train
