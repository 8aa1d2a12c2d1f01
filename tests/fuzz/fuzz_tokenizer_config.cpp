// tokenizer_config.json in a model folder (beside a small valid tokenizer.json): the special
// tokens Tokenizer::from_pretrained reads, and the chat templates load_chat_templates finds
// there, applied to a conversation.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/chat/template_loader.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace {

namespace fs = std::filesystem;

// A byte-level BPE with a few tokens and one special token.
const char* const kTokenizerJson = R"({"version": "1.0", "truncation": null, "padding": null,
  "added_tokens": [{"id": 5, "content": "<|im_end|>", "single_word": false, "lstrip": false,
                    "rstrip": false, "normalized": false, "special": true}],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
                    "use_regex": true},
  "post_processor": null,
  "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true,
              "use_regex": true},
  "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
            "ignore_merges": false,
            "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "!": 4},
            "merges": [["a", "b"]]}})";

fs::path model_folder() {
  static const fs::path folder = [] {
    char pattern[] = "/tmp/wizard-fuzz-tokenizer-config-XXXXXX";
    const fs::path made = ::mkdtemp(pattern);
    std::ofstream(made / "tokenizer.json") << kTokenizerJson;
    return made;
  }();
  return folder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path folder = model_folder();
  {
    std::ofstream out(folder / "tokenizer_config.json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    const wizard::Tokenizer tokenizer = wizard::Tokenizer::from_pretrained(folder);
    (void)tokenizer.encode("ab ab!<|im_end|>", true);
  } catch (const wizard::Error&) {
  }
  try {
    const wizard::ModelChatTemplates templates = wizard::load_chat_templates(folder);
    const nlohmann::ordered_json messages = nlohmann::ordered_json::parse(
        R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "2+2?"}])");
    wizard::ChatOptions options;
    options.add_generation_prompt = true;
    (void)templates.apply(messages, options);
  } catch (const wizard::Error&) {
  }
  return 0;
}
