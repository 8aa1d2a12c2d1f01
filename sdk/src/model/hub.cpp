// Resolving model references offline, following huggingface_hub's cache layout:
//   <cache>/models--<org>--<name>/refs/<revision>   a commit hash
//   <cache>/models--<org>--<name>/snapshots/<hash>/ the files (often symlinks into blobs/)
#include "wizard/model/hub.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>

#include "model/safetensors_files.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"

namespace wizard::hub {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string home_directory() {
  std::string home = env("HOME");
  if (home.empty()) {
    if (const passwd* entry = ::getpwuid(::getuid())) home = entry->pw_dir;
  }
  return home;
}

fs::path expand_user(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) return fs::path(home_directory() + path.substr(1));
  return fs::path(path);
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// huggingface_hub's rule: [\w.-]{1,96} per part, starting and ending with a word
// character, no "--" or "..", not ending in ".git".
std::string repo_part_problem(const std::string& part) {
  if (part.empty()) return "an empty name part";
  if (part.size() > 96) return "a name part longer than 96 characters";
  for (char c : part) {
    if (!is_word_char(c) && c != '-' && c != '.') {
      return std::string("the character '") + c + "' (allowed: letters, digits, '_', '-', '.')";
    }
  }
  if (!is_word_char(part.front()) || !is_word_char(part.back())) {
    return "a part that starts or ends with '-' or '.'";
  }
  return "";
}

void validate_repo_id(const std::string& reference, const std::string& repo_id) {
  const std::size_t slash = repo_id.find('/');
  std::string problem;
  if (slash != std::string::npos && repo_id.find('/', slash + 1) != std::string::npos) {
    problem = "more than one '/'";
  } else if (repo_id.find("--") != std::string::npos || repo_id.find("..") != std::string::npos) {
    problem = "\"--\" or \"..\"";
  } else if (repo_id.size() >= 4 && repo_id.compare(repo_id.size() - 4, 4, ".git") == 0) {
    problem = "a \".git\" ending";
  } else if (slash != std::string::npos) {
    problem = repo_part_problem(repo_id.substr(0, slash));
    if (problem.empty()) problem = repo_part_problem(repo_id.substr(slash + 1));
  } else {
    problem = repo_part_problem(repo_id);
  }
  if (!problem.empty()) {
    throw Error("model '" + reference + "' is neither an existing local folder (" +
                fs::absolute(reference).string() + ") nor a valid hub name like \"org/name\": " +
                "it has " + problem + ". Check the path or the model name");
  }
}

std::string read_ref(const fs::path& ref_file) {
  std::ifstream in(ref_file);
  std::string commit;
  std::getline(in, commit);
  while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back())))
    commit.pop_back();
  return commit;
}

std::string download_advice(const ModelReference& reference, const fs::path& cache) {
  const std::string revision =
      reference.revision == "main" ? "" : " --revision " + reference.revision;
  const std::string revision_arg =
      reference.revision == "main" ? "" : ", revision=\"" + reference.revision + "\"";
  return "wizard never downloads models. On a machine with internet access run\n"
         "  huggingface-cli download " +
         reference.repo_id + revision +
         "\n"
         "or\n"
         "  python -c \"from huggingface_hub import snapshot_download; snapshot_download('" +
         reference.repo_id + "'" + revision_arg +
         ")\"\n"
         "then copy that machine's hub cache (its ~/.cache/huggingface/hub, or $HF_HOME/hub) to " +
         cache.string() +
         " here, or point HF_HOME / HF_HUB_CACHE at a copy of it; "
         "or give the path of a local model folder instead of a hub name.";
}

}  // namespace

CacheRoot cache_root() {
  // transformers reads its legacy variables first (deprecated, still honoured by v4.x).
  for (const char* legacy :
       {"TRANSFORMERS_CACHE", "PYTORCH_TRANSFORMERS_CACHE", "PYTORCH_PRETRAINED_BERT_CACHE"}) {
    if (!env(legacy).empty()) {
      logger()->warn("{} is deprecated (transformers v5 drops it); set HF_HOME instead", legacy);
      return {expand_user(env(legacy)), std::string(legacy) + "=" + env(legacy)};
    }
  }
  for (const char* variable : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
    if (!env(variable).empty()) {
      return {expand_user(env(variable)), std::string(variable) + "=" + env(variable)};
    }
  }
  if (!env("HF_HOME").empty()) {
    return {expand_user(env("HF_HOME")) / "hub", "HF_HOME=" + env("HF_HOME") + ", + /hub"};
  }
  if (!env("XDG_CACHE_HOME").empty()) {
    return {expand_user(env("XDG_CACHE_HOME")) / "huggingface" / "hub",
            "XDG_CACHE_HOME=" + env("XDG_CACHE_HOME") + ", + /huggingface/hub"};
  }
  return {fs::path(home_directory()) / ".cache" / "huggingface" / "hub",
          "the default ~/.cache/huggingface/hub (no HF_HUB_CACHE, HF_HOME or XDG_CACHE_HOME set)"};
}

