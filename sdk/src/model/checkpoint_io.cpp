// Model folders in the Hugging Face layout, written through a staging folder that
// is swapped into place, so readers see either the old folder or the new one.
#include "wizard/model/checkpoint_io.hpp"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstring>

#include "model/safetensors_files.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"

namespace wizard::model {

namespace fs = std::filesystem;

namespace {

// Puts `staging` at `target`. An existing target is exchanged atomically (renameat2
// RENAME_EXCHANGE) and then removed; where the file system cannot exchange, the old
// folder is first renamed aside, so a crash in between leaves it complete under its
// aside name.
void move_into_place(const fs::path& staging, const fs::path& target) {
  if (!fs::exists(fs::symlink_status(target))) {
    fs::rename(staging, target);
    return;
  }
  if (!fs::is_directory(fs::symlink_status(target))) {
    throw Error("cannot save model folder '" + target.string() +
                "': a file (not a folder) with that name exists; remove it or choose another path");
  }
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(staging);  // now holds the old folder
    return;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
    throw Error("cannot replace model folder '" + target.string() + "' with '" + staging.string() +
                "': " + std::strerror(errno));
  }
  const fs::path aside = safetensors::detail::unique_sibling(target, "old");
  fs::rename(target, aside);
  fs::rename(staging, target);
  fs::remove_all(aside);
}

}  // namespace

TensorMap load_weights(const fs::path& folder, std::optional<at::ScalarType> dtype,
                       std::optional<at::Device> device) {
  const safetensors::Checkpoint checkpoint = safetensors::Checkpoint::open(folder);
  TensorMap tensors;
  for (const std::string& name : checkpoint.names()) {
    tensors.emplace(name, checkpoint.load(name, dtype, device));
  }
  return tensors;
}

const std::vector<std::string>& tokenizer_file_names() {
  static const std::vector<std::string> names = {"tokenizer.json",
                                                 "tokenizer_config.json",
                                                 "special_tokens_map.json",
                                                 "added_tokens.json",
                                                 "chat_template.jinja",
                                                 "chat_template.json",
                                                 "tokenizer.model",
                                                 "vocab.json",
                                                 "merges.txt",
                                                 "vocab.txt"};
  return names;
}

std::vector<std::string> copy_tokenizer_files(const fs::path& source, const fs::path& destination) {
  if (!safetensors::detail::is_folder(source)) {
    throw Error("cannot copy tokenizer files from '" + source.string() +
                "': it is not a folder; give the model folder the tokenizer was loaded from");
  }
  std::vector<std::string> copied;
  for (const std::string& name : tokenizer_file_names()) {
    const fs::path file = source / name;
    if (!safetensors::detail::is_file(file)) continue;  // follows hub-cache symlinks into blobs/
    fs::copy_file(file, destination / name, fs::copy_options::overwrite_existing);
    // A copy from a read-only source (a shared HF cache) stays ours to replace later.
    fs::permissions(destination / name, fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::add);
    copied.push_back(name);
  }
  if (copied.empty()) logger()->warn("no tokenizer files found in {}", source.string());
  return copied;
}

void write_json_file(const fs::path& path, const nlohmann::json& value) {
  safetensors::detail::write_text_atomically(path, safetensors::detail::python_style_json(value));
}

void save_model_folder(const fs::path& target, const safetensors::NamedTensors& tensors,
                       const SaveOptions& options) {
  if (target.empty() || !target.has_filename()) {
    throw Error("cannot save a model folder to '" + target.string() +
                "': give a folder path without a trailing '/'");
  }
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  fs::create_directories(parent);
  const fs::path staging = safetensors::detail::unique_sibling(target, "staging");
  fs::create_directory(staging);
  try {
    safetensors::save_sharded(staging, tensors, options.max_shard_bytes, "model");
    if (!options.config.is_null()) write_json_file(staging / "config.json", options.config);
    if (!options.generation_config.is_null()) {
      write_json_file(staging / "generation_config.json", options.generation_config);
    }
    if (!options.tokenizer_source.empty()) copy_tokenizer_files(options.tokenizer_source, staging);
    if (options.write_extra) options.write_extra(staging);
    safetensors::detail::sync_directory(staging);
    move_into_place(staging, target);
    safetensors::detail::sync_directory(parent);
  } catch (const fs::filesystem_error& error) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw Error("cannot save model folder '" + target.string() + "': " + error_text(error) +
                "; check that the folder is writable and the disk has free space");
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
}

}  // namespace wizard::model
