// Mining's search figures (docs/cpo.md): exact search against FAISS's HNSW index on N random
// unit vectors of dimension D — seconds for each and FAISS's recall@K against the exact
// neighbours. Not built by default:
//   ninja -C build bench_mining && build/bin/bench_mining 10000 896 4
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "nearest_answers.hpp"

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 10000;
  const std::int64_t d = argc > 2 ? std::atoll(argv[2]) : 896;
  const std::int64_t k = argc > 3 ? std::atoll(argv[3]) : 4;
  at::manual_seed(0);
  at::Tensor x = at::randn({n, d});
  x = x / x.norm(2, {1}, true);
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  const auto exact = wizard::mining::exact_nearest(x, k, 1024, {});
  const double exact_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("N=%lld D=%lld K=%lld exact %.2f s\n", static_cast<long long>(n),
              static_cast<long long>(d), static_cast<long long>(k), exact_s);
  if (!wizard::mining::have_faiss()) return 0;
  start = Clock::now();
  const auto approx = wizard::mining::faiss_nearest(x, k, {});
  const double faiss_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::int64_t found = 0;
  const at::Tensor e = exact.indices.contiguous(), a = approx.indices.contiguous();
  for (std::int64_t i = 0; i < n; ++i) {
    std::set<std::int64_t> truth;
    for (std::int64_t j = 0; j < k; ++j) truth.insert(e[i][j].item<std::int64_t>());
    for (std::int64_t j = 0; j < k; ++j) found += truth.count(a[i][j].item<std::int64_t>());
  }
  std::printf("FAISS HNSW %.2f s (build + search), recall@%lld %.4f\n", faiss_s,
              static_cast<long long>(k), static_cast<double>(found) / static_cast<double>(n * k));
  return 0;
}
