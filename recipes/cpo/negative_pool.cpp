#include "negative_pool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "wizard/base/error.hpp"

namespace wizard::cpo {

namespace {

constexpr double kUnscored = std::numeric_limits<double>::quiet_NaN();

std::uint64_t mix(std::uint64_t state, std::uint64_t value) {
  std::uint64_t z = state ^ (value + 0x9e3779b97f4a7c15ULL + (state << 6) + (state >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

NegativeSource source_of(const TokenizedPreference& pair, std::size_t k) {
  return k == 0 ? NegativeSource::rejected : pair.more_negatives[k - 1].source;
}

bool is_hard(NegativeSource source) {
  return source == NegativeSource::hard || source == NegativeSource::mined;
}

std::size_t shared_start(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b) {
  const std::size_t limit = std::min(a.size(), b.size());
  std::size_t n = 0;
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

std::vector<preference::SequenceRef> own_negatives(const TokenizedPreference& pair) {
  std::vector<preference::SequenceRef> refs = {
      {&pair.rejected_input_ids, pair.rejected_prompt_length}};
  for (const TokenizedNegative& negative : pair.more_negatives) {
    refs.push_back({&negative.input_ids, negative.prompt_length});
  }
  return refs;
}

std::int64_t packed_example_tokens(const TokenizedPreference& pair, std::int64_t k) {
  std::vector<std::size_t> rests;
  for (const auto& negative : own_negatives(pair)) {
    rests.push_back(negative.ids->size() - shared_start(*negative.ids, pair.chosen_input_ids));
  }
  std::sort(rests.rbegin(), rests.rend());
  std::size_t tokens = pair.chosen_input_ids.size();
  for (std::size_t i = 0; i < rests.size() && static_cast<std::int64_t>(i) < k; ++i) {
    tokens += rests[i];
  }
  return static_cast<std::int64_t>(tokens);
}

NegativePool::NegativePool(const std::vector<TokenizedPreference>& pairs,
                           std::shared_ptr<NegativeSampler> sampler, NegativeSettings settings)
    : pairs_(pairs), sampler_(std::move(sampler)), settings_(settings), visits_(pairs.size(), 0) {}

PreparedBatch NegativePool::training_batch(const std::vector<std::int64_t>& indices,
                                           const PolicyScorer& policy_scores) {
  PreparedBatch batch;
  const std::int64_t k = settings_.num_negatives;
  for (std::size_t j = 0; j < indices.size(); ++j) {
    const std::int64_t index = indices[j];
    const TokenizedPreference& pair = pairs_.at(static_cast<std::size_t>(index));
    preference::ExampleToScore all{{&pair.chosen_input_ids, pair.chosen_prompt_length},
                                   own_negatives(pair)};
    std::vector<NegativeCandidate> pool;
    for (std::size_t c = 0; c < all.negatives.size(); ++c) {
      const NegativeSource source = source_of(pair, c);
      pool.push_back({source, is_hard(source), kUnscored});
    }
    const std::size_t own_count = pool.size();
    if (settings_.in_batch) {
      // This prompt followed by another example's chosen answer (as tokenized with its prompt).
      const std::vector<std::int32_t> prompt(
          pair.chosen_input_ids.begin(),
          pair.chosen_input_ids.begin() + static_cast<std::ptrdiff_t>(pair.chosen_prompt_length));
      for (std::size_t other = 0; other < indices.size(); ++other) {
        if (other == j) continue;
        const TokenizedPreference& o = pairs_.at(static_cast<std::size_t>(indices[other]));
        auto sequence = std::make_unique<std::vector<std::int32_t>>(prompt);
        sequence->insert(
            sequence->end(),
            o.chosen_input_ids.begin() + static_cast<std::ptrdiff_t>(o.chosen_prompt_length),
            o.chosen_input_ids.end());
        if (*sequence == pair.chosen_input_ids || sequence->size() == prompt.size()) continue;
        all.negatives.push_back({sequence.get(), prompt.size()});
        batch.made_sequences.push_back(std::move(sequence));
        pool.push_back({NegativeSource::in_batch, false, kUnscored});
      }
    }
    if (sampler_->uses_policy_scores(pool, k)) {
      Scores& cached = scores_[index];
      const bool stale = cached.values.size() != own_count ||
                         step_ - cached.step >= sampler_->policy_score_refresh_steps();
      // In-batch candidates change with the batch: scored afresh; the example's own are kept.
      std::vector<double> fresh;     // scores of what was scored now
      std::size_t fresh_offset = 0;  // the pool index of fresh[0]
      if (stale) {
        fresh = policy_scores(all);
        cached.step = step_;
        cached.values.assign(fresh.begin(), fresh.begin() + static_cast<std::ptrdiff_t>(own_count));
      } else if (pool.size() > own_count) {
        preference::ExampleToScore in_batch{all.chosen, {}};
        in_batch.negatives.assign(all.negatives.begin() + static_cast<std::ptrdiff_t>(own_count),
                                  all.negatives.end());
        fresh = policy_scores(in_batch);
        fresh_offset = own_count;
      }
      for (std::size_t c = 0; c < pool.size(); ++c) {
        pool[c].policy_score = c < own_count ? cached.values[c] : fresh.at(c - fresh_offset);
      }
    }
    const std::uint64_t seed =
        mix(mix(settings_.seed, static_cast<std::uint64_t>(index)),
            static_cast<std::uint64_t>(visits_.at(static_cast<std::size_t>(index))++));
    const std::vector<std::int64_t> chosen = sampler_->choose(pool, k, seed);
    const std::set<std::int64_t> distinct(chosen.begin(), chosen.end());
    const bool valid = !chosen.empty() && static_cast<std::int64_t>(chosen.size()) <= k &&
                       distinct.size() == chosen.size() && *distinct.begin() >= 0 &&
                       *distinct.rbegin() < static_cast<std::int64_t>(pool.size());
    if (!valid) {
      throw Error("the negative sampler chose " + std::to_string(chosen.size()) +
                  " negatives for an example with " + std::to_string(pool.size()) +
                  " candidates and num_negatives = " + std::to_string(k) +
                  "; a NegativeSampler must return between 1 and K distinct indices into the "
                  "pool (the plugin has a bug)");
    }
    if (static_cast<std::int64_t>(pool.size()) < k) ++batch.short_examples;
    preference::ExampleToScore example{all.chosen, {}};
    for (std::int64_t c : chosen) example.negatives.push_back(all.negatives[c]);
    batch.examples.push_back(std::move(example));
  }
  return batch;
}

PreparedBatch NegativePool::evaluation_batch(const std::vector<std::int64_t>& indices) const {
  PreparedBatch batch;
  for (std::int64_t index : indices) {
    const TokenizedPreference& pair = pairs_.at(static_cast<std::size_t>(index));
    batch.examples.push_back(
        {{&pair.chosen_input_ids, pair.chosen_prompt_length}, own_negatives(pair)});
  }
  return batch;
}

nlohmann::json NegativePool::save_state() const {
  nlohmann::json scores = nlohmann::json::object();
  for (const auto& [index, entry] : scores_) {
    scores[std::to_string(index)] = {{"step", entry.step}, {"values", entry.values}};
  }
  return {{"step", step_}, {"visits", visits_}, {"policy_scores", scores}};
}

void NegativePool::load_state(const nlohmann::json& state) {
  const auto visits = state.at("visits").get<std::vector<std::int64_t>>();
  if (visits.size() != pairs_.size()) {
    throw Error("the checkpoint's negative-sampling state is for " + std::to_string(visits.size()) +
                " training examples, this run has " + std::to_string(pairs_.size()) +
                "; resume with the data the checkpoint was trained on");
  }
  visits_ = visits;
  step_ = state.value("step", std::int64_t{0});
  scores_.clear();
  for (const auto& [key, entry] : state.at("policy_scores").items()) {
    // JSON has no NaN: scores are always finite log-probabilities.
    scores_[std::stoll(key)] = {entry.at("step").get<std::int64_t>(),
                                entry.at("values").get<std::vector<double>>()};
  }
}

}  // namespace wizard::cpo
