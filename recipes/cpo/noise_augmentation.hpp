// augment_data with augmentation_strategy = "noise" (docs/cpo.md, "Data augmentation"): for a
// share (augmentation_ratio) of the training rows, chosen by the run's seed, one extra
// negative made from the row's chosen answer by word dropout (each word dropped with
// probability 0.15, at least one kept) and one swap of two neighbouring words; it joins the
// row's negatives column (a near miss in form, wrong in content or order). No model is
// involved. Conversational answers (message lists) get the noise in their last message.
#pragma once

#include <cstdint>
#include <string>

#include "wizard/data/dataset.hpp"

namespace wizard::cpo {

// `text` with noise from `seed` (equal to `text` when it has a single word).
std::string noisy_answer(const std::string& text, std::uint64_t seed);

// Adds the noisy negatives to `rows` (the training split); returns how many were added.
std::int64_t add_noise_negatives(Dataset& rows, const std::string& chosen_column,
                                 const std::string& negatives_column, double ratio,
                                 std::uint64_t seed);

}  // namespace wizard::cpo
