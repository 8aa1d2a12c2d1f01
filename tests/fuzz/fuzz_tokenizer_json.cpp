// tokenizer.json as Tokenizer::from_json_text reads it, then encoding and decoding with it.
#include "fuzz_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = wizard::fuzz::text_of(data, size);
  try {
    const wizard::Tokenizer tokenizer =
        wizard::Tokenizer::from_json_text(text, "fuzz/tokenizer.json");
    for (const std::string sample :
         {std::string("Hello, world! It's 2024 -- naïve café\n\t  ok"),
          std::string("<|im_start|>user\nhi<|im_end|>\n<s> </s> [INST]"),
          std::string("\xff\xfe broken \xc3 utf-8"), text.substr(0, 64)}) {
      for (const bool special : {false, true}) {
        const auto ids = tokenizer.encode(sample, special);
        (void)tokenizer.decode(ids, false);
        (void)tokenizer.transformers_decode(ids, true);
      }
    }
    (void)tokenizer.decode({0, 1, 2, -1, 1 << 30}, false);
    (void)tokenizer.token_to_id("a");
    (void)tokenizer.id_to_token(0);
  } catch (const wizard::Error&) {
  }
  return 0;
}
