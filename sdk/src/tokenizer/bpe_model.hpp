// tokenizer.json "model" of type BPE, encoding each pre-tokenized word the way
// HF tokenizers 0.22 does: characters (with continuing_subword_prefix /
// end_of_word_suffix), byte_fallback to <0xXX> tokens, unk_token (fused or
// not), then merges applied lowest rank first with HF's exact queue order;
// ignore_merges looks the whole word up first.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/json_view.hpp"
#include "tokenizer/vocabulary.hpp"
#include "tokenizer/word_cache.hpp"

namespace wizard::tokenizer {

// (left id, right id) -> (rank, merged id), open addressing on a 64-bit key.
class MergeTable {
 public:
  struct Merge {
    std::uint32_t rank;
    std::int32_t merged;
  };
  void reserve(std::size_t count);
  // A later insert of the same pair replaces the earlier one (HF collects into a HashMap).
  void insert(std::int32_t left, std::int32_t right, Merge merge);
  const Merge* find(std::int32_t left, std::int32_t right) const {
    if (slots_.empty()) return nullptr;
    const std::uint64_t key = pack(left, right);
    for (std::size_t i = slot_of(key);; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.key == key) return &slot.merge;
      if (slot.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  struct Slot {
    std::uint64_t key = kEmpty;
    Merge merge{};
  };
  static std::uint64_t pack(std::int32_t left, std::int32_t right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
           static_cast<std::uint32_t>(right);
  }
  std::size_t slot_of(std::uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift_; }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
};

class BpeModel {
 public:
  static std::unique_ptr<BpeModel> from_json(const JsonView& model);

  // Appends the ids of one pre-tokenized word. With `byte_level`, `word` holds
  // raw bytes still to be mapped to the ByteLevel alphabet.
  void tokenize(std::string_view word, bool byte_level, std::vector<std::int32_t>& ids) const;

  const Vocabulary& vocabulary() const { return vocab_; }

 private:
  BpeModel() : cache_(1 << 18) {}
  void merge_word(std::string_view word, std::vector<std::int32_t>& ids) const;
  // Applies the merges to `parts` (ids of a word's characters) in place.
  void merge_by_scan(std::vector<std::int32_t>& parts) const;
  void merge_by_queue(std::vector<std::int32_t>& parts) const;
  // Words of up to this many parts are merged by scanning (fast for short words).
  static constexpr std::size_t kScanLimit = 64;

  Vocabulary vocab_;
  MergeTable merges_;
  std::optional<std::int32_t> unk_id_;
  std::optional<std::string> unk_token_;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::int32_t byte_ids_[256];  // <0xXX> ids, -1 when absent
  mutable WordCache cache_;
};

}  // namespace wizard::tokenizer
