// tokenizer.json "post_processor": TemplateProcessing, BertProcessing,
// RobertaProcessing, ByteLevel (offsets only: ids unchanged) and Sequence.
// Special tokens are added only when the caller asks for them.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tokenizer/json_view.hpp"

namespace wizard::tokenizer {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Rewrites the ids of one (single) sequence.
  virtual void process(std::vector<std::int32_t>& ids, bool add_special_tokens) const = 0;
};

// The post-processor a tokenizer.json node describes; nullptr for `null`.
std::unique_ptr<PostProcessor> make_post_processor(const JsonView& node);

}  // namespace wizard::tokenizer
