// Generated preference pairs, for smoke tests, the quickstart and benchmarks:
// no files, no downloads, the same rows for the same seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace wizard::synthetic {

struct Pair {
  std::string prompt;
  std::string chosen;
  std::string rejected;
  std::string word;  // the task's word (uppercase, reverse)
};

struct LengthRange {
  int64_t min = 0;
  int64_t max = 0;
};

// A random lowercase word with a length in `range`.
std::string random_word(std::mt19937_64& rng, LengthRange range);

// "Uppercase: cat" -> "CAT"; rejected: a plausible slip (one letter left
// lowercase, two letters swapped, a letter dropped, only the first capital).
Pair uppercase_pair(std::mt19937_64& rng, LengthRange word);

// "Reverse: cat" -> "tac"; rejected: the word unreversed, two letters of the
// answer swapped, or the answer with a letter dropped.
Pair reverse_pair(std::mt19937_64& rng, LengthRange word);

// Random words for throughput measurements: a prompt of `prompt` characters and
// two unrelated answers of `answer` characters each (byte-level tokenizers:
// one token per character).
Pair random_text_pair(std::mt19937_64& rng, LengthRange prompt, LengthRange answer);

// More wrong answers for a pair, distinct from each other, the chosen and the rejected one.
// `hard`: near misses one edit away (a letter left as it was, two neighbours swapped, a letter
// dropped or doubled); otherwise easy ones (the word untouched, another word, the answer
// reversed). Random text draws more random text either way. Fewer than `count` when a short
// word has no more distinct slips.
std::vector<std::string> more_negatives(std::mt19937_64& rng, const std::string& task,
                                        const Pair& pair, std::size_t count, bool hard);

}  // namespace wizard::synthetic
