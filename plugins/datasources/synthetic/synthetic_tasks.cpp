#include "synthetic_tasks.hpp"

#include <algorithm>
#include <cctype>

namespace wizard::synthetic {

namespace {

int64_t uniform(std::mt19937_64& rng, int64_t low, int64_t high) {
  return std::uniform_int_distribution<int64_t>(low, high)(rng);
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// A different string than `correct`, made by swapping two neighbouring letters.
std::string swap_neighbours(std::mt19937_64& rng, std::string text) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    const auto i = static_cast<std::size_t>(uniform(rng, 0, static_cast<int64_t>(text.size()) - 2));
    if (text[i] != text[i + 1]) {
      std::swap(text[i], text[i + 1]);
      return text;
    }
  }
  return text + text.back();  // every neighbour equal: a doubled last letter instead
}

std::string drop_letter(std::mt19937_64& rng, std::string text) {
  text.erase(static_cast<std::size_t>(uniform(rng, 0, static_cast<int64_t>(text.size()) - 1)), 1);
  return text;
}

}  // namespace

std::string random_word(std::mt19937_64& rng, LengthRange range) {
  const int64_t length = uniform(rng, range.min, range.max);
  std::string word;
  for (int64_t i = 0; i < length; ++i) word += static_cast<char>('a' + uniform(rng, 0, 25));
  return word;
}

Pair uppercase_pair(std::mt19937_64& rng, LengthRange range) {
  const std::string word = random_word(rng, range);
  const std::string answer = upper(word);
  std::string wrong;
  switch (uniform(rng, 0, 3)) {
    case 0: {  // one letter left lowercase
      wrong = answer;
      const auto i =
          static_cast<std::size_t>(uniform(rng, 0, static_cast<int64_t>(word.size()) - 1));
      wrong[i] = word[i];
      break;
    }
    case 1:
      wrong = swap_neighbours(rng, answer);
      break;
    case 2:
      wrong = drop_letter(rng, answer);
      break;
    default:  // only the first letter capitalised
      wrong = word;
      wrong[0] = answer[0];
  }
  return {"Uppercase: " + word + "\n", answer, wrong, word};
}

Pair reverse_pair(std::mt19937_64& rng, LengthRange range) {
  const std::string word = random_word(rng, range);
  std::string answer(word.rbegin(), word.rend());
  std::string wrong;
  switch (uniform(rng, 0, 2)) {
    case 0:
      wrong = word == answer ? swap_neighbours(rng, answer) : word;
      break;
    case 1:
      wrong = swap_neighbours(rng, answer);
      break;
    default:
      wrong = drop_letter(rng, answer);
  }
  return {"Reverse: " + word + "\n", answer, wrong, word};
}

Pair random_text_pair(std::mt19937_64& rng, LengthRange prompt, LengthRange answer) {
  auto text = [&](LengthRange range) {
    const int64_t length = uniform(rng, range.min, range.max);
    std::string out;
    while (static_cast<int64_t>(out.size()) < length) {
      if (!out.empty()) out += ' ';
      out += random_word(rng, {2, 9});
    }
    out.resize(static_cast<std::size_t>(length));
    return out;
  };
  Pair pair;
  pair.prompt = text(prompt);
  pair.chosen = text(answer);
  pair.rejected = text(answer);
  return pair;
}

namespace {

// One slip of `answer` (the task's correct output for `word`).
std::string slip(std::mt19937_64& rng, const std::string& task, const std::string& word,
                 const std::string& answer, bool hard) {
  if (hard) {
    switch (uniform(rng, 0, 3)) {
      case 0: {  // one letter as the input had it
        std::string wrong = answer;
        const auto i =
            static_cast<std::size_t>(uniform(rng, 0, static_cast<int64_t>(word.size()) - 1));
        wrong[i] = task == "uppercase" ? word[i] : word[word.size() - 1 - i];
        return wrong;
      }
      case 1:
        return swap_neighbours(rng, answer);
      case 2:
        return drop_letter(rng, answer);
      default: {  // a letter doubled
        const auto i =
            static_cast<std::size_t>(uniform(rng, 0, static_cast<int64_t>(answer.size()) - 1));
        return answer.substr(0, i + 1) + answer.substr(i);
      }
    }
  }
  const std::string other =
      random_word(rng, {static_cast<int64_t>(word.size()), static_cast<int64_t>(word.size())});
  switch (uniform(rng, 0, 2)) {
    case 0:
      return word;  // the input returned untouched
    case 1:
      return task == "uppercase" ? upper(other) : std::string(other.rbegin(), other.rend());
    default:
      return std::string(answer.rbegin(), answer.rend());
  }
}

}  // namespace

std::vector<std::string> more_negatives(std::mt19937_64& rng, const std::string& task,
                                        const Pair& pair, std::size_t count, bool hard) {
  std::vector<std::string> out;
  for (int attempt = 0; out.size() < count && attempt < 64; ++attempt) {
    std::string wrong;
    if (task == "random_text") {
      const auto length = static_cast<int64_t>(pair.chosen.size());
      while (static_cast<int64_t>(wrong.size()) < length) {
        if (!wrong.empty()) wrong += ' ';
        wrong += random_word(rng, {2, 9});
      }
      wrong.resize(pair.chosen.size());
    } else {
      wrong = slip(rng, task, pair.word, pair.chosen, hard);
    }
    if (wrong.empty() || wrong == pair.chosen || wrong == pair.rejected ||
        std::find(out.begin(), out.end(), wrong) != out.end()) {
      continue;
    }
    out.push_back(wrong);
  }
  return out;
}

}  // namespace wizard::synthetic
