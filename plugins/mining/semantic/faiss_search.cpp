// FAISS's HNSW index for the nearest answers above mining_exact_limit (compiled only when
// the build found libfaiss-dev).
#include <ATen/core/grad_mode.h>
#include <faiss/IndexHNSW.h>

#include <algorithm>
#include <vector>

#include "nearest_answers.hpp"

namespace wizard::mining {

bool have_faiss() {
  return true;
}

Neighbours faiss_nearest(const at::Tensor& embeddings, std::int64_t k,
                         const SearchProgress& progress) {
  at::NoGradGuard no_grad;
  const at::Tensor points = embeddings.to(at::kCPU, at::kFloat).contiguous();
  const std::int64_t n = points.size(0), d = points.size(1);
  faiss::IndexHNSWFlat index(static_cast<int>(d), 32, faiss::METRIC_INNER_PRODUCT);
  index.hnsw.efConstruction = 80;
  index.hnsw.efSearch = static_cast<int>(std::max<std::int64_t>(64, 2 * (k + 1)));
  index.add(n, points.data_ptr<float>());
  // k + 1: a row usually finds itself first; it is dropped below.
  const std::int64_t want = std::min(k + 1, n);
  std::vector<float> distances(static_cast<std::size_t>(n * want));
  // FAISS's idx_t is int64_t (faiss::Index::idx_t before 1.7.4, faiss::idx_t since).
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n * want));
  const std::int64_t chunk = 4096;
  for (std::int64_t begin = 0; begin < n; begin += chunk) {
    const std::int64_t rows = std::min(chunk, n - begin);
    index.search(rows, points.data_ptr<float>() + begin * d, want, distances.data() + begin * want,
                 labels.data() + begin * want);
    if (progress) progress(begin + rows, n);
  }
  Neighbours out{at::full({n, k}, -1, at::kLong),
                 at::full({n, k}, -std::numeric_limits<float>::infinity(), at::kFloat)};
  auto* index_out = out.indices.data_ptr<std::int64_t>();
  auto* score_out = out.scores.data_ptr<float>();
  for (std::int64_t row = 0; row < n; ++row) {
    std::int64_t kept = 0;
    for (std::int64_t j = 0; j < want && kept < k; ++j) {
      const std::int64_t label = labels[static_cast<std::size_t>(row * want + j)];
      if (label < 0 || label == row) continue;
      index_out[row * k + kept] = label;
      score_out[row * k + kept] = distances[static_cast<std::size_t>(row * want + j)];
      ++kept;
    }
  }
  out.indices = out.indices.to(embeddings.device());
  out.scores = out.scores.to(embeddings.device());
  return out;
}

}  // namespace wizard::mining
