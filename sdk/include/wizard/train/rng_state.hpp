// The states of LibTorch's default random generators, for checkpoints: "cpu" and, when
// CUDA is present, "cuda:<index>" per device (uint8 tensors, as torch.get_rng_state()).
#pragma once

#include "wizard/base/export.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::train {

WIZARD_API safetensors::NamedTensors capture_rng_state();

// Restores what capture_rng_state() saved; generators the file does not name (e.g. more GPUs
// now than then) keep their state, with a warning.
WIZARD_API void restore_rng_state(const safetensors::File& file);

}  // namespace wizard::train
