#include "cached_embeddings.hpp"

#include <algorithm>

#include "wizard/model/safetensors.hpp"

namespace wizard::mining {

namespace fs = std::filesystem;

at::Tensor cached_embeddings(const model::CausalLM& model,
                             const std::vector<preference::SequenceRef>& sequences,
                             const fs::path& folder, std::int64_t block,
                             const preference::AnswerEmbeddingOptions& options,
                             std::int64_t offset) {
  fs::create_directories(folder);
  const std::int64_t n = static_cast<std::int64_t>(sequences.size());
  std::vector<at::Tensor> parts;
  for (std::int64_t begin = 0; begin < n; begin += block) {
    const std::int64_t end = std::min(n, begin + block);
    const fs::path file = folder / ("block-" + std::to_string(offset + begin) + ".safetensors");
    if (fs::exists(file)) {
      const at::Tensor saved =
          safetensors::File::open(file).load("embeddings", at::kFloat, model.device());
      if (saved.size(0) == end - begin) {
        parts.push_back(saved);
        if (options.progress) options.progress(end, n);
        continue;
      }
    }
    const std::vector<preference::SequenceRef> slice(sequences.begin() + begin,
                                                     sequences.begin() + end);
    preference::AnswerEmbeddingOptions part = options;
    part.progress = [&](std::int64_t done, std::int64_t) {
      if (options.progress) options.progress(begin + done, n);
    };
    parts.push_back(preference::embed_answers(model, slice, part));
    const fs::path staging = folder / (file.filename().string() + ".partial");
    safetensors::save(staging, {{"embeddings", parts.back().cpu()}});
    fs::rename(staging, file);
  }
  if (parts.empty()) {
    return at::zeros({0, model.config().hidden_size},
                     at::TensorOptions().dtype(at::kFloat).device(model.device()));
  }
  return at::cat(parts);
}

}  // namespace wizard::mining
