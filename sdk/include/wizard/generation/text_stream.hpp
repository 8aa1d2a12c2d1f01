// One answer's text as its tokens arrive: what can be shown so far (never half a UTF-8
// character), and whether one of the stop strings has appeared.
//
//   TextStream stream(tokenizer, {"###"});
//   for each new token: std::cout << stream.add(token); if (stream.stopped()) break;
//
// Stop strings are looked for in the answer's text with special tokens kept (so "<|im_end|>"
// works as a stop string), as transformers' StopStringCriteria matches token strings; the
// text shown skips special tokens, as tokenizer.decode(skip_special_tokens=True).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard::generation {

class WIZARD_API TextStream {
 public:
  TextStream(Tokenizer tokenizer, std::vector<std::string> stop_strings);

  // Adds the next token; returns the text that became printable with it (possibly empty).
  std::string add(std::int32_t token);
  // The text shown so far plus anything held back (the whole answer once generation ends).
  std::string text() const;
  const std::vector<std::int32_t>& tokens() const { return tokens_; }
  // True once a stop string has appeared in the answer.
  bool stopped() const { return stopped_; }

 private:
  Tokenizer tokenizer_;
  std::vector<std::string> stop_strings_;
  std::vector<std::int32_t> tokens_;
  std::size_t shown_ = 0;     // bytes of the display text already returned
  std::size_t searched_ = 0;  // bytes of the raw text already searched for stop strings
  bool stopped_ = false;
};

}  // namespace wizard::generation
