// Decoders on token lists, with the results HF's decode_chain gives.
#include <gtest/gtest.h>

#include "snippets.hpp"
#include "tokenizer/decoders.hpp"

namespace {

using Strings = std::vector<std::string>;
using wizard::test::view_of;

Strings decode(const nlohmann::json& spec, Strings tokens) {
  wizard::tokenizer::make_decoder(view_of(spec))->decode_chain(tokens);
  return tokens;
}

TEST(Decoder, ByteLevelJoinsBytesAndRepairsInvalidUtf8) {
  EXPECT_EQ(decode({{"type", "ByteLevel"}}, {"Hello", "\u0120world", "\u010A"}),
            (Strings{"Hello world\n"}));
  // "Ã" alone is the byte C3: an incomplete sequence becomes U+FFFD.
  EXPECT_EQ(decode({{"type", "ByteLevel"}}, {"a", "\u00C3"}), (Strings{"a\uFFFD"}));
  // A token with a character outside the alphabet (here a space) keeps its own bytes.
  EXPECT_EQ(decode({{"type", "ByteLevel"}}, {"<x y>", "\u0120z"}), (Strings{"<x y> z"}));
}

TEST(Decoder, MetaspaceTurnsReplacementsIntoSpaces) {
  const nlohmann::json always = {
      {"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}};
  EXPECT_EQ(decode(always, {"\u2581Hey", "\u2581friend"}), (Strings{"Hey", " friend"}));
  const nlohmann::json never = {
      {"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "never"}};
  EXPECT_EQ(decode(never, {"\u2581Hey", "\u2581friend"}), (Strings{" Hey", " friend"}));
}

TEST(Decoder, ByteFallbackDecodesRunsOfByteTokens) {
  EXPECT_EQ(decode({{"type", "ByteFallback"}}, {"<0xE5>", "<0x8F>", "<0xAB>", "a"}),
            (Strings{"\u53EB", "a"}));
  // An invalid run: one U+FFFD per byte token.
  EXPECT_EQ(decode({{"type", "ByteFallback"}}, {"<0xE5>", "<0x8F>", "a"}),
            (Strings{"\uFFFD", "\uFFFD", "a"}));
  EXPECT_EQ(decode({{"type", "ByteFallback"}}, {"<0x61>"}), (Strings{"a"}));
}

TEST(Decoder, FuseStripReplace) {
  EXPECT_EQ(decode({{"type", "Fuse"}}, {"a", "b", "c"}), (Strings{"abc"}));
  EXPECT_EQ(
      decode({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}, {" a", "  b", "c "}),
      (Strings{"a", " b", "c "}));
  EXPECT_EQ(decode({{"type", "Strip"}, {"content", "x"}, {"start", 0}, {"stop", 2}}, {"axxx"}),
            (Strings{"ax"}));
  EXPECT_EQ(decode({{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                   {"\u2581a\u2581b"}),
            (Strings{" a b"}));
}

TEST(Decoder, SequenceOfTheLlama2Kind) {
  const nlohmann::json spec = {
      {"type", "Sequence"},
      {"decoders",
       {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
        {{"type", "ByteFallback"}},
        {{"type", "Fuse"}},
        {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  EXPECT_EQ(decode(spec, {"\u2581Hello", "\u2581wor", "ld", "<0x21>"}), (Strings{"Hello world!"}));
}

}  // namespace
