// A 64-bit FNV-1a digest, to notice that what a cache beside the run was made from changed
// (not for security): the data's token sequences, a model folder's files, settings.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "wizard/preference/example_scoring.hpp"

namespace wizard::cpo {

struct Digest {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  void feed(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
      hash ^= bytes[i];
      hash *= 0x100000001b3ULL;
    }
  }
  void feed(const std::string& text) { feed(text.data(), text.size()); }
  template <class T>
  void feed_value(const T& value) {
    feed(&value, sizeof value);
  }
  void feed_sequence(const preference::SequenceRef& s) {
    feed_value(s.prompt_length);
    feed_value(s.ids->size());
    feed(s.ids->data(), s.ids->size() * sizeof(std::int32_t));
  }
  // The folder's path and its config.json and .safetensors files' names, sizes and times.
  void feed_model_files(const std::filesystem::path& model_dir);
  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
  }
};

}  // namespace wizard::cpo
