#include "contrastive_term.hpp"

#include "info_nce.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::cpo {

namespace {

const char* kHeadPrefix = "contrastive_head.";
const char* kMomentumPrefix = "momentum.";
const char* kQueuePrefix = "queue.";

at::Tensor id_tensor(const std::vector<std::int64_t>& ids, at::Device device) {
  return at::tensor(ids, at::TensorOptions().dtype(at::kLong)).to(device);
}

}  // namespace

ContrastiveTerm::ContrastiveTerm(ContrastiveSettings settings, const model::CausalLM& model,
                                 std::unique_ptr<model::CausalLM> momentum_copy, std::uint64_t seed,
                                 preference::PairScoringOptions scoring)
    : settings_(settings), scoring_(scoring), device_(model.device()), queue_(settings.queue_size) {
  scoring_.with_embeddings = true;
  if (settings_.projection_dim > 0) {
    head_ =
        ProjectionHead(model.config().hidden_size, settings_.projection_dim, seed, model.device());
  }
  if (settings_.use_momentum) {
    if ((settings_.momentum_scope == MomentumScope::model) != (momentum_copy != nullptr)) {
      throw Error("ContrastiveTerm: momentum_scope = model needs the policy's copy (and only it)");
    }
    momentum_ = std::make_unique<MomentumEncoder>(settings_.momentum_beta, &model,
                                                  std::move(momentum_copy), head_);
  }
}

ContrastiveTerm::~ContrastiveTerm() = default;

at::Tensor ContrastiveTerm::embed(const ProjectionHead& head, const at::Tensor& pooled) const {
  at::Tensor out = head.defined() ? head.forward(pooled) : pooled;
  // torch.nn.functional.normalize: x / max(|x|, 1e-12).
  if (settings_.normalize) out = out / out.norm(2, {-1}, true).clamp_min(1e-12);
  return out;
}

at::Tensor ContrastiveTerm::dropout(const at::Tensor& pooled, bool training) const {
  if (!training || settings_.simcse_dropout == 0) return pooled;
  return at::dropout(pooled, settings_.simcse_dropout, true);
}

ContrastiveOutcome ContrastiveTerm::compute(const preference::ExampleScores& scores,
                                            const std::vector<preference::ExampleToScore>& examples,
                                            const std::vector<std::int64_t>& ids,
                                            bool training) const {
  const preference::PooledEmbeddings& live = scores.embeddings;
  if (!live.query.defined()) {
    throw Error("the contrastive term needs the scores' pooled embeddings (with_embeddings)");
  }
  InfoNceInputs in;
  in.temperature = settings_.temperature;
  in.negative_mask = scores.negative_mask;
  in.query = embed(head_, dropout(live.query, training));
  const int64_t b = live.chosen.size(0), k = live.negatives.size(1);
  if (momentum_) {
    at::NoGradGuard no_grad;
    preference::PooledEmbeddings pooled = live;
    if (const model::CausalLM* copy = momentum_->model()) {
      pooled = preference::score_examples(*copy, examples, scoring_, false).embeddings;
    }
    const at::Tensor chosen = pooled.chosen.detach(), negatives = pooled.negatives.detach();
    in.positive = embed(momentum_->head(), chosen);
    in.negatives = embed(momentum_->head(), negatives.reshape({b * k, -1})).view({b, k, -1});
  } else {
    in.positive = embed(head_, dropout(live.chosen, training));
    in.negatives =
        embed(head_, dropout(live.negatives, training).reshape({b * k, -1})).view({b, k, -1});
  }
  if (training && settings_.use_queue && queue_.size() > 0) {
    in.queue = queue_.keys();
    in.queue_blocked = id_tensor(ids, in.queue.device()).unsqueeze(1) == queue_.ids().unsqueeze(0);
  }
  const InfoNceResult main = info_nce(in);
  ContrastiveOutcome out{main.loss, main.accuracy, in.positive.detach()};
  if (training && settings_.simcse_dropout > 0) {
    InfoNceInputs views;
    views.temperature = settings_.temperature;
    views.query = embed(head_, dropout(live.chosen, true));
    views.positive = embed(head_, dropout(live.chosen, true));
    out.loss = out.loss + info_nce(views).loss;
  }
  return out;
}

void ContrastiveTerm::enqueue(const ContrastiveOutcome& outcome,
                              const std::vector<std::int64_t>& ids) {
  if (!settings_.use_queue) return;
  queue_.push(outcome.keys, id_tensor(ids, outcome.keys.device()));
}

void ContrastiveTerm::optimizer_stepped() {
  if (momentum_) momentum_->update();
}

train::NamedParameters ContrastiveTerm::parameters() const {
  return head_.defined() ? head_.named_parameters(kHeadPrefix) : train::NamedParameters{};
}

void ContrastiveTerm::save(const std::filesystem::path& file) const {
  safetensors::NamedTensors tensors;
  for (const auto& [name, tensor] : parameters()) tensors.emplace_back(name, tensor.detach());
  if (momentum_) {
    for (auto& entry : momentum_->state_tensors(kMomentumPrefix)) tensors.push_back(entry);
  }
  for (auto& entry : queue_.state_tensors(kQueuePrefix)) tensors.push_back(entry);
  safetensors::save(file, tensors);
}

void ContrastiveTerm::load(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) {
    throw Error(file.string() +
                " is missing: the checkpoint was saved by a run without the contrastive term "
                "(contrastive_weight), whose head, momentum encoder and queue it would hold");
  }
  const safetensors::File state = safetensors::File::open(file);
  if (head_.defined()) head_.load(state, kHeadPrefix);
  if (momentum_) momentum_->load(state, kMomentumPrefix);
  if (settings_.use_queue) queue_.load(state, kQueuePrefix, device_);
}

}  // namespace wizard::cpo
