#include "noise_augmentation.hpp"

#include <random>
#include <sstream>
#include <vector>

#include "augmentation_settings.hpp"
#include "wizard/base/error.hpp"

namespace wizard::cpo {

std::string noisy_answer(const std::string& text, std::uint64_t seed) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  if (words.size() < 2) return text;
  std::mt19937_64 random(seed);
  std::vector<std::string> kept;
  for (const auto& word : words) {
    if (std::uniform_real_distribution<double>(0, 1)(random) >= 0.15) kept.push_back(word);
  }
  if (kept.empty()) kept.push_back(words[random() % words.size()]);
  if (kept.size() >= 2) {
    const std::size_t at = random() % (kept.size() - 1);
    std::swap(kept[at], kept[at + 1]);
  }
  std::string out;
  for (const auto& word : kept) out += (out.empty() ? "" : " ") + word;
  return out;
}

std::int64_t add_noise_negatives(Dataset& rows, const std::string& chosen_column,
                                 const std::string& negatives_column, double ratio,
                                 std::uint64_t seed) {
  std::int64_t added = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!augments_row(seed, i, ratio)) continue;
    const std::uint64_t draw = augmentation_mix(seed, i);
    Row& row = rows.row(i);
    if (!row.contains(chosen_column)) continue;  // the tokenizer reports such rows
    Row negative = row[chosen_column];
    std::string* text = nullptr;
    if (negative.is_string()) {
      text = negative.get_ptr<std::string*>();
    } else if (negative.is_array() && !negative.empty() && negative.back().is_object() &&
               negative.back().contains("content") && negative.back()["content"].is_string()) {
      text = negative.back()["content"].get_ptr<std::string*>();
    }
    if (!text) continue;
    const std::string noisy = noisy_answer(*text, augmentation_mix(draw, 1));
    if (noisy == *text) continue;
    *text = noisy;
    Row& list = row[negatives_column];
    if (list.is_null()) list = Row::array();
    if (!list.is_array()) {
      throw ConfigError(rows.where(i) + ": column '" + negatives_column +
                        "' is not a list, so augmentation cannot add a negative to it");
    }
    list.push_back(std::move(negative));
    ++added;
  }
  return added;
}

}  // namespace wizard::cpo
