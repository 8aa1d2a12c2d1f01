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
  ids.insert(ids.end(), it->second.begin(), it->second.end());
  remember_locally(word, hash, it->second.data(), it->second.size());
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
  auto key = std::make_unique<char[]>(word.size() ? word.size() : 1);
  std::memcpy(key.get(), word.data(), word.size());
  shard.entries.emplace(std::string_view(key.get(), word.size()),
                        std::vector<std::int32_t>(ids, ids + count));
  shard.keys.push_back(std::move(key));
}

}  // namespace wizard::tokenizer
