// The trainer's files: the output folder, checkpoints (save, rotate, resume) and the final model.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <fstream>

#include "model/safetensors_files.hpp"
#include "model/weight_checks.hpp"
#include "train/optimizer_shards.hpp"
#include "train/trainer_impl.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/checkpoint_io.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/checkpoint.hpp"
#include "wizard/train/rng_state.hpp"

namespace wizard::train {

namespace fs = std::filesystem;
using safetensors::detail::unique_sibling;

namespace {

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read " + path.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw Error(path.string() + " is not valid JSON (" + json_error_reason(error) +
                "); the checkpoint is damaged");
  }
}

nlohmann::json schedule_json(const LrSchedule& schedule, double base_learning_rate,
                             int64_t steps_taken) {
  return {
      {"lr_scheduler_type", schedule_type_name(schedule.type)},
      {"warmup_steps", schedule.warmup_steps},
      {"training_steps", schedule.training_steps},
      {"num_cycles", schedule.num_cycles},
      {"timescale", schedule.timescale ? nlohmann::json(*schedule.timescale) : nlohmann::json()},
      {"base_learning_rate", base_learning_rate},
      {"steps_taken", steps_taken}};
}

}  // namespace

void Trainer::Impl::prepare_output_dir() {
  remove_stale_staging(args.output_dir);
  args.check_output_dir();
  if (args.resume_requested() || !args.overwrite_output_dir) return;
  for (const auto& folder : list_checkpoints(args.output_dir)) {
    logger()->info("overwrite_output_dir: deleting {}", folder.string());
    remove_folder(folder);
  }
}

std::optional<fs::path> Trainer::Impl::choose_checkpoint() const {
  const std::optional<fs::path> named = args.checkpoint_to_resume();
  if (!named) return std::nullopt;
  if (!fs::is_directory(*named)) {
    throw ConfigError(
        "training_args_spec.resume_from_checkpoint: '" + named->string() +
        "' is not a folder; name a checkpoint-<step> folder, or set it to true for the newest");
  }
  const std::optional<std::string> damage = checkpoint_damage(*named);
  if (!damage) return named;
  // The newest complete checkpoint older than the damaged one.
  std::optional<fs::path> previous;
  const auto all = list_checkpoints(args.output_dir);
  const auto named_step = checkpoint_step(*named);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (named_step && checkpoint_step(*it) >= named_step) continue;
    if (const auto problem = checkpoint_damage(*it)) {
      if (args.resume_skips_damaged) logger()->warn("skipping {}: {}", it->string(), *problem);
      continue;
    }
    previous = *it;
    break;
  }
  if (args.resume_skips_damaged) {
    logger()->warn("resume_from_checkpoint = \"auto\": skipping {}: {}", named->string(), *damage);
    if (previous) {
      logger()->warn(
          "resume_from_checkpoint = \"auto\": resuming from {}, the newest complete "
          "checkpoint",
          previous->string());
    } else {
      logger()->warn(
          "resume_from_checkpoint = \"auto\": no complete checkpoint in {}; starting "
          "from the beginning",
          args.output_dir.string());
    }
    return previous;
  }
  std::string message = "cannot resume from " + named->string() + ": " + *damage + ". ";
  if (previous) {
    message += "The previous complete checkpoint is " + previous->string() +
               ": resume_from_checkpoint = \"auto\" takes the newest complete one, or name it "
               "(resume_from_checkpoint = \"" +
               previous->string() + "\")";
  } else {
    message += "No earlier complete checkpoint exists in " + args.output_dir.string() +
               "; start a new run from its model instead, or start over with "
               "overwrite_output_dir = true";
  }
  throw ConfigError(message);
}

void load_parameters(const NamedParameters& parameters, const fs::path& checkpoint) {
  const safetensors::Checkpoint weights = safetensors::Checkpoint::open(checkpoint);
  at::NoGradGuard no_grad;
  for (const auto& [name, parameter] : parameters) {
    if (!weights.contains(name)) {
      throw Error(checkpoint.string() + " has no weight '" + name +
                  "'; it was saved from another model than the one being trained");
    }
    const auto& info = weights.info(name);
    if (info.shape != parameter.sizes().vec()) {
      throw Error(checkpoint.string() + ": weight '" + name + "' has shape " +
                  c10::str(at::IntArrayRef(info.shape)) + " but the model's parameter has " +
                  c10::str(parameter.sizes()));
    }
    const at::Tensor value = weights.load(name, parameter.scalar_type(), parameter.device());
    model::check_finite_weight(value, name, checkpoint.string());
    parameter.copy_(value);
  }
}

