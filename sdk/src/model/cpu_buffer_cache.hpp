// The model's use of the CPU buffer cache (declared publicly in causal_lm.hpp).
#pragma once

namespace wizard::model {

// Enables the cache once per process with the default limit, unless the environment sets
// WIZARD_CPU_BUFFER_CACHE=0 (CausalLM::forward calls this on the CPU).
void enable_cpu_buffer_cache_by_default();

}  // namespace wizard::model
