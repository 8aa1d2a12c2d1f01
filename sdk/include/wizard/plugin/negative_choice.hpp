// The choices negative samplers are made of, deterministic for a seed on every platform (no
// std:: distributions, whose draws differ between standard libraries):
//
//   NegativeChoice choice(pool, seed);
//   choice.take_hard(2);    // hard candidates first, topped up by the policy's favourites
//   choice.take_random(1);  // then one more of those left, uniformly
//   return choice.taken();
#pragma once

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/plugin/negative_sampler.hpp"

namespace wizard {

class WIZARD_API NegativeChoice {
 public:
  NegativeChoice(const std::vector<NegativeCandidate>& pool, std::uint64_t seed);

  // Up to n of the candidates not taken yet, uniformly at random.
  void take_random(std::int64_t n);
  // Up to n candidates not taken yet: hard ones first (uniformly at random among them), then,
  // when there are too few, those the policy scores highest (the ones it finds most likely,
  // i.e. the most confusable); ties go to the earlier candidate.
  void take_hard(std::int64_t n);

  // The indices taken so far, in the order taken.
  const std::vector<std::int64_t>& taken() const { return taken_; }
  // Hard candidates in the pool.
  std::int64_t hard_count() const;

 private:
  std::uint64_t next();                  // splitmix64
  std::uint64_t below(std::uint64_t n);  // uniform in [0, n), unbiased
  void take_uniform(std::vector<std::int64_t> from, std::int64_t n);

  const std::vector<NegativeCandidate>& pool_;
  std::uint64_t state_;
  std::vector<bool> is_taken_;
  std::vector<std::int64_t> taken_;
};

}  // namespace wizard
