#include "nearest_answers.hpp"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <limits>

#include "wizard/base/error.hpp"

namespace wizard::mining {

Neighbours exact_nearest(const at::Tensor& embeddings, std::int64_t k, std::int64_t chunk,
                         const SearchProgress& progress, std::int64_t first, std::int64_t rows) {
  at::NoGradGuard no_grad;
  const std::int64_t n = embeddings.size(0);
  if (rows < 0) rows = n - first;
  const std::int64_t take = std::min(k, std::max<std::int64_t>(n - 1, 0));
  const auto long_options = at::TensorOptions().dtype(at::kLong).device(embeddings.device());
  Neighbours out{at::full({rows, k}, -1, long_options),
                 at::full({rows, k}, -std::numeric_limits<float>::infinity(),
                          embeddings.options().dtype(at::kFloat))};
  if (take == 0) return out;
  const at::Tensor keys = embeddings.t();
  for (std::int64_t done = 0; done < rows; done += chunk) {
    const std::int64_t count = std::min(chunk, rows - done), begin = first + done;
    at::Tensor sims = at::matmul(embeddings.narrow(0, begin, count), keys).to(at::kFloat);
    // A row is not its own neighbour.
    const at::Tensor self = at::arange(begin, begin + count, long_options).unsqueeze(1);
    sims.scatter_(1, self, -std::numeric_limits<float>::infinity());
    const auto [scores, indices] = sims.topk(take, 1);
    out.scores.narrow(0, done, count).narrow(1, 0, take).copy_(scores);
    out.indices.narrow(0, done, count).narrow(1, 0, take).copy_(indices);
    if (progress) progress(done + count, rows);
  }
  return out;
}

}  // namespace wizard::mining

#ifndef WIZARD_WITH_FAISS
namespace wizard::mining {

bool have_faiss() {
  return false;
}

Neighbours faiss_nearest(const at::Tensor&, std::int64_t, const SearchProgress&) {
  throw Error(
      "this build of wizard has no FAISS (libfaiss-dev was not found when it was built), so "
      "mining cannot search more answers than mining_exact_limit approximately; raise "
      "mining_exact_limit (exact search: time and memory grow with the square of the answers) "
      "or install libfaiss-dev and rebuild");
}

}  // namespace wizard::mining
#endif