void Trainer::Impl::save_checkpoint() {
  const fs::path target = args.output_dir / checkpoint_name(state.global_step);
  // HF names the best checkpoint once its folder exists (this one, when it is the best).
  if (state.best_global_step) {
    const fs::path best = args.output_dir / checkpoint_name(*state.best_global_step);
    if (*state.best_global_step == state.global_step || fs::is_directory(best)) {
      state.best_model_checkpoint = best.string();
    }
  }
  // A data-parallel checkpoint: rank 0 writes the model, the trainer state and every rank's
  // RNG state (gathered here), the completion marker last; the barrier keeps every rank
  // (and so the launcher) from moving on before the checkpoint is complete.
  std::vector<safetensors::NamedTensors> rank_rng;
  if (dp && !args.save_only_model) rank_rng = dp->gather(capture_rng_state());
  // Sharded optimizer state: ranks 1 and up write their shards into a hidden folder next to
  // the checkpoint that rank 0 names (cleaned up as a crashed save's if rank 0 dies), and
  // rank 0 moves them into the checkpoint before its completion marker.
  const bool sharded_save = dp && dp->sharded() && !args.save_only_model;
  fs::path shards;
  if (sharded_save) {
    shards =
        dp->broadcast(main_rank() ? unique_sibling(target, "tmp").string() : "").get<std::string>();
    fs::create_directories(shards);
    if (!main_rank()) {
      safetensors::save(shards / detail::optimizer_shard_file(dp->rank()),
                        optimizer->state_tensors());
    }
    dp->barrier();  // every shard is written
  }
  // Rank 0 removes the shards' folder however its write ends.
  const auto remove_shards = [&] {
    std::error_code ignored;
    if (sharded_save) fs::remove_all(shards, ignored);
  };
  if (main_rank()) {
    try {
      write_folder_atomically(target, [&](const fs::path& staging) {
        task.save_model(staging);
        fs::create_directories(staging);
        model::write_json_file(staging / kTrainerStateFile, state.trainer_state(plan, args));
        model::write_json_file(staging / kTrainingArgsFile, args.to_json());
        if (!args.save_only_model) {
          if (sharded_save) {
            save_optimizer_shards(staging, shards);
          } else {
            safetensors::save(staging / kOptimizerFile, optimizer->state_tensors());
          }
          model::write_json_file(staging / kSchedulerFile,
                                 schedule_json(schedule, args.learning_rate, state.global_step));
          safetensors::save(staging / kRngStateFile, capture_rng_state());
          for (std::size_t r = 1; r < rank_rng.size(); ++r) {
            safetensors::save(staging / rank_rng_state_file(static_cast<int64_t>(r)), rank_rng[r]);
          }
          nlohmann::json wizard_state = state.wizard_state(plan);
          if (dp) wizard_state["world_size"] = dp->size();
          if (task.save_state) wizard_state["recipe_state"] = task.save_state();
          model::write_json_file(staging / kWizardStateFile, wizard_state);
        }
        if (dp) {
          model::write_json_file(staging / kCompleteMarkerFile,
                                 {{"global_step", state.global_step}, {"world_size", dp->size()}});
        }
      });
    } catch (...) {
      remove_shards();
      throw;
    }
    remove_shards();
  }
  if (dp) dp->barrier();
  last_saved_step = state.global_step;
  last_checkpoint = target;
  if (!main_rank()) return;
  progress->print_above([&] { logger()->info("saved {}", target.string()); });
  if (args.save_total_limit) {
    const std::optional<fs::path> best = state.best_model_checkpoint
                                             ? std::optional<fs::path>(*state.best_model_checkpoint)
                                             : std::nullopt;
    rotate_checkpoints(args.output_dir, *args.save_total_limit, best);
  }
}

// Rank 0's shard, the other ranks' shards from `shards`, and the partition they make.
void Trainer::Impl::save_optimizer_shards(const fs::path& staging, const fs::path& shards) {
  safetensors::save(staging / detail::optimizer_shard_file(0), optimizer->state_tensors());
  for (int64_t rank = 1; rank < dp->size(); ++rank) {
    const std::string file = detail::optimizer_shard_file(rank);
    if (!fs::is_regular_file(shards / file)) {
      throw Error("saving a checkpoint: rank " + std::to_string(rank) + "'s optimizer shard " +
                  (shards / file).string() + " is missing after every rank said it was written");
    }
    fs::rename(shards / file, staging / file);
  }
  std::vector<std::string> names;
  for (const auto& entry : task.parameters) names.push_back(entry.first);
  model::write_json_file(staging / detail::kOptimizerPartitionFile,
                         detail::partition_json(names, dp->owners(), dp->size()));
}

