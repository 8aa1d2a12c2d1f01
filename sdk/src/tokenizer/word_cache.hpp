// A bounded, thread-safe cache from pre-tokenized word to its BPE ids. Like
// HF's cache it stops admitting words once full (no eviction), so hits never
// change results. Sharded so that many encoding threads rarely contend.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wizard::tokenizer {

class WordCache {
 public:
  explicit WordCache(std::size_t capacity);
  // Appends the cached ids of `word` to `ids`; false on a miss.
  bool lookup(std::string_view word, std::vector<std::int32_t>& ids) const;
  void insert(std::string_view word, const std::int32_t* ids, std::size_t count);

  // Words longer than this are not cached (as HF): they are rare and costly to keep.
  static constexpr std::size_t kMaxWordBytes = 256;

 private:
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string_view, std::vector<std::int32_t>> entries;
    std::vector<std::unique_ptr<char[]>> keys;  // storage the entry keys point into
  };
  static constexpr std::size_t kShards = 64;
  Shard& shard(std::string_view word) const;

  std::size_t capacity_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace wizard::tokenizer
