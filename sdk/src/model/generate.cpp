#include "wizard/model/generate.hpp"

#include <ATen/core/grad_mode.h>
#include <algorithm>

#include "wizard/base/error.hpp"
#include "wizard/model/layout.hpp"

namespace wizard::model {

std::vector<std::vector<int32_t>> generate_greedy(const CausalLM& model,
                                                  const std::vector<std::vector<int32_t>>& prompts,
                                                  const GreedyOptions& options) {
  at::NoGradGuard no_grad;
  const auto rows = static_cast<int64_t>(prompts.size());
  std::vector<std::vector<int32_t>> sequences = prompts;
  std::vector<std::vector<int32_t>> generated(prompts.size());
  std::vector<bool> done(prompts.size(), false);
  for (const auto& prompt : prompts) {
    if (prompt.empty()) throw Error("generate_greedy: an empty prompt has no token to continue");
  }
  const at::TensorOptions ids_options = at::TensorOptions().dtype(at::kLong);
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    // Left padding, so every row's last position is its next-token position.
    std::size_t width = 0;
    for (const auto& s : sequences) width = std::max(width, s.size());
    std::vector<int64_t> ids(rows * width, 0);
    std::vector<int64_t> mask(rows * width, 0);
    for (int64_t r = 0; r < rows; ++r) {
      const auto& s = sequences[r];
      const std::size_t offset = width - s.size();
      for (std::size_t t = 0; t < s.size(); ++t) {
        ids[r * width + offset + t] = s[t];
        mask[r * width + offset + t] = 1;
      }
    }
    const auto shape = std::vector<int64_t>{rows, static_cast<int64_t>(width)};
    const at::Tensor input_ids = at::tensor(ids, ids_options).view(shape).to(model.device());
    const at::Tensor attention_mask = at::tensor(mask, ids_options).view(shape).to(model.device());
    const AttentionLayout layout = AttentionLayout::padded(attention_mask);
    const at::Tensor hidden = model.forward(input_ids, layout.position_ids(model.device()), layout);
    const at::Tensor last = hidden.select(1, static_cast<int64_t>(width) - 1);
    const at::Tensor next = model.lm_head(last).argmax(-1).to(at::kCPU);
    const auto* next_ids = next.data_ptr<int64_t>();
    for (int64_t r = 0; r < rows; ++r) {
      if (done[r]) continue;
      const auto token = static_cast<int32_t>(next_ids[r]);
      sequences[r].push_back(token);
      generated[r].push_back(token);
      if (std::find(options.stop_ids.begin(), options.stop_ids.end(), token) !=
          options.stop_ids.end()) {
        done[r] = true;
      }
    }
  }
  return generated;
}

}  // namespace wizard::model
