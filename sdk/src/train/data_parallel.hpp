// The trainer's side of a data-parallel run (docs/distributed.md): the process group, the
// share of each micro-batch this rank computes, the gradient reducer, and the small
// collectives that keep the ranks in step (metrics, stop requests, evaluation results,
// RNG states for checkpoints). Absent (null) in a single-process run, which then runs
// exactly as it always did.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wizard/distributed/gradient_reducer.hpp"
#include "wizard/distributed/process_group.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/adamw.hpp"
#include "wizard/train/trainer.hpp"
#include "wizard/train/training_args.hpp"

namespace wizard::train::detail {

// One optimizer step's sums on this rank, reduced over the ranks at the step's end: each
// micro-batch's values weighted by this rank's share of its examples, so that the sums over
// the ranks are the values of the whole micro-batch (what one process computing it would get).
struct StepSums {
  double loss = 0;  // of loss / gradient_accumulation_steps
  std::map<std::string, double> metrics;
  int64_t micro_batches = 0;
  int64_t tokens = 0;
  int64_t samples = 0;
};

class DataParallel {
 public:
  // Joins the ranks of the launch environment; null when it has a single process.
  static std::unique_ptr<DataParallel> join(const TrainingArguments& args,
                                            const NamedParameters& parameters);

  int64_t rank() const { return group_->rank(); }
  int64_t size() const { return group_->size(); }
  bool is_main() const { return rank() == 0; }

  // This rank's examples of a (global) micro-batch.
  MicroBatch share(const MicroBatch& batch, const TrainingTask& task) const;
  // The factor of this rank's loss before backward, so that the average over the ranks of
  // the gradients is the gradient of the whole micro-batch's mean loss.
  double loss_weight(const MicroBatch& share, const MicroBatch& batch) const;

  // Gradients: created with the optimizer; arm before the last backward of a window,
  // finish after it.
  void attach(AdamW& optimizer);
  void arm() { reducer_->arm(); }
  void finish();

  StepSums reduce(const StepSums& local);
  // The strongest stop request of any rank (0: none), so that all stop after the same step.
  int agree_on_stop(int local_signal);
  nlohmann::json broadcast(const nlohmann::json& value);  // rank 0's value
  // Every rank's RNG state (rank order), for rank 0 to write into a checkpoint.
  std::vector<safetensors::NamedTensors> gather(const safetensors::NamedTensors& tensors);
  void barrier() { group_->barrier(); }
  void report_failure(const std::string& message) noexcept { group_->report_failure(message); }
  int64_t bytes_per_step() const { return reducer_ ? reducer_->bytes_per_step() : 0; }
  std::string describe() const;

 private:
  DataParallel(std::shared_ptr<distributed::ProcessGroup> group, int64_t bucket_bytes);

  std::shared_ptr<distributed::ProcessGroup> group_;
  int64_t bucket_bytes_;
  std::unique_ptr<distributed::GradientReducer> reducer_;
  std::vector<std::string> metric_names_;  // agreed at the first step
  bool overlap_reported_ = false;
};

}  // namespace wizard::train::detail
