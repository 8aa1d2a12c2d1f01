// A checkpoint made of one safetensors file or of shards listed by an index
// (`model.safetensors.index.json`: {"metadata": {...}, "weight_map": {tensor: file}}).
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "model/safetensors_files.hpp"
#include "model/safetensors_header.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::safetensors {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kSingleName = "model.safetensors";
const char* const kIndexName = "model.safetensors.index.json";

bool is_index_file(const fs::path& path) {
  const std::string name = path.filename().string();
  const std::string suffix = ".safetensors.index.json";
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

[[noreturn]] void fail_index(const fs::path& index, const std::string& problem) {
  throw Error("cannot read checkpoint index '" + index.string() + "': " + problem +
              ". Re-download the checkpoint or save it again");
}

json read_index(const fs::path& index) {
  std::ifstream in(index, std::ios::binary);
  if (!in) fail_index(index, "the file cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > detail::kMaxHeaderBytes) fail_index(index, "the file is too large");
  try {
    return json::parse(text.str());
  } catch (const json::exception& error) {
    fail_index(index, "not valid JSON (" + json_error_reason(error) + ")");
  }
}

// A shard name must be a plain file name inside the checkpoint folder.
void check_shard_name(const fs::path& index, const std::string& tensor, const std::string& file) {
  const fs::path relative(file);
  const bool plain =
      !file.empty() && relative == relative.filename() && file != "." && file != "..";
  if (!plain) {
    fail_index(index, "tensor '" + tensor + "' maps to '" + file +
                          "', which is not a file name in the checkpoint folder");
  }
}

}  // namespace

Checkpoint Checkpoint::open(const fs::path& path) {
  Checkpoint checkpoint;
  fs::path index;
  fs::path single;
  if (detail::is_folder(path)) {
    // transformers' order: the single file wins over an index.
    if (detail::is_file(path / kSingleName)) {
      single = path / kSingleName;
    } else if (detail::is_file(path / kIndexName)) {
      index = path / kIndexName;
    } else {
      std::string hint;
      if (detail::is_file(path / "pytorch_model.bin") ||
          detail::is_file(path / "pytorch_model.bin.index.json")) {
        hint =
            " The folder holds PyTorch pickle weights (pytorch_model.bin), which wizard does not "
            "read; convert them with transformers: AutoModelForCausalLM.from_pretrained(folder)"
            ".save_pretrained(folder, safe_serialization=True).";
      }
      throw Error("no safetensors checkpoint in '" + path.string() + "': looked for '" +
                  (path / kSingleName).string() + "' and '" + (path / kIndexName).string() + "'." +
                  hint);
    }
  } else if (detail::is_file(path)) {
    (is_index_file(path) ? index : single) = path;
  } else {
    throw Error("checkpoint '" + path.string() +
                "' does not exist; give a model folder, a .safetensors file or an index file");
  }

  if (!single.empty()) {
    checkpoint.files_.push_back(File::open(single));
    for (const TensorInfo& info : checkpoint.files_.front().tensors()) {
      checkpoint.file_index_.emplace(info.name, 0);
    }
    return checkpoint;
  }

  const json parsed = read_index(index);
  if (!parsed.is_object()) fail_index(index, "not a JSON object");
  const auto weight_map = parsed.find("weight_map");
  if (weight_map == parsed.end() || !weight_map->is_object()) {
    fail_index(index, "it has no \"weight_map\" object");
  }
  const auto metadata = parsed.find("metadata");
  if (metadata != parsed.end()) checkpoint.index_metadata_ = *metadata;

  std::map<std::string, std::vector<std::string>> tensors_by_file;  // sorted by file name
  for (const auto& [tensor, file] : weight_map->items()) {
    if (!file.is_string()) fail_index(index, "tensor '" + tensor + "' does not map to a file name");
    check_shard_name(index, tensor, file.get<std::string>());
    tensors_by_file[file.get<std::string>()].push_back(tensor);
  }
  const fs::path folder = index.parent_path();
  for (const auto& [file, tensors] : tensors_by_file) {
    const fs::path shard = folder / file;
    if (!detail::is_file(shard)) {
      fail_index(index, "shard '" + file + "' (holding " + std::to_string(tensors.size()) +
                            " tensors, e.g. '" + tensors.front() + "') is missing: no file '" +
                            shard.string() + "'");
    }
    checkpoint.files_.push_back(File::open(shard));
    const File& opened = checkpoint.files_.back();
    for (const std::string& tensor : tensors) {
      if (!opened.contains(tensor)) {
        fail_index(index, "it places tensor '" + tensor + "' in '" + shard.string() +
                              "', but that file has no such tensor");
      }
      checkpoint.file_index_.emplace(tensor, checkpoint.files_.size() - 1);
    }
    if (opened.tensors().size() > tensors.size()) {
      logger()->debug("{}: {} tensors of shard {} are not in the index and are ignored",
                      index.string(), opened.tensors().size() - tensors.size(), file);
    }
  }
  return checkpoint;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> names;
  names.reserve(file_index_.size());
  for (const auto& entry : file_index_) names.push_back(entry.first);
  return names;
}

bool Checkpoint::contains(const std::string& name) const {
  return file_index_.count(name) > 0;
}

const File& Checkpoint::file_of(const std::string& name) const {
  const auto found = file_index_.find(name);
  if (found == file_index_.end()) {
    std::string where = files_.size() == 1 ? files_.front().path().string()
                                           : std::to_string(files_.size()) + " shards";
    throw Error("the checkpoint (" + where + ") has no tensor named '" + name + "'");
  }
  return files_[found->second];
}

const TensorInfo& Checkpoint::info(const std::string& name) const {
  return file_of(name).info(name);
}

const std::vector<File>& Checkpoint::files() const {
  return files_;
}

const json& Checkpoint::index_metadata() const {
  return index_metadata_;
}

at::Tensor Checkpoint::load(const std::string& name, std::optional<at::ScalarType> dtype,
                            std::optional<at::Device> device) const {
  return file_of(name).load(name, dtype, device);
}

}  // namespace wizard::safetensors
