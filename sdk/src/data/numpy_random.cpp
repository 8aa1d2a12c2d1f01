// Algorithms from NumPy's numpy/random: SeedSequence (bit_generator.pyx),
// PCG64 (pcg64.h, XSL-RR 128/64) and Generator.shuffle (random_interval).
#include "wizard/data/numpy_random.hpp"

#include <array>
#include <numeric>

namespace wizard {

namespace {

constexpr std::uint32_t kInitA = 0x43b0d7e5;
constexpr std::uint32_t kMultA = 0x931e8875;
constexpr std::uint32_t kInitB = 0x8b51f9dd;
constexpr std::uint32_t kMultB = 0x58f38ded;
constexpr std::uint32_t kMixMultL = 0xca01f9dd;
constexpr std::uint32_t kMixMultR = 0x4973f715;
constexpr int kXShift = 16;
constexpr std::size_t kPoolSize = 4;

std::uint32_t hashmix(std::uint32_t value, std::uint32_t& hash_const) {
  value ^= hash_const;
  hash_const *= kMultA;
  value *= hash_const;
  value ^= value >> kXShift;
  return value;
}

std::uint32_t mix(std::uint32_t x, std::uint32_t y) {
  std::uint32_t result = kMixMultL * x - kMixMultR * y;
  result ^= result >> kXShift;
  return result;
}

// SeedSequence's entropy words: each integer as little-endian 32-bit words (0 -> one word).
std::vector<std::uint32_t> entropy_words(const std::vector<std::uint64_t>& entropy) {
  std::vector<std::uint32_t> words;
  for (std::uint64_t value : entropy) {
    do {
      words.push_back(static_cast<std::uint32_t>(value));
      value >>= 32;
    } while (value != 0);
  }
  return words;
}

std::array<std::uint32_t, kPoolSize> mix_entropy(const std::vector<std::uint32_t>& entropy) {
  std::array<std::uint32_t, kPoolSize> pool{};
  std::uint32_t hash_const = kInitA;
  for (std::size_t i = 0; i < kPoolSize; ++i) {
    pool[i] = hashmix(i < entropy.size() ? entropy[i] : 0, hash_const);
  }
  for (std::size_t source = 0; source < kPoolSize; ++source) {
    for (std::size_t target = 0; target < kPoolSize; ++target) {
      if (source != target) pool[target] = mix(pool[target], hashmix(pool[source], hash_const));
    }
  }
  for (std::size_t source = kPoolSize; source < entropy.size(); ++source) {
    for (std::size_t target = 0; target < kPoolSize; ++target) {
      pool[target] = mix(pool[target], hashmix(entropy[source], hash_const));
    }
  }
  return pool;
}

// SeedSequence.generate_state(4, np.uint64).
std::array<std::uint64_t, 4> generate_state(const std::array<std::uint32_t, kPoolSize>& pool) {
  std::array<std::uint32_t, 8> words{};
  std::uint32_t hash_const = kInitB;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::uint32_t value = pool[i % kPoolSize];
    value ^= hash_const;
    hash_const *= kMultB;
    value *= hash_const;
    value ^= value >> kXShift;
    words[i] = value;
  }
  std::array<std::uint64_t, 4> state{};
  for (std::size_t i = 0; i < state.size(); ++i) {
    state[i] = static_cast<std::uint64_t>(words[2 * i]) |
               (static_cast<std::uint64_t>(words[2 * i + 1]) << 32);
  }
  return state;
}

constexpr unsigned __int128 kMultiplier =
    (static_cast<unsigned __int128>(2549297995355413924ULL) << 64) | 4865540595714422341ULL;

}  // namespace

NumpyPcg64::NumpyPcg64(const std::vector<std::uint64_t>& entropy) {
  const auto seed = generate_state(mix_entropy(entropy_words(entropy)));
  const unsigned __int128 initial_state = (static_cast<unsigned __int128>(seed[0]) << 64) | seed[1];
  const unsigned __int128 sequence = (static_cast<unsigned __int128>(seed[2]) << 64) | seed[3];
  // pcg_setseq_128_srandom_r
  increment_ = (sequence << 1) | 1;
  state_ = 0;
  state_ = state_ * kMultiplier + increment_;
  state_ += initial_state;
  state_ = state_ * kMultiplier + increment_;
}

std::uint64_t NumpyPcg64::next_uint64() {
  state_ = state_ * kMultiplier + increment_;
  const auto high = static_cast<std::uint64_t>(state_ >> 64);
  const auto low = static_cast<std::uint64_t>(state_);
  const unsigned rotation = static_cast<unsigned>(state_ >> 122);
  const std::uint64_t value = high ^ low;
  return (value >> rotation) | (value << ((64 - rotation) & 63));
}

std::uint32_t NumpyPcg64::next_uint32() {
  if (has_uint32_) {
    has_uint32_ = false;
    return uint32_;
  }
  const std::uint64_t next = next_uint64();
  has_uint32_ = true;
  uint32_ = static_cast<std::uint32_t>(next >> 32);
  return static_cast<std::uint32_t>(next);
}

std::uint64_t NumpyPcg64::interval(std::uint64_t max) {
  if (max == 0) return 0;
  std::uint64_t mask = max;
  for (int shift = 1; shift <= 32; shift *= 2) mask |= mask >> shift;
  std::uint64_t value = 0;
  if (max <= 0xffffffffULL) {
    while ((value = (next_uint32() & mask)) > max) {
    }
  } else {
    while ((value = (next_uint64() & mask)) > max) {
    }
  }
  return value;
}

std::vector<std::int64_t> numpy_permutation(std::int64_t n,
                                            const std::vector<std::uint64_t>& entropy) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n > 0 ? n : 0));
  std::iota(order.begin(), order.end(), 0);
  NumpyPcg64 generator(entropy);
  for (std::int64_t i = n - 1; i >= 1; --i) {
    const auto j = static_cast<std::int64_t>(generator.interval(static_cast<std::uint64_t>(i)));
    std::swap(order[i], order[j]);
  }
  return order;
}

}  // namespace wizard
