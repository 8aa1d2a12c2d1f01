#include "tokenizer/word_cache.hpp"

#include <atomic>
#include <mutex>
#include <string>

namespace wizard::tokenizer {
namespace {

// One slot of the per-thread table. `owner` is a cache's serial number rather
// than its address, so a new cache at a freed address never sees stale words.
struct LocalEntry {
  std::uint64_t owner = 0;
  std::uint64_t hash = 0;
  std::string word;
  std::vector<std::int32_t> ids;
};

constexpr std::size_t kLocalSlots = 4096;

std::vector<LocalEntry>& local_table() {
  thread_local std::vector<LocalEntry> table(kLocalSlots);
  return table;
}

std::uint64_t next_owner() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

}  // namespace

WordCache::WordCache(std::size_t capacity)
    : owner_(next_owner()), capacity_per_shard_(capacity / kShards + 1) {}

bool WordCache::lookup(std::string_view word, std::vector<std::int32_t>& ids) const {
  const std::uint64_t hash = hash_bytes(word);
  LocalEntry& local = local_table()[hash % kLocalSlots];
  if (local.owner == owner_ && local.hash == hash && local.word == word) {
    ids.insert(ids.end(), local.ids.begin(), local.ids.end());
    return true;
  }
  const Shard& shard = shards_[(hash >> 32) % kShards];
  std::shared_lock lock(shard.mutex);
  const auto it = shard.entries.find(word);
  if (it == shard.entries.end()) return false;
  const std::int32_t* cached = shard.ids.data() + it->second.offset;
  ids.insert(ids.end(), cached, cached + it->second.count);
  remember_locally(word, hash, cached, it->second.count);
  return true;
}

void WordCache::remember_locally(std::string_view word, std::uint64_t hash, const std::int32_t* ids,
                                 std::size_t count) const {
  LocalEntry& local = local_table()[hash % kLocalSlots];
  local.owner = owner_;
  local.hash = hash;
  local.word.assign(word.data(), word.size());
  local.ids.assign(ids, ids + count);
}

void WordCache::insert(std::string_view word, const std::int32_t* ids, std::size_t count) {
  if (word.size() > kMaxWordBytes) return;
  const std::uint64_t hash = hash_bytes(word);
  remember_locally(word, hash, ids, count);
  Shard& shard = shards_[(hash >> 32) % kShards];
  std::unique_lock lock(shard.mutex);
  if (shard.entries.size() >= capacity_per_shard_ || shard.entries.count(word)) return;
  const Shard::Ids range{static_cast<std::uint32_t>(shard.ids.size()),
                         static_cast<std::uint32_t>(count)};
  shard.ids.insert(shard.ids.end(), ids, ids + count);
  shard.entries.emplace(shard.store_key(word), range);
}

std::string_view WordCache::Shard::store_key(std::string_view word) {
  constexpr std::size_t kBlockBytes =
      64 * 1024;  // > kMaxWordBytes, so a word always fits a fresh block
  if (key_blocks.empty() || key_block_used + word.size() > kBlockBytes) {
    key_blocks.emplace_back(
        new char[kBlockBytes]);  // uninitialised: pages are touched as keys arrive
    key_block_used = 0;
  }
  char* at = key_blocks.back().get() + key_block_used;
  std::memcpy(at, word.data(), word.size());
  key_block_used += word.size();
  return std::string_view(at, word.size());
}

}  // namespace wizard::tokenizer
