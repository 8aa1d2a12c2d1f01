// Finding a model the way transformers does offline: a local folder, or a hub name
// (`org/name`) looked up in the local Hugging Face cache. wizard never downloads.
// See docs/safetensors.md for the resolution order.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::hub {

// One place the cache may be, and why it was chosen (e.g. "HF_HOME=/data/hf -> hub").
struct WIZARD_API CacheRoot {
  std::filesystem::path path;
  std::string reason;
};

// The hub cache folder, from the environment, in huggingface_hub's and transformers'
// order: TRANSFORMERS_CACHE (legacy, deprecated), HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE
// (legacy), HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub.
WIZARD_API CacheRoot cache_root();

// A parsed model reference: `org/name`, `org/name@revision` or a bare `name`.
struct WIZARD_API ModelReference {
  std::string repo_id;   // "org/name"
  std::string revision;  // branch, tag or commit hash; "main" when not given
};

// Splits `reference` (with an optional `@revision` suffix); `revision`, when not empty,
// overrides the suffix. Throws wizard::Error for a malformed name.
WIZARD_API ModelReference parse_reference(const std::string& reference,
                                          const std::string& revision = "");

// The cache folder of one repository: <cache>/models--org--name.
WIZARD_API std::filesystem::path repo_folder(const std::filesystem::path& cache,
                                             const std::string& repo_id);

// Resolves `reference` to a folder holding the model files:
//  1. an existing local folder (as given, relative to the working directory) is used as is;
//  2. otherwise it is a hub name: refs/<revision> in the repository's cache folder names a
//     commit, whose snapshots/<commit>/ is returned; a revision with no ref is tried as a
//     commit itself. Snapshot files may be symlinks into blobs/; both layouts work.
// A model that is not there is a wizard::Error listing every path tried and how to fetch
// the model on a connected machine.
WIZARD_API std::filesystem::path resolve_model(const std::string& reference,
                                               const std::string& revision = "");

// As resolve_model, looking only in the given cache folder.
WIZARD_API std::filesystem::path resolve_in_cache(const std::filesystem::path& cache,
                                                  const ModelReference& reference);

}  // namespace wizard::hub
