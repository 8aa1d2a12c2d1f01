// Checks on weights read from files, so that a damaged or diverged checkpoint is refused at
// load with the tensor's name instead of surfacing later as a NaN loss.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace wizard::model {

// Throws wizard::Error naming `source`, `name`, how many values are NaN or infinite and the
// first one's index, when `weight` holds any.
void check_finite_weight(const at::Tensor& weight, const std::string& name,
                         const std::string& source);

}  // namespace wizard::model
