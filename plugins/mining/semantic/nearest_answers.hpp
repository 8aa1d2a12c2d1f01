// The nearest neighbours of L2-normalised embeddings by inner product (cosine similarity):
// exactly, by chunked matrix products, or approximately with FAISS's HNSW index (when built
// with it). Each row's own row is never its neighbour.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

namespace wizard::mining {

struct Neighbours {
  at::Tensor indices;  // [N, k] int64, -1 where a row has fewer than k others
  at::Tensor scores;   // [N, k] float32 (cosine similarities)
};

using SearchProgress = std::function<void(std::int64_t done, std::int64_t total)>;

// Rows [first, first + rows) of `embeddings` [N, D] (rows < 0: to the end) against all others,
// `chunk` rows at a time: [rows, k].
Neighbours exact_nearest(const at::Tensor& embeddings, std::int64_t k, std::int64_t chunk,
                         const SearchProgress& progress, std::int64_t first = 0,
                         std::int64_t rows = -1);

// Whether this build has FAISS.
bool have_faiss();
// The same with FAISS's HNSW index (inner product; M = 32, efSearch = max(64, 2k)), on the
// CPU. Throws when the build has no FAISS.
Neighbours faiss_nearest(const at::Tensor& embeddings, std::int64_t k,
                         const SearchProgress& progress);

}  // namespace wizard::mining
