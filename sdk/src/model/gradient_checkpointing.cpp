#include "gradient_checkpointing.hpp"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <ATen/Context.h>

#include <mutex>

#include "adapted_linear.hpp"
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
  // LoRA dropout: the device generator's state before the forward, so that the recomputation
  // draws the same masks (undefined when the layer draws none).
  at::Tensor rng_state;
  at::Device device = at::kCPU;
};

at::Generator default_generator(at::Device device) {
  return at::globalContext().defaultGenerator(device);
}

at::Tensor generator_state(at::Device device) {
  at::Generator generator = default_generator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_generator_state(at::Device device, const at::Tensor& state) {
  at::Generator generator = default_generator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

// Replays the forward's random draws for the recomputation, then puts the generator back.
class RngReplay {
 public:
  explicit RngReplay(const LayerState& state) : device_(state.device) {
    if (!state.rng_state.defined()) return;
    now_ = generator_state(device_);
    set_generator_state(device_, state.rng_state);
  }
  ~RngReplay() {
    if (now_.defined()) set_generator_state(device_, now_);
  }
  RngReplay(const RngReplay&) = delete;
  RngReplay& operator=(const RngReplay&) = delete;

 private:
  at::Device device_;
  at::Tensor now_;
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
    // Autograd is off in here, but this is a training pass: LoRA dropout draws its masks.
    const LoraTrainingScope training;
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
      const RngReplay replay(*state);
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
  state->device = hidden.device();
  if (uses_lora_dropout(weights)) state->rng_state = generator_state(state->device);
  const std::vector<at::Tensor> tensors = weights.tensors();
  return CheckpointedLayer::apply(hidden, at::TensorList(tensors), state)[0];
}

}  // namespace wizard::model
