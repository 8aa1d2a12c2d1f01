// A bounded, thread-safe cache from pre-tokenized word to its BPE ids. Like
// HF's cache it stops admitting words once full (no eviction), so hits never
// change results. Two levels: a small direct-mapped per-thread table that
// needs no lock, in front of a sharded table shared by all threads.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wizard::tokenizer {

// A fast 64-bit hash for short strings (words are rarely longer than 16 bytes).
inline std::uint64_t hash_bytes(std::string_view text) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ text.size();
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, text.data() + i, 8);
    h = (h ^ chunk) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, text.data() + i, text.size() - i);
  h = (h ^ tail) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

struct WordHash {
  std::size_t operator()(std::string_view text) const { return hash_bytes(text); }
};

class WordCache {
 public:
  explicit WordCache(std::size_t capacity);
  // Appends the cached ids of `word` to `ids`; false on a miss.
  bool lookup(std::string_view word, std::vector<std::int32_t>& ids) const;
  void insert(std::string_view word, const std::int32_t* ids, std::size_t count);

  // Words longer than this are not cached (as HF): they are rare and costly to keep.
  static constexpr std::size_t kMaxWordBytes = 256;

 private:
  // Words and ids live in append-only arenas (nothing is ever evicted), so an
  // insert costs one map node rather than three allocations.
  struct Shard {
    struct Ids {
      std::uint32_t offset, count;
    };
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string_view, Ids, WordHash> entries;
    std::vector<std::int32_t> ids;
    std::vector<std::unique_ptr<char[]>> key_blocks;  // the entry keys point into these
    std::size_t key_block_used = 0;
    std::string_view store_key(std::string_view word);
  };
  static constexpr std::size_t kShards = 64;
  void remember_locally(std::string_view word, std::uint64_t hash, const std::int32_t* ids,
                        std::size_t count) const;

  std::uint64_t owner_;  // tells this cache's entries apart in the per-thread table
  std::size_t capacity_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace wizard::tokenizer
