// Gradient checkpointing recomputes each decoder layer in backward: the loss and every
// parameter gradient must equal those of the plain path, in every layout.
#include <gtest/gtest.h>
#include <torch/csrc/autograd/function.h>

#include <set>

#include "model_test_support.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;
using model::CausalLM;

struct StepResult {
  double loss = 0;
  std::vector<at::Tensor> grads;
  std::size_t graph_nodes = 0;
  bool recomputes = false;  // a checkpointed layer is in the graph
};

// Walks the autograd graph behind `root`.
void inspect_graph(const at::Tensor& root, StepResult& run) {
  std::vector<torch::autograd::Node*> stack{root.grad_fn().get()};
  std::set<torch::autograd::Node*> seen;
  while (!stack.empty()) {
    torch::autograd::Node* node = stack.back();
    stack.pop_back();
    if (!node || !seen.insert(node).second) continue;
    if (node->name().find("CheckpointedLayer") != std::string::npos) run.recomputes = true;
    for (const auto& edge : node->next_edges()) stack.push_back(edge.function.get());
  }
  run.graph_nodes = seen.size();
}

StepResult train_step(CausalLM& model, bool checkpointing, const at::Tensor& ids,
                      const AttentionLayout& layout, const at::Tensor& labels) {
  model.set_gradient_checkpointing(checkpointing);
  for (at::Tensor& p : model.parameters()) p.mutable_grad() = at::Tensor();
  const at::Tensor loss = model.loss(ids, layout.position_ids(), layout, labels);
  StepResult run;
  inspect_graph(loss, run);
  loss.backward();
  run.loss = loss.item<double>();
  for (const at::Tensor& p : model.parameters()) run.grads.push_back(p.grad().clone());
  return run;
}

class Checkpointing : public ::testing::TestWithParam<std::string> {};

TEST_P(Checkpointing, GradientsEqualThePlainPathInEveryLayout) {
  model::InitModelOptions options;
  options.architecture = GetParam();
  options.initializer_range = 0.3;  // large weights, so that every operation matters
  options.tie_word_embeddings = GetParam() != "llama";
  if (GetParam() == "mistral") options.sliding_window = 3;
  CausalLM model = CausalLM::from_pretrained(init_model_folder(options), at::kFloat);

  const at::Tensor ids = at::randint(0, 259, {2, 9}, at::kLong);
  const at::Tensor mask =
      at::tensor({0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, at::kLong).view({2, 9});
  std::vector<std::pair<std::string, AttentionLayout>> layouts{
      {"padded", AttentionLayout::padded(mask)},
      {"packed", AttentionLayout::packed({{4, 5}, {9}}, 9)},
      {"shared prefix", AttentionLayout::segmented({{{0, 3, -1}, {3, 4, 0}, {7, 2, 0}}, {}}, 9)}};
  for (const auto& [name, layout] : layouts) {
    SCOPED_TRACE(name);
    const at::Tensor labels = ids.masked_fill(layout.token_mask().logical_not(), -100);
    const StepResult plain = train_step(model, false, ids, layout, labels);
    const StepResult recomputed = train_step(model, true, ids, layout, labels);
    EXPECT_FALSE(plain.recomputes);
    EXPECT_TRUE(recomputed.recomputes);
    // Only the layer inputs stay in the graph: far fewer nodes than the plain path keeps.
    EXPECT_LT(recomputed.graph_nodes * 3, plain.graph_nodes);
    EXPECT_EQ(plain.loss, recomputed.loss);
    const auto names = model.named_parameters();
    for (std::size_t i = 0; i < names.size(); ++i) {
      // The same operations run again, so gradients agree up to summation order (the tied
      // embedding sums its two uses in either order).
      EXPECT_TRUE(at::allclose(plain.grads[i], recomputed.grads[i], /*rtol=*/1e-5, /*atol=*/1e-7))
          << names[i].first << " differs by "
          << (plain.grads[i] - recomputed.grads[i]).abs().max().item<double>();
      EXPECT_GT(plain.grads[i].abs().max().item<double>(), 0.0) << names[i].first;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, Checkpointing,
                         ::testing::Values("llama", "mistral", "qwen2", "qwen3"));

}  // namespace
}  // namespace wizard::test
