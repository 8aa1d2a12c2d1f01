// NumPy's default random generator, bit for bit: np.random.default_rng(seed)
// (SeedSequence -> PCG64) and Generator.permutation(n). Hugging Face datasets
// shuffles and splits with it (Dataset.shuffle(seed), train_test_split(seed)),
// so wizard picks the same rows for the same seed.
//
//   auto order = wizard::numpy_permutation(10, {42});   // == default_rng(42).permutation(10)
#pragma once

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard {

class WIZARD_API NumpyPcg64 {
 public:
  // default_rng(entropy): each entry is one integer of the seed sequence
  // (default_rng(42) -> {42}, default_rng([seed, epoch]) -> {seed, epoch}).
  explicit NumpyPcg64(const std::vector<std::uint64_t>& entropy);

  std::uint64_t next_uint64();
  std::uint32_t next_uint32();  // halves of one 64-bit draw, low half first
  // A uniform integer in [0, max] (NumPy's random_interval, masked rejection).
  std::uint64_t interval(std::uint64_t max);

 private:
  unsigned __int128 state_ = 0;
  unsigned __int128 increment_ = 0;
  bool has_uint32_ = false;
  std::uint32_t uint32_ = 0;
};

// default_rng(entropy).permutation(n).
WIZARD_API std::vector<std::int64_t> numpy_permutation(std::int64_t n,
                                                       const std::vector<std::uint64_t>& entropy);

}  // namespace wizard
