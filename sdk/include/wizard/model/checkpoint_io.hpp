// Reading and writing model folders in the Hugging Face layout (what from_pretrained
// reads and save_pretrained writes): safetensors weights (single or sharded),
// config.json, generation_config.json and the tokenizer files.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::model {

// Tensors by name, sorted.
using TensorMap = std::map<std::string, at::Tensor>;

// Every tensor of a model folder (or a single .safetensors file), converted to `dtype`
// and placed on `device` when given.
WIZARD_API TensorMap load_weights(const std::filesystem::path& folder,
                                  std::optional<at::ScalarType> dtype = std::nullopt,
                                  std::optional<at::Device> device = std::nullopt);

// transformers' save_pretrained default max_shard_size ("5GB" = 5 * 10^9 bytes).
inline constexpr std::uint64_t kDefaultMaxShardBytes = 5'000'000'000ULL;

// The tokenizer files save_pretrained writes or a hub repository ships, copied along when
// present: tokenizer.json, tokenizer_config.json, special_tokens_map.json, ...
WIZARD_API const std::vector<std::string>& tokenizer_file_names();

struct WIZARD_API SaveOptions {
  std::uint64_t max_shard_bytes = kDefaultMaxShardBytes;
  nlohmann::json config;             // written as config.json unless null
  nlohmann::json generation_config;  // written as generation_config.json unless null
  // Folder whose tokenizer files (tokenizer_file_names()) are copied; empty: none.
  std::filesystem::path tokenizer_source;
  // Called with the staging folder before it is moved into place, to add more files
  // (e.g. trainer state) that must appear atomically with the weights.
  std::function<void(const std::filesystem::path& staging)> write_extra;
};

// Writes a complete model folder at `target`. Everything is written into a temporary
// folder next to `target` and then swapped into place, so after a crash `target` is
// either the complete old folder or the complete new one. An existing `target` is
// replaced as a whole.
WIZARD_API void save_model_folder(const std::filesystem::path& target,
                                  const safetensors::NamedTensors& tensors,
                                  const SaveOptions& options = {});

// Copies the tokenizer files present in `source` into `destination`; returns their names.
WIZARD_API std::vector<std::string> copy_tokenizer_files(const std::filesystem::path& source,
                                                         const std::filesystem::path& destination);

// Writes `value` as JSON (2-space indent, trailing newline, as transformers does) to a
// temporary file renamed into place.
WIZARD_API void write_json_file(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace wizard::model
