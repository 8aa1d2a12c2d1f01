#include "wizard/plugin/negative_choice.hpp"

#include <algorithm>
#include <cmath>

namespace wizard {

NegativeChoice::NegativeChoice(const std::vector<NegativeCandidate>& pool, std::uint64_t seed)
    : pool_(pool), state_(seed), is_taken_(pool.size(), false) {}

std::uint64_t NegativeChoice::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t NegativeChoice::below(std::uint64_t n) {
  // Rejection sampling: draws in the incomplete last block of n would favour small values.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t draw = next();
  while (draw >= limit) draw = next();
  return draw % n;
}

void NegativeChoice::take_uniform(std::vector<std::int64_t> from, std::int64_t n) {
  // A partial Fisher-Yates shuffle: the first n places are a uniform sample, in random order.
  const auto count = static_cast<std::int64_t>(from.size());
  for (std::int64_t i = 0; i < std::min(n, count); ++i) {
    const auto j = i + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(count - i)));
    std::swap(from[i], from[j]);
    taken_.push_back(from[i]);
    is_taken_[from[i]] = true;
  }
}

void NegativeChoice::take_random(std::int64_t n) {
  std::vector<std::int64_t> left;
  for (std::size_t i = 0; i < pool_.size(); ++i) {
    if (!is_taken_[i]) left.push_back(static_cast<std::int64_t>(i));
  }
  take_uniform(std::move(left), n);
}

void NegativeChoice::take_hard(std::int64_t n) {
  std::vector<std::int64_t> hard, others;
  for (std::size_t i = 0; i < pool_.size(); ++i) {
    if (is_taken_[i]) continue;
    (pool_[i].hard ? hard : others).push_back(static_cast<std::int64_t>(i));
  }
  const std::size_t before = taken_.size();
  take_uniform(std::move(hard), n);
  const auto still = n - static_cast<std::int64_t>(taken_.size() - before);
  if (still <= 0) return;
  // Highest policy score first; NaN (not scored) last; stable, so ties keep pool order.
  std::stable_sort(others.begin(), others.end(), [&](std::int64_t a, std::int64_t b) {
    const double sa = pool_[a].policy_score, sb = pool_[b].policy_score;
    if (std::isnan(sb)) return !std::isnan(sa);
    if (std::isnan(sa)) return false;
    return sa > sb;
  });
  for (std::int64_t i = 0; i < std::min<std::int64_t>(still, others.size()); ++i) {
    taken_.push_back(others[i]);
    is_taken_[others[i]] = true;
  }
}

std::int64_t NegativeChoice::hard_count() const {
  return std::count_if(pool_.begin(), pool_.end(),
                       [](const NegativeCandidate& c) { return c.hard; });
}

}  // namespace wizard
