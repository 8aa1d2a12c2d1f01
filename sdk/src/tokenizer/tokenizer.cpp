// Encoding and decoding through the pipeline, in HF's order: added tokens on
// the raw text, normalizer per remaining segment, normalized added tokens,
// pre-tokenizer, model per piece, post-processor.
#include "wizard/tokenizer/tokenizer.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "base/utf8.hpp"
#include "tokenizer/tokenizer_impl.hpp"

namespace wizard {

namespace {

// Per-thread buffers, so steady-state encoding does not allocate per call.
struct Workspace {
  std::vector<tokenizer::Segment> raw_segments;
  std::vector<tokenizer::Segment> normalized_segments;
  std::string normalized;
  tokenizer::PieceList pieces;
};

}  // namespace

void Tokenizer::Impl::encode(std::string_view text, bool add_special_tokens,
                             std::vector<std::int32_t>& ids) const {
  thread_local Workspace ws;
  std::string sanitized;
  if (!utf8::is_valid(text)) {
    sanitized = utf8::replace_invalid(text);
    text = sanitized;
  }
  const auto encode_piece = [&](std::string_view segment, bool at_origin) {
    if (segment.empty()) return;
    ws.pieces.reset(segment, at_origin);
    if (pre_tokenizer) pre_tokenizer->pre_tokenize(ws.pieces);
    for (const tokenizer::Piece& piece : ws.pieces.pieces)
      model->tokenize(ws.pieces.view(piece), ws.pieces.byte_level_pending, ids);
  };

  added->split_raw(text, ws.raw_segments);
  for (const tokenizer::Segment& raw : ws.raw_segments) {
    if (raw.id >= 0) {
      ids.push_back(raw.id);
      continue;
    }
    std::string_view segment = text.substr(raw.begin, raw.end - raw.begin);
    const bool at_origin = raw.begin == 0;
    if (normalizer && !normalizer->leaves_unchanged(segment)) {
      ws.normalized.assign(segment);
      normalizer->normalize(ws.normalized);
      segment = ws.normalized;
    }
    if (!added->has_normalized_tokens()) {
      encode_piece(segment, at_origin);
      continue;
    }
    added->split_normalized(segment, ws.normalized_segments);
    for (const tokenizer::Segment& sub : ws.normalized_segments) {
      if (sub.id >= 0)
        ids.push_back(sub.id);
      else
        encode_piece(segment.substr(sub.begin, sub.end - sub.begin), at_origin && sub.begin == 0);
    }
  }
  if (post_processor) post_processor->process(ids, add_special_tokens);
}

std::optional<std::int32_t> Tokenizer::Impl::token_to_id(std::string_view token) const {
  if (const auto* added_token = added->by_content(token)) return added_token->id;
  return model->vocabulary().find(token);
}

const std::string* Tokenizer::Impl::id_to_token(std::int32_t id) const {
  if (const auto* added_token = added->by_id(id)) return &added_token->content;
  return model->vocabulary().token(id);
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  impl_->encode(text, add_special_tokens, ids);
  return ids;
}

std::vector<std::vector<std::int32_t>> Tokenizer::encode_batch(
    const std::vector<std::string>& texts, bool add_special_tokens, int threads) const {
  std::vector<std::vector<std::int32_t>> out(texts.size());
  std::size_t workers = threads > 0 ? static_cast<std::size_t>(threads)
                                    : std::max(1u, std::thread::hardware_concurrency());
  workers = std::min(workers, texts.size());
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto work = [&] {
    try {
      for (std::size_t i = next++; i < texts.size(); i = next++)
        out[i] = encode(texts[i], add_special_tokens);
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = texts.size();
    }
  };
  if (workers <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(work);
    for (std::thread& thread : pool) thread.join();
  }
  if (failure) std::rethrow_exception(failure);
  return out;
}

std::string Tokenizer::decode(const std::vector<std::int32_t>& ids,
                              bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const std::int32_t id : ids) {
    const std::string* token = impl_->id_to_token(id);
    if (!token) continue;
    if (skip_special_tokens)
      if (const auto* added_token = impl_->added->by_content(*token);
          added_token && added_token->special)
        continue;
    tokens.push_back(*token);
  }
  if (!impl_->decoder) {
    std::string joined;
    for (std::size_t i = 0; i < tokens.size(); ++i) joined += (i ? " " : "") + tokens[i];
    return joined;
  }
  impl_->decoder->decode_chain(tokens);
  std::string text;
  for (const std::string& part : tokens) text += part;
  return text;
}

std::string Tokenizer::transformers_decode(const std::vector<std::int32_t>& ids,
                                           bool skip_special_tokens) const {
  std::string text = decode(ids, skip_special_tokens);
  return impl_->clean_up_tokenization_spaces ? clean_up_tokenization(std::move(text)) : text;
}

std::string clean_up_tokenization(std::string text) {
  static const std::pair<const char*, const char*> replacements[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  // Each replacement runs over the whole text in turn, as Python's chained str.replace.
  for (const auto& [from, to] : replacements) {
    const std::string_view needle(from);
    std::string out;
    std::size_t previous = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, previous)) {
      out.append(text, previous, at - previous);
      out += to;
      previous = at + needle.size();
    }
    out.append(text, previous, std::string::npos);
    text = std::move(out);
  }
  return text;
}

std::optional<std::int32_t> Tokenizer::token_to_id(std::string_view token) const {
  return impl_->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(std::int32_t id) const {
  if (const std::string* token = impl_->id_to_token(id)) return *token;
  return std::nullopt;
}

std::size_t Tokenizer::vocab_size() const {
  return impl_->vocab_size;
}

bool Tokenizer::is_special_id(std::int32_t id) const {
  const auto* token = impl_->added->by_id(id);
  return token && token->special;
}

const std::optional<std::string>& Tokenizer::bos_token() const {
  return impl_->bos.token;
}
const std::optional<std::string>& Tokenizer::eos_token() const {
  return impl_->eos.token;
}
const std::optional<std::string>& Tokenizer::pad_token() const {
  return impl_->pad.token;
}
const std::optional<std::string>& Tokenizer::unk_token() const {
  return impl_->unk.token;
}
std::optional<std::int32_t> Tokenizer::bos_token_id() const {
  return impl_->bos.id;
}
std::optional<std::int32_t> Tokenizer::eos_token_id() const {
  return impl_->eos.id;
}
std::optional<std::int32_t> Tokenizer::pad_token_id() const {
  return impl_->pad.id;
}
std::optional<std::int32_t> Tokenizer::unk_token_id() const {
  return impl_->unk.id;
}
bool Tokenizer::clean_up_tokenization_spaces() const {
  return impl_->clean_up_tokenization_spaces;
}

}  // namespace wizard
