#include "tokenizer/word_cache.hpp"

#include <cstring>
#include <functional>
#include <mutex>

namespace wizard::tokenizer {

WordCache::WordCache(std::size_t capacity) : capacity_per_shard_(capacity / kShards + 1) {}

WordCache::Shard& WordCache::shard(std::string_view word) const {
  // High bits pick the shard; the shard's map buckets by the low ones.
  return shards_[(std::hash<std::string_view>{}(word) >> 40) % kShards];
}

bool WordCache::lookup(std::string_view word, std::vector<std::int32_t>& ids) const {
  const Shard& s = shard(word);
  std::shared_lock lock(s.mutex);
  const auto it = s.entries.find(word);
  if (it == s.entries.end()) return false;
  ids.insert(ids.end(), it->second.begin(), it->second.end());
  return true;
}

void WordCache::insert(std::string_view word, const std::int32_t* ids, std::size_t count) {
  if (word.size() > kMaxWordBytes) return;
  Shard& s = shard(word);
  std::unique_lock lock(s.mutex);
  if (s.entries.size() >= capacity_per_shard_ || s.entries.count(word)) return;
  auto key = std::make_unique<char[]>(word.size() ? word.size() : 1);
  std::memcpy(key.get(), word.data(), word.size());
  s.entries.emplace(std::string_view(key.get(), word.size()),
                    std::vector<std::int32_t>(ids, ids + count));
  s.keys.push_back(std::move(key));
}

}  // namespace wizard::tokenizer