// The optimizer state of `checkpoint`, whichever way it was saved and this run shards it:
// each parameter's state comes from the file that holds it. Rank 0 says what changed.
void Trainer::Impl::load_optimizer(const fs::path& checkpoint) {
  const detail::SavedPartition saved = detail::read_saved_partition(checkpoint);
  std::vector<safetensors::File> files;
  for (const auto& file : saved.files) files.push_back(safetensors::File::open(file));
  optimizer->load_state(files);
  const bool sharding = dp && dp->sharded();
  if (saved.world_size == 0) {
    if (sharding) {
      logger()->info(
          "optimizer_sharding: the checkpoint's optimizer state is not sharded ({}); each rank "
          "takes its own tensors' state from it",
          kOptimizerFile);
    }
    return;
  }
  if (!sharding) {
    logger()->info(
        "the checkpoint's optimizer state is sharded over {} rank(s); optimizer_sharding is off "
        "here, so every rank loads the whole state from its {} shard(s)",
        saved.world_size, saved.world_size);
    return;
  }
  // Per rank of this run: its tensors, and how many of them another rank owned before.
  std::vector<int64_t> owned(static_cast<std::size_t>(dp->size()), 0);
  std::vector<int64_t> moved(owned.size(), 0);
  for (std::size_t i = 0; i < task.parameters.size(); ++i) {
    const auto owner = static_cast<std::size_t>(dp->owners()[i]);
    owned[owner] += 1;
    const auto it = saved.owners.find(task.parameters[i].first);
    if (it == saved.owners.end() || static_cast<std::size_t>(it->second) != owner)
      moved[owner] += 1;
  }
  int64_t total_moved = 0;
  std::vector<std::string> shares;
  for (std::size_t r = 0; r < owned.size(); ++r) {
    total_moved += moved[r];
    shares.push_back("rank " + std::to_string(r) + " owns " + std::to_string(owned[r]) + " (" +
                     std::to_string(moved[r]) + " from another rank's shard)");
  }
  if (total_moved == 0 && saved.world_size == dp->size()) {
    logger()->info("optimizer_sharding: every rank resumes its own shard ({}, ...)",
                   detail::optimizer_shard_file(0));
    return;
  }
  if (!main_rank()) return;  // one warning, not one per rank
  logger()->warn(
      "optimizer_sharding: the checkpoint's optimizer state was sharded over {} rank(s), this run "
      "has {}: re-partitioned, {} of {} parameter tensor(s) change owner; {}",
      saved.world_size, dp->size(), total_moved, task.parameters.size(), join(shares, "; "));
}

void Trainer::Impl::load_model_from(const fs::path& checkpoint) {
  if (task.load_model) {
    task.load_model(checkpoint);
  } else {
    load_parameters(checkpoint);
  }
}

void Trainer::Impl::load_parameters(const fs::path& checkpoint) {
  train::load_parameters(task.parameters, checkpoint);
}

