#include "gradient_checkpointing.hpp"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "autocast_state.hpp"

namespace wizard::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What backward needs besides tensors, kept alive by the autograd graph.
struct LayerState : torch::CustomClassHolder {
  DecoderLayerWeights weights;  // tells which slots the flat tensor list fills
  std::shared_ptr<const ForwardContext> context;
  int64_t layer_index = 0;
  AutocastState autocast;  // the forward's, for the recomputation
};

class CheckpointedLayer : public torch::autograd::Function<CheckpointedLayer> {
 public:
  // Inputs as autograd sees them: hidden, every defined weight, then the state (no tensor).
  static variable_list forward(AutogradContext* ctx, const at::Tensor& hidden,
                               at::TensorList weights,
                               const c10::intrusive_ptr<LayerState>& state) {
    variable_list saved{hidden};
    saved.insert(saved.end(), weights.begin(), weights.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["state"] = c10::IValue::make_capsule(state);
    return {decoder_layer(state->weights.with_tensors(weights), hidden, *state->context,
                          state->layer_index)};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto state =
        c10::static_intrusive_pointer_cast<LayerState>(ctx->saved_data["state"].toCapsule());
    variable_list inputs = ctx->get_saved_variables();
    // Fresh leaves, so the recomputed graph ends here and does not reach the earlier layers.
    variable_list wanted;
    std::vector<std::size_t> wanted_index;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      inputs[i] = inputs[i].detach();
      if (ctx->needs_input_grad(i)) {
        inputs[i].requires_grad_(true);
        wanted.push_back(inputs[i]);
        wanted_index.push_back(i);
      }
    }
    variable_list grads(inputs.size() + 1);  // + the state argument, which has no gradient
    if (wanted.empty()) return grads;
    at::Tensor output;
    {
      at::AutoGradMode enable_grad(true);
      const AutocastGuard autocast(state->autocast);
      const at::TensorList weights(inputs.data() + 1, inputs.size() - 1);
      output = decoder_layer(state->weights.with_tensors(weights), inputs[0], *state->context,
                             state->layer_index);
    }
    const variable_list computed =
        torch::autograd::grad({output}, wanted, {grad_outputs[0]}, /*retain_graph=*/false,
                              /*create_graph=*/false, /*allow_unused=*/true);
    for (std::size_t j = 0; j < wanted.size(); ++j) grads[wanted_index[j]] = computed[j];
    return grads;
  }
};

}  // namespace

at::Tensor checkpointed_decoder_layer(const DecoderLayerWeights& weights, const at::Tensor& hidden,
                                      std::shared_ptr<const ForwardContext> context,
                                      int64_t layer_index) {
  auto state = c10::make_intrusive<LayerState>();
  state->weights = weights;
  state->context = std::move(context);
  state->layer_index = layer_index;
  state->autocast = AutocastState::current();
  const std::vector<at::Tensor> tensors = weights.tensors();
  return CheckpointedLayer::apply(hidden, at::TensorList(tensors), state)[0];
}

}  // namespace wizard::model
