// Reading and writing the safetensors format (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
// and byte range, then the raw little-endian tensor bytes.
//
// Files are untrusted: open() validates the whole header against the file before any
// tensor is read, and every failure is a wizard::Error naming the file, the tensor and
// the problem. See docs/safetensors.md.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::safetensors {

// The `__metadata__` map of a file (string to string, as the format allows).
using Metadata = std::map<std::string, std::string>;

// Tensors to write, in the caller's order (sharding follows this order).
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// One tensor as the header describes it.
struct WIZARD_API TensorInfo {
  std::string name;
  std::string dtype_name;  // as stored: "F32", "BF16", "F8_E4M3", ...
  at::ScalarType dtype;    // Undefined when this LibTorch cannot hold it
  std::vector<int64_t> shape;
  std::uint64_t data_begin = 0;  // byte range relative to the data section
  std::uint64_t data_end = 0;

  int64_t numel() const;
  std::uint64_t nbytes() const { return data_end - data_begin; }
};

// The safetensors name of a LibTorch dtype ("F32" for Float); throws for dtypes the
// format has no name for.
WIZARD_API std::string dtype_name(at::ScalarType dtype);

// An open, validated, read-only memory-mapped file. Copies share the mapping; it is
// unmapped when the last copy goes.
class WIZARD_API File {
 public:
  // Maps and validates `path`; throws wizard::Error if it is not a well-formed file.
  static File open(const std::filesystem::path& path);

  const std::filesystem::path& path() const;
  // Every tensor, in the order of its bytes in the file.
  const std::vector<TensorInfo>& tensors() const;
  bool contains(const std::string& name) const;
  // Throws wizard::Error naming the file if there is no such tensor.
  const TensorInfo& info(const std::string& name) const;
  const Metadata& metadata() const;

  // A new tensor that owns its memory (never a view of the mapping), converted to
  // `dtype` and placed on `device` when given (else the stored dtype, on the CPU).
  at::Tensor load(const std::string& name, std::optional<at::ScalarType> dtype = std::nullopt,
                  std::optional<at::Device> device = std::nullopt) const;

 private:
  struct Mapping;
  explicit File(std::shared_ptr<const Mapping> mapping);
  std::shared_ptr<const Mapping> mapping_;
};

// A checkpoint of one or more files: a single `.safetensors` file, a folder holding
// `model.safetensors`, or a folder holding `model.safetensors.index.json` and its shards.
class WIZARD_API Checkpoint {
 public:
  // `path` is a file or a folder as above; throws wizard::Error saying what was looked for.
  static Checkpoint open(const std::filesystem::path& path);

  // Every tensor name, sorted.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  const TensorInfo& info(const std::string& name) const;
  // The shard holding `name`.
  const File& file_of(const std::string& name) const;
  // The shards, in the order of their file names.
  const std::vector<File>& files() const;
  // The "metadata" object of the index file (e.g. total_size); null for a single file.
  const nlohmann::json& index_metadata() const;

  at::Tensor load(const std::string& name, std::optional<at::ScalarType> dtype = std::nullopt,
                  std::optional<at::Device> device = std::nullopt) const;

 private:
  Checkpoint() = default;
  std::vector<File> files_;
  std::map<std::string, std::size_t> file_index_;  // tensor name -> index in files_
  nlohmann::json index_metadata_;
};

// The metadata transformers writes ({"format": "pt"}).
WIZARD_API Metadata default_metadata();

// Writes one file: tensors sorted by dtype size then name as the reference writer does,
// header padded with spaces to a multiple of 8 bytes. Written to a temporary file in the
// same folder and renamed into place, so `path` is either the old file or the new one.
// Tensors may live on any device and be non-contiguous; names must be unique.
WIZARD_API void save(const std::filesystem::path& path, const NamedTensors& tensors,
                     const Metadata& metadata = default_metadata());

// Writes `tensors` into `folder` the way transformers' save_pretrained does: one
// `<base>.safetensors` when everything fits in `max_shard_bytes`, else shards
// `<base>-00001-of-0000N.safetensors` (filled in the given order, a new shard when the
// next tensor would exceed the limit; a tensor larger than the limit gets a shard of its
// own) and `<base>.safetensors.index.json`. Returns the files written, index last.
WIZARD_API std::vector<std::filesystem::path> save_sharded(
    const std::filesystem::path& folder, const NamedTensors& tensors, std::uint64_t max_shard_bytes,
    const std::string& base_name = "model", const Metadata& metadata = default_metadata());

}  // namespace wizard::safetensors
