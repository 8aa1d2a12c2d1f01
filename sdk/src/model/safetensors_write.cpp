// Writing safetensors files the way the reference (Rust) writer lays them out, and
// sharded checkpoints the way transformers' save_pretrained splits them.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <set>

#include "model/safetensors_dtype.hpp"
#include "model/safetensors_files.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::safetensors {

namespace fs = std::filesystem;

namespace {

struct PlannedTensor {
  const std::string* name;
  const at::Tensor* tensor;
  const detail::DtypeEntry* dtype;
  std::uint64_t nbytes;
};

std::vector<PlannedTensor> plan(const fs::path& path, const NamedTensors& tensors) {
  std::vector<PlannedTensor> planned;
  std::set<std::string> seen;
  for (const auto& [name, tensor] : tensors) {
    const std::string where = "cannot save tensor '" + name + "' to '" + path.string() + "': ";
    if (name == "__metadata__") throw Error(where + "the name is reserved by the format");
    if (!seen.insert(name).second) throw Error(where + "the name is given twice");
    if (!tensor.defined()) throw Error(where + "the tensor is undefined");
    const detail::DtypeEntry* dtype = detail::find_dtype(tensor.scalar_type());
    if (!dtype)
      throw Error(where + "dtype " + c10::toString(tensor.scalar_type()) + " cannot be stored");
    const auto nbytes = static_cast<std::uint64_t>(tensor.numel()) *
                        static_cast<std::uint64_t>(tensor.element_size());
    planned.push_back({&name, &tensor, dtype, nbytes});
  }
  return planned;
}

// The reference writer's order: larger dtypes first (keeps data aligned), then by name.
void sort_like_reference_writer(std::vector<PlannedTensor>& planned) {
  std::sort(planned.begin(), planned.end(), [](const PlannedTensor& a, const PlannedTensor& b) {
    if (a.dtype->writer_rank != b.dtype->writer_rank) {
      return a.dtype->writer_rank > b.dtype->writer_rank;
    }
    return *a.name < *b.name;
  });
}

std::string header_text(const fs::path& path, const std::vector<PlannedTensor>& planned,
                        const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const PlannedTensor& tensor : planned) {
    nlohmann::ordered_json entry;
    entry["dtype"] = tensor.dtype->name;
    entry["shape"] = tensor.tensor->sizes().vec();
    entry["data_offsets"] = {offset, offset + tensor.nbytes};
    header[*tensor.name] = std::move(entry);
    offset += tensor.nbytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& error) {
    throw Error("cannot save '" + path.string() +
                "': a tensor name or metadata entry is not valid "
                "UTF-8 (" +
                json_error_reason(error) + ")");
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  return text;
}

void write_tensor_bytes(detail::AtomicFile& out, const PlannedTensor& planned) {
  if (planned.nbytes == 0) return;
  // One tensor at a time on the CPU, so a GPU model is never copied whole.
  const at::Tensor cpu =
      planned.tensor->detach().resolve_conj().resolve_neg().to(at::kCPU).contiguous();
  out.write(cpu.data_ptr(), planned.nbytes);
}

// transformers' split: fill shards in the given order, start a new one when the next
// tensor would exceed the limit; a tensor above the limit gets a shard of its own.
std::vector<std::vector<std::size_t>> split_into_shards(const std::vector<std::uint64_t>& sizes,
                                                        std::uint64_t max_shard_bytes) {
  std::vector<std::vector<std::size_t>> shards;
  std::vector<std::size_t> current;
  std::uint64_t current_bytes = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] > max_shard_bytes) {
      shards.push_back({i});
      continue;
    }
    if (current_bytes + sizes[i] > max_shard_bytes) {
      shards.push_back(std::move(current));
      current.clear();
      current_bytes = 0;
    }
    current.push_back(i);
    current_bytes += sizes[i];
  }
  if (!current.empty() || shards.empty()) shards.push_back(std::move(current));
  return shards;
}

std::string shard_name(const std::string& base, std::size_t index, std::size_t count) {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "-%05zu-of-%05zu", index + 1, count);
  return base + suffix + ".safetensors";
}

// Weight files of an earlier save under the same base name that the new save does not
// write (as save_pretrained cleans them), so a stale index or shard is never loaded.
void remove_stale_weights(const fs::path& folder, const std::string& base,
                          const std::set<std::string>& written) {
  const std::regex weights_file(
      std::regex_replace(base, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
      R"((-\d{5}-of-\d{5})?\.safetensors(\.index\.json)?)");
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, weights_file) && !written.count(name)) {
      if (!fs::remove(entry.path(), error) && error) {
        throw Error("cannot remove the stale weight file '" + entry.path().string() +
                    "' of an earlier save: " + error.message());
      }
    }
  }
}

}  // namespace

Metadata default_metadata() {
  return {{"format", "pt"}};
}

void save(const fs::path& path, const NamedTensors& tensors, const Metadata& metadata) {
  std::vector<PlannedTensor> planned = plan(path, tensors);
  sort_like_reference_writer(planned);
  const std::string header = header_text(path, planned, metadata);
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(header.size() >> (8 * i));

  detail::AtomicFile out(path);
  out.write(length, sizeof length);
  out.write(header.data(), header.size());
  for (const PlannedTensor& tensor : planned) write_tensor_bytes(out, tensor);
  out.commit();
}

std::vector<fs::path> save_sharded(const fs::path& folder, const NamedTensors& tensors,
                                   std::uint64_t max_shard_bytes, const std::string& base_name,
                                   const Metadata& metadata) {
  if (base_name.empty() || base_name.find('/') != std::string::npos) {
    throw Error("cannot save a sharded checkpoint with base name '" + base_name +
                "': it must be a plain file name such as \"model\"");
  }
  const std::vector<PlannedTensor> planned = plan(folder / base_name, tensors);
  std::vector<std::uint64_t> sizes;
  std::uint64_t total_size = 0;
  for (const PlannedTensor& tensor : planned) {
    sizes.push_back(tensor.nbytes);
    total_size += tensor.nbytes;
  }
  const auto shards = split_into_shards(sizes, max_shard_bytes);
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw Error("cannot create folder '" + folder.string() + "': " + error.message());

  std::vector<fs::path> written;
  std::set<std::string> written_names;
  nlohmann::json weight_map = nlohmann::json::object();
  for (std::size_t s = 0; s < shards.size(); ++s) {
    const std::string name =
        shards.size() == 1 ? base_name + ".safetensors" : shard_name(base_name, s, shards.size());
    NamedTensors shard;
    for (std::size_t index : shards[s]) {
      shard.emplace_back(tensors[index].first, tensors[index].second);
      weight_map[tensors[index].first] = name;
    }
    save(folder / name, shard, metadata);
    written.push_back(folder / name);
    written_names.insert(name);
  }
  if (shards.size() > 1) {
    const std::string index_name = base_name + ".safetensors.index.json";
    const nlohmann::json index = {{"metadata", {{"total_size", total_size}}},
                                  {"weight_map", weight_map}};
    detail::write_text_atomically(folder / index_name, detail::python_style_json(index));
    written.push_back(folder / index_name);
    written_names.insert(index_name);
  }
  remove_stale_weights(folder, base_name, written_names);
  return written;
}

}  // namespace wizard::safetensors
