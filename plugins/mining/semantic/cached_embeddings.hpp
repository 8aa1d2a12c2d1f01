// Embedding many answers so that a killed run resumes: blocks of sequences are embedded in
// turn and each is saved in a folder as it is done; a run finding a block there loads it.
// The folder must be specific to the data, the model and the settings (the recipe names it
// by their fingerprint).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <vector>

#include "wizard/preference/answer_embeddings.hpp"

namespace wizard::mining {

// [N, hidden] float32: embed_answers over `sequences`, `block` of them at a time, each block
// saved as `folder`/block-<first>.safetensors (written atomically), where `first` counts from
// `offset`: the index of sequences[0] in the whole set, when several processes each embed a
// share of it into one folder.
at::Tensor cached_embeddings(const model::CausalLM& model,
                             const std::vector<preference::SequenceRef>& sequences,
                             const std::filesystem::path& folder, std::int64_t block,
                             const preference::AnswerEmbeddingOptions& options,
                             std::int64_t offset = 0);

}  // namespace wizard::mining
