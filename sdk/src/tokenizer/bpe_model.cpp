#include "tokenizer/bpe_model.hpp"

#include <algorithm>
#include <cstdio>

#include "base/utf8.hpp"
#include "tokenizer/byte_level.hpp"
#include "wizard/base/error.hpp"

namespace wizard::tokenizer {

void MergeTable::reserve(std::size_t count) {
  std::size_t capacity = 16;
  shift_ = 60;
  while (capacity < count * 2) capacity *= 2, --shift_;
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
}

void MergeTable::insert(std::int32_t left, std::int32_t right, Merge merge) {
  const std::uint64_t key = pack(left, right);
  for (std::size_t i = slot_of(key);; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.key == kEmpty || slot.key == key) {
      slot.key = key;
      slot.merge = merge;
      return;
    }
  }
}

namespace {

std::vector<std::pair<std::string, std::string>> read_merges(const JsonView& merges) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const JsonView& item : merges.items()) {
    const nlohmann::json& value = item.json();
    if (value.is_string()) {
      // Legacy form "left right": the first space separates the two tokens.
      const std::string& text = value.get_ref<const std::string&>();
      const std::size_t space = text.find(' ');
      if (space == std::string::npos)
        item.fail("merge \"" + text + "\" has no space between its two tokens");
      pairs.emplace_back(text.substr(0, space), text.substr(space + 1));
    } else if (value.is_array() && value.size() == 2 && value[0].is_string() &&
               value[1].is_string()) {
      pairs.emplace_back(value[0].get<std::string>(), value[1].get<std::string>());
    } else {
      item.fail("expected a merge as \"left right\" or [\"left\", \"right\"]");
    }
  }
  return pairs;
}

struct Symbol {
  std::int32_t id;
  std::int32_t prev;
  std::int32_t next;
  std::uint32_t length;  // 0 once merged into its left neighbour
};

struct QueuedMerge {
  std::uint32_t rank;
  std::uint32_t pos;
  std::int32_t merged;
};

// Heap order: lowest rank first, then leftmost (HF's Merge ordering).
bool lower_priority(const QueuedMerge& a, const QueuedMerge& b) {
  return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
}

}  // namespace

std::unique_ptr<BpeModel> BpeModel::from_json(const JsonView& model) {
  std::unique_ptr<BpeModel> bpe(new BpeModel());
  if (model.has("dropout")) {
    const JsonView dropout = model.at("dropout");
    if (!dropout.json().is_number() || dropout.json().get<double>() != 0.0)
      dropout.fail("BPE dropout is not supported (encoding must be deterministic); set it to null");
  }
  const JsonView vocab = model.at("vocab");
  if (!vocab.json().is_object()) vocab.fail("expected an object of token: id");
  std::vector<std::pair<std::string, std::int32_t>> entries;
  entries.reserve(vocab.json().size());
  for (const auto& [token, id] : vocab.json().items()) {
    if (!id.is_number_integer()) vocab.fail("id of token \"" + token + "\" is not an integer");
    entries.emplace_back(token, id.get<std::int32_t>());
  }
  bpe->vocab_ = Vocabulary(std::move(entries));

  bpe->continuing_subword_prefix_ = model.optional_string("continuing_subword_prefix").value_or("");
  bpe->end_of_word_suffix_ = model.optional_string("end_of_word_suffix").value_or("");
  bpe->unk_token_ = model.optional_string("unk_token");
  if (bpe->unk_token_) bpe->unk_id_ = bpe->vocab_.find(*bpe->unk_token_);
  bpe->fuse_unk_ = model.boolean("fuse_unk", false);
  bpe->byte_fallback_ = model.boolean("byte_fallback", false);
  bpe->ignore_merges_ = model.boolean("ignore_merges", false);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    bpe->byte_ids_[b] = bpe->vocab_.find(name).value_or(-1);
  }

  const JsonView merges = model.at("merges");
  const auto pairs = read_merges(merges);
  bpe->merges_.reserve(pairs.size());
  const std::size_t prefix_length = bpe->continuing_subword_prefix_.size();
  for (std::size_t rank = 0; rank < pairs.size(); ++rank) {
    const auto& [left, right] = pairs[rank];
    const auto require = [&](const std::string& token) {
      const auto id = bpe->vocab_.find(token);
      if (!id) merges.at(rank).fail("merge token \"" + token + "\" is not in the vocabulary");
      return *id;
    };
    const std::int32_t left_id = require(left), right_id = require(right);
    const std::string merged = left + right.substr(std::min(prefix_length, right.size()));
    bpe->merges_.insert(left_id, right_id, {static_cast<std::uint32_t>(rank), require(merged)});
  }
  return bpe;
}

void BpeModel::tokenize(std::string_view word, bool byte_level,
                        std::vector<std::int32_t>& ids) const {
  if (word.empty()) return;
  // The cache is keyed by the word as given (raw bytes when byte_level): hits skip the mapping.
  if (cache_.lookup(word, ids)) return;
  thread_local std::string mapped;
  std::string_view token = word;
  if (byte_level) {
    mapped.clear();
    append_byte_level(mapped, word);
    token = mapped;
  }
  const std::size_t first = ids.size();
  const auto whole = ignore_merges_ ? vocab_.find(token) : std::nullopt;
  if (whole)
    ids.push_back(*whole);
  else
    merge_word(token, ids);
  cache_.insert(word, ids.data() + first, ids.size() - first);
}