ModelReference parse_reference(const std::string& reference, const std::string& revision) {
  ModelReference parsed;
  const std::size_t at = reference.find('@');
  parsed.repo_id = reference.substr(0, at);
  parsed.revision = at == std::string::npos ? "" : reference.substr(at + 1);
  if (!revision.empty()) parsed.revision = revision;
  if (parsed.revision.empty()) parsed.revision = "main";
  validate_repo_id(reference, parsed.repo_id);
  // The revision becomes a path under refs/ or snapshots/: keep it inside them.
  const fs::path revision_path(parsed.revision);
  bool escapes = revision_path.is_absolute();
  for (const fs::path& part : revision_path) escapes = escapes || part == "..";
  if (escapes) {
    throw Error("model '" + reference + "': revision '" + parsed.revision +
                "' is not a branch, tag or commit name");
  }
  return parsed;
}

fs::path repo_folder(const fs::path& cache, const std::string& repo_id) {
  std::string folder = "models--" + repo_id;
  for (std::size_t slash = folder.find('/'); slash != std::string::npos; slash = folder.find('/')) {
    folder.replace(slash, 1, "--");
  }
  return cache / folder;
}

namespace {

// The snapshot folder of `reference`, or empty; `tried` gets one line per place looked at.
fs::path find_snapshot(const fs::path& cache, const ModelReference& reference,
                       std::vector<std::string>& tried) {
  const fs::path repo = repo_folder(cache, reference.repo_id);
  if (!safetensors::detail::is_folder(repo)) {
    tried.push_back("repository folder " + repo.string() + " (missing)");
    return {};
  }
  const fs::path ref_file = repo / "refs" / reference.revision;
  std::string commit = reference.revision;
  if (safetensors::detail::is_file(ref_file)) {
    commit = read_ref(ref_file);
    tried.push_back("ref file " + ref_file.string() + " (names commit '" + commit + "')");
  } else {
    tried.push_back("ref file " + ref_file.string() + " (missing; so '" + reference.revision +
                    "' was tried as a commit)");
  }
  const fs::path snapshot = repo / "snapshots" / commit;
  if (!commit.empty() && commit.find('/') == std::string::npos &&
      safetensors::detail::is_folder(snapshot)) {
    return snapshot;
  }
  tried.push_back("snapshot folder " + snapshot.string() + " (missing)");
  return {};
}

[[noreturn]] void fail_missing(const ModelReference& reference, const CacheRoot& cache,
                               const std::vector<std::string>& tried) {
  std::string message = "model '" + reference.repo_id + "' (revision '" + reference.revision +
                        "') was not found. Looked at:\n";
  for (const std::string& line : tried) message += "  - " + line + "\n";
  message += "The hub cache " + cache.path.string() + " comes from " + cache.reason + ".\n";
  throw Error(message + download_advice(reference, cache.path));
}

}  // namespace

fs::path resolve_in_cache(const fs::path& cache, const ModelReference& reference) {
  std::vector<std::string> tried;
  const fs::path snapshot = find_snapshot(cache, reference, tried);
  if (snapshot.empty()) fail_missing(reference, {cache, "the caller"}, tried);
  return snapshot;
}

fs::path resolve_model(const std::string& reference, const std::string& revision) {
  if (reference.empty()) throw Error("no model given: set a local model folder or a hub name");
  if (safetensors::detail::is_folder(reference)) return fs::path(reference);
  const ModelReference parsed = parse_reference(reference, revision);
  const CacheRoot cache = cache_root();
  std::vector<std::string> tried = {"local folder " + fs::absolute(reference).string() +
                                    " (missing)"};
  const fs::path snapshot = find_snapshot(cache.path, parsed, tried);
  if (snapshot.empty()) fail_missing(parsed, cache, tried);
  return snapshot;
}

}  // namespace wizard::hub
