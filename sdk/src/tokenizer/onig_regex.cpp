#include "tokenizer/onig_regex.hpp"

#include <oniguruma.h>

#include <mutex>

#include "wizard/base/error.hpp"

namespace wizard::tokenizer {

struct OnigRegex::Compiled {
  regex_t* regex = nullptr;
  ~Compiled() { onig_free(regex); }
};

namespace {

std::string onig_message(int code, OnigErrorInfo* info) {
  OnigUChar text[ONIG_MAX_ERROR_MESSAGE_LEN];
  const int length =
      info ? onig_error_code_to_str(text, code, info) : onig_error_code_to_str(text, code);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length));
}

// One match region per thread, reused by every search of that thread.
OnigRegion* thread_region() {
  struct Region {
    OnigRegion* region = onig_region_new();
    ~Region() { onig_region_free(region, 1); }
  };
  thread_local Region holder;
  return holder.region;
}

}  // namespace

OnigRegex OnigRegex::compile(std::string_view pattern) {
  OnigRegex out;
  out.pattern_ = std::string(pattern);
  auto compiled = std::make_shared<Compiled>();
  const auto* begin = reinterpret_cast<const OnigUChar*>(out.pattern_.data());
  OnigErrorInfo info{};
  int status;
  {
    // Oniguruma's initialisation and compiler share global state (the onig crate locks too).
    static std::mutex mutex;
    const std::lock_guard<std::mutex> lock(mutex);
    static const int initialized = [] {
      OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
      return onig_initialize(encodings, 1);
    }();
    if (initialized != ONIG_NORMAL)
      throw Error("Oniguruma failed to initialise: " + onig_message(initialized, nullptr));
    status = onig_new(&compiled->regex, begin, begin + out.pattern_.size(), ONIG_OPTION_NONE,
                      ONIG_ENCODING_UTF8, ONIG_SYNTAX_DEFAULT, &info);
  }
  if (status != ONIG_NORMAL)
    throw Error("regex \"" + out.pattern_ + "\" does not compile: " + onig_message(status, &info));
  out.compiled_ = std::move(compiled);
  return out;
}

bool OnigRegex::find(std::string_view text, std::size_t from, std::size_t& begin,
                     std::size_t& end) const {
  static const char empty = 0;
  const auto* start = reinterpret_cast<const OnigUChar*>(text.empty() ? &empty : text.data());
  const auto* stop = start + text.size();
  OnigRegion* region = thread_region();
  const int found =
      onig_search(compiled_->regex, start, stop, start + from, stop, region, ONIG_OPTION_NONE);
  if (found == ONIG_MISMATCH) return false;
  if (found < 0)
    throw Error("regex \"" + pattern_ + "\" failed on a text of " + std::to_string(text.size()) +
                " bytes: " + onig_message(found, nullptr));
  begin = static_cast<std::size_t>(region->beg[0]);
  end = static_cast<std::size_t>(region->end[0]);
  return true;
}

}  // namespace wizard::tokenizer
