#include "wizard/preference/answer_embeddings.hpp"

#include <ATen/core/grad_mode.h>

#include <algorithm>

#include "wizard/base/error.hpp"
#include "wizard/model/layout.hpp"

namespace wizard::preference {

namespace {

at::Tensor long_tensor(const std::vector<int64_t>& values, at::Device device) {
  return at::tensor(values, at::TensorOptions().dtype(at::kLong)).to(device);
}

// Sequences [begin, end) in one row, each its own segment; the mean of each one's answer
// positions.
at::Tensor embed_pass(const model::CausalLM& model, const std::vector<SequenceRef>& sequences,
                      std::size_t begin, std::size_t end) {
  const at::Device device = model.device();
  std::vector<int64_t> tokens, positions, slots;
  model::RowSegments segments;
  for (std::size_t n = begin; n < end; ++n) {
    const std::vector<int32_t>& ids = *sequences[n].ids;
    if (ids.empty()) throw Error("embed_answers: an empty sequence");
    const int64_t start = static_cast<int64_t>(tokens.size());
    segments.push_back({start, static_cast<int64_t>(ids.size()), -1});
    tokens.insert(tokens.end(), ids.begin(), ids.end());
    const std::size_t first = std::min(sequences[n].prompt_length, ids.size() - 1);
    for (std::size_t t = first; t < ids.size(); ++t) {
      positions.push_back(start + static_cast<int64_t>(t));
      slots.push_back(static_cast<int64_t>(n - begin));
    }
  }
  const int64_t length = static_cast<int64_t>(tokens.size());
  const auto layout = model::AttentionLayout::segmented({std::move(segments)}, length);
  const at::Tensor hidden = model.forward(long_tensor(tokens, device).view({1, length}),
                                          layout.position_ids(device), layout);
  const at::Tensor values =
      hidden.view({length, -1}).index_select(0, long_tensor(positions, device)).to(at::kFloat);
  const int64_t count = static_cast<int64_t>(end - begin);
  const at::Tensor slot = long_tensor(slots, device);
  const at::Tensor sums =
      at::zeros({count, values.size(1)}, values.options()).index_add(0, slot, values);
  const at::Tensor counts = at::zeros({count}, values.options())
                                .index_add(0, slot, at::ones_like(slot, values.options()));
  return sums / counts.unsqueeze(1);
}

}  // namespace

at::Tensor embed_answers(const model::CausalLM& model, const std::vector<SequenceRef>& sequences,
                         const AnswerEmbeddingOptions& options) {
  at::NoGradGuard no_grad;
  const int64_t hidden = model.config().hidden_size;
  std::vector<at::Tensor> parts;
  std::size_t begin = 0;
  while (begin < sequences.size()) {
    std::size_t end = begin;
    int64_t tokens = 0;
    while (end < sequences.size() &&
           (end == begin ||
            tokens + static_cast<int64_t>(sequences[end].ids->size()) <= options.max_tokens)) {
      tokens += static_cast<int64_t>(sequences[end].ids->size());
      ++end;
    }
    parts.push_back(embed_pass(model, sequences, begin, end));
    begin = end;
    if (options.progress) {
      options.progress(static_cast<int64_t>(begin), static_cast<int64_t>(sequences.size()));
    }
  }
  if (parts.empty()) {
    return at::zeros({0, hidden}, at::TensorOptions().dtype(at::kFloat).device(model.device()));
  }
  return at::cat(parts);
}

}  // namespace wizard::preference