void BpeModel::merge_word(std::string_view word, std::vector<std::int32_t>& ids) const {
  thread_local std::vector<std::int32_t> parts;
  thread_local std::string affixed;
  parts.clear();

  // 1. Characters to ids.
  // An unknown character waiting to be added, so that fuse_unk can fold the next ones into it.
  bool pending_unk = false;
  const auto flush_unk = [&] {
    if (pending_unk) parts.push_back(*unk_id_);
    pending_unk = false;
  };
  const bool affixes = !continuing_subword_prefix_.empty() || !end_of_word_suffix_.empty();
  for (std::size_t pos = 0; pos < word.size();) {
    const std::uint32_t length = utf8::decode(word, pos).length;
    std::string_view piece = word.substr(pos, length);
    if (affixes) {
      affixed.clear();
      if (pos > 0) affixed += continuing_subword_prefix_;
      affixed.append(piece);
      if (pos + length == word.size()) affixed += end_of_word_suffix_;
      piece = affixed;
    }
    pos += length;
    if (const auto id = vocab_.find(piece)) {
      flush_unk();
      parts.push_back(*id);
      continue;
    }
    if (byte_fallback_ && std::all_of(piece.begin(), piece.end(), [&](char c) {
          return byte_ids_[static_cast<unsigned char>(c)] >= 0;
        })) {
      for (const char c : piece) parts.push_back(byte_ids_[static_cast<unsigned char>(c)]);
      continue;
    }
    if (!unk_token_) continue;  // HF drops a character it cannot represent
    if (!unk_id_)
      throw Error("tokenizer.json: model.unk_token \"" + *unk_token_ +
                  "\" is not in the vocabulary");
    if (!(pending_unk && fuse_unk_)) flush_unk();
    pending_unk = true;
  }
  flush_unk();

  // 2. Merges: always the lowest-rank pair, leftmost among equals. That is the
  // order of HF's queue (a queued entry still valid when popped is the same pair
  // with the same rank, since symbols only grow), so a scan is exact; long
  // words use the queue to stay O(n log n).
  if (parts.size() <= kScanLimit)
    merge_by_scan(parts);
  else
    merge_by_queue(parts);
  ids.insert(ids.end(), parts.begin(), parts.end());
}

void BpeModel::merge_by_scan(std::vector<std::int32_t>& parts) const {
  constexpr std::uint32_t kNoMerge = 0xFFFFFFFFu;
  std::uint32_t ranks[kScanLimit];
  std::int32_t merged[kScanLimit];
  const auto look_up = [&](std::size_t i) {
    const auto* merge = merges_.find(parts[i], parts[i + 1]);
    ranks[i] = merge ? merge->rank : kNoMerge;
    merged[i] = merge ? merge->merged : -1;
  };
  std::size_t count = parts.size();
  for (std::size_t i = 0; i + 1 < count; ++i) look_up(i);
  while (count > 1) {
    std::size_t best = 0;
    for (std::size_t i = 1; i + 1 < count; ++i)
      if (ranks[i] < ranks[best]) best = i;
    if (ranks[best] == kNoMerge) break;
    parts[best] = merged[best];
    // Close the gap left by parts[best + 1] and by the pair that started there.
    for (std::size_t i = best + 1; i + 1 < count; ++i) parts[i] = parts[i + 1];
    for (std::size_t i = best + 1; i + 2 < count; ++i)
      ranks[i] = ranks[i + 1], merged[i] = merged[i + 1];
    --count;
    if (best + 1 < count) look_up(best);
    if (best > 0) look_up(best - 1);
  }
  parts.resize(count);
}

void BpeModel::merge_by_queue(std::vector<std::int32_t>& parts) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<QueuedMerge> queue;
  symbols.clear();
  for (std::size_t i = 0; i < parts.size(); ++i)
    symbols.push_back({parts[i], static_cast<std::int32_t>(i) - 1,
                       i + 1 < parts.size() ? static_cast<std::int32_t>(i + 1) : -1, 1});
  queue.clear();
  for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
    if (const auto* merge = merges_.find(symbols[i].id, symbols[i + 1].id))
      queue.push_back({merge->rank, static_cast<std::uint32_t>(i), merge->merged});
  std::make_heap(queue.begin(), queue.end(), lower_priority);
  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end(), lower_priority);
    const QueuedMerge top = queue.back();
    queue.pop_back();
    Symbol& current = symbols[top.pos];
    if (current.length == 0 || current.next == -1) continue;
    const Symbol right = symbols[current.next];
    const auto* still = merges_.find(current.id, right.id);
    if (!still || still->merged != top.merged) continue;  // a stale entry
    symbols[current.next].length = 0;
    current.id = top.merged;
    current.length += right.length;
    current.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = static_cast<std::int32_t>(top.pos);
    if (current.prev >= 0)
      if (const auto* merge = merges_.find(symbols[current.prev].id, current.id)) {
        queue.push_back({merge->rank, static_cast<std::uint32_t>(current.prev), merge->merged});
        std::push_heap(queue.begin(), queue.end(), lower_priority);
      }
    if (current.next >= 0)
      if (const auto* merge = merges_.find(current.id, symbols[current.next].id)) {
        queue.push_back({merge->rank, top.pos, merge->merged});
        std::push_heap(queue.begin(), queue.end(), lower_priority);
      }
  }
  parts.clear();
  for (const Symbol& symbol : symbols)
    if (symbol.length) parts.push_back(symbol.id);
}

}  // namespace wizard::tokenizer
