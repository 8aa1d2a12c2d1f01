// The device a run computes on, from its config: "auto" (the first CUDA device when this
// LibTorch has CUDA and a GPU is visible, else the CPU), "cpu", "cuda" or "cuda:N". In a
// data-parallel run (wizard/distributed/environment.hpp) "auto" and "cuda" mean the GPU of
// the rank's LOCAL_RANK.
#pragma once

#include <c10/core/Device.h>

#include <string>

#include "wizard/base/export.hpp"

namespace wizard::model {

// Throws wizard::ConfigError saying what is missing (a CUDA build of LibTorch, a visible GPU,
// the device index) and what to do; the message starts with the name in quotes, ready to
// follow a key path.
WIZARD_API c10::Device resolve_device(const std::string& name);

}  // namespace wizard::model