void Trainer::Impl::resume(const fs::path& checkpoint) {
  logger()->info("resuming from {}", checkpoint.string());
  const nlohmann::json trainer_state = read_json(checkpoint / kTrainerStateFile);
  const nlohmann::json wizard_state = read_json(checkpoint / kWizardStateFile);
  load_model_from(checkpoint);
  load_optimizer(checkpoint);
  const nlohmann::json saved_schedule = read_json(checkpoint / kSchedulerFile);
  const nlohmann::json current_schedule =
      schedule_json(schedule, args.learning_rate, saved_schedule.value("steps_taken", 0));
  if (saved_schedule != current_schedule) {
    logger()->warn(
        "the checkpoint's learning-rate schedule {} differs from this run's {}; continuing with "
        "this run's",
        saved_schedule.dump(), current_schedule.dump());
  }
  restore_rng_state(safetensors::File::open(checkpoint / rng_file_to_restore(checkpoint)));
  try {
    state.restore(trainer_state, wizard_state);
  } catch (const nlohmann::json::exception& error) {
    throw Error(checkpoint.string() + ": trainer_state.json or wizard_state.json lacks a field (" +
                json_error_reason(error) + "); the checkpoint is damaged or from another program");
  }
  const int64_t saved_world = wizard_state.value("world_size", int64_t{1});
  const int64_t world = dp ? dp->size() : 1;
  const int64_t saved_batches =
      wizard_state.value("micro_batches_per_epoch", plan.micro_batches_per_epoch);
  if (saved_world != world) {
    // The global batch is per_device_train_batch_size x ranks: the epoch has another number
    // of micro-batches. Keep the share of the epoch already done.
    const int64_t next = state.next_micro_batch;
    state.next_micro_batch =
        next * plan.micro_batches_per_epoch / std::max<int64_t>(saved_batches, 1);
    logger()->warn(
        "the checkpoint was written by {} rank(s), this run has {}: the model and the optimizer "
        "state are restored; the global batch changed, so epoch {} continues at "
        "micro-batch {} of {} (was {} of {}), and the batches that follow are not those the "
        "first run would have taken",
        saved_world, world, state.epoch_index, state.next_micro_batch, plan.micro_batches_per_epoch,
        next, saved_batches);
  } else if (saved_batches != plan.micro_batches_per_epoch) {
    logger()->warn(
        "the checkpoint was taken with {} micro-batches per epoch, this run has {}: the data "
        "changed, "
        "so the resumed run does not continue the same sequence of batches",
        wizard_state.value("micro_batches_per_epoch", 0), plan.micro_batches_per_epoch);
  }
  if (task.load_state && wizard_state.contains("recipe_state"))
    task.load_state(wizard_state.at("recipe_state"));
  last_saved_step = state.global_step;
  last_checkpoint = checkpoint;
  resumed = true;
  if (metrics) metrics->restart(state.log_history);
}

// This rank's RNG state file: its own, else (a checkpoint of fewer ranks) rank 0's.
std::string Trainer::Impl::rng_file_to_restore(const fs::path& checkpoint) const {
  if (!dp || dp->is_main()) return kRngStateFile;
  const std::string own = rank_rng_state_file(dp->rank());
  if (fs::exists(checkpoint / own)) return own;
  logger()->warn("{} holds no RNG state of rank {}; this rank starts from rank 0's",
                 checkpoint.string(), dp->rank());
  return kRngStateFile;
}

// load_best_model_at_end: the weights of the checkpoint the evaluations picked.
void Trainer::Impl::load_best_model() {
  if (!state.best_model_checkpoint || !fs::is_directory(*state.best_model_checkpoint)) {
    logger()->warn(
        "load_best_model_at_end: no evaluation picked a checkpoint that was saved; the final "
        "model is the last step's");
    return;
  }
  const fs::path best = *state.best_model_checkpoint;
  logger()->info("loading the best model from {} ({} = {:.6g})", best.string(),
                 *args.metric_for_best_model, state.best_metric ? *state.best_metric : 0.0);
  load_model_from(best);
}

void Trainer::Impl::save_final_model() {
  if (task.save_final_model) {
    const fs::path staging =
        safetensors::detail::unique_sibling(args.output_dir / "model", "staging");
    try {
      task.save_model(staging);
      publish_model_files(staging, args.output_dir);
    } catch (const std::exception& error) {
      std::error_code ignored;
      fs::remove_all(staging, ignored);
      std::string message = "training finished (step " + std::to_string(state.global_step) +
                            "), but the final model could not be written to " +
                            args.output_dir.string() + ": " + error_text(error) +
                            ". The trained weights were not saved there; ";
      if (last_checkpoint && last_saved_step == state.global_step) {
        message += last_checkpoint->string() +
                   " holds them. Free some space and run again with resume_from_checkpoint = "
                   "true: it writes the final model without training further";
      } else if (last_checkpoint) {
        message += "the newest checkpoint, " + last_checkpoint->string() + ", holds step " +
                   std::to_string(last_saved_step) + "'s weights, not the last step's";
      } else {
        message += "no checkpoint holds them (no checkpoint was saved)";
      }
      throw Error(message);
    }
    logger()->info("saved the final model to {}", args.output_dir.string());
  }
  // Written last: a trainer_state.json in output_dir says the run finished with its model saved.
  model::write_json_file(args.output_dir / kTrainerStateFile, state.trainer_state(plan, args));
}

}  // namespace wizard::train
