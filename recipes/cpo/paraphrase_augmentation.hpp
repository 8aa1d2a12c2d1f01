// augment_data with augmentation_strategy = "paraphrase" (docs/cpo.md, "Data augmentation"):
// the prompts of a share (augmentation_ratio) of the training rows, chosen by the run's seed
// (the rows "noise" would pick), are paraphrased by a model — the policy's starting weights or
// augmentation_model — with the generation SDK, and each paraphrase becomes an extra training
// row: the same row with its prompt replaced (the text of a string prompt, or of a
// conversation's last user message), the same answers.
//
// The request: with a chat template, one user message
//   "Paraphrase the following text. Keep its meaning, its language and every detail it
//    gives; reply with the paraphrase only.\n\n<text>"
// rendered with the template's generation prompt (enable_thinking = false unless the run's
// chat_template_kwargs set it); a model without one gets the plain text
//   "Paraphrase the following text. Keep its meaning.\nText: <text>\nParaphrase:"
// and stops at the first newline. Sampling (augmentation_temperature, _top_p, _top_k),
// new tokens at most min(augmentation_max_new_tokens, 2 x the batch's longest request text
// in tokens + 16), augmentation_batch_size requests at a time, batch b seeded from the run's
// seed and b (so a resumed run makes the same paraphrases as one that was never stopped).
//
// A paraphrase that is empty, or equal to its prompt once surrounding white space is removed,
// is dropped; the log line counts them.
//
// Cache: output_dir/cache/paraphrases.jsonl — a header with the fingerprint of the selected
// prompts, the model's files, dtype and the sampling settings, then one line per request
// ("row", "batch", "paraphrase", "kept", "dropped": why), written batch by batch. A run with
// the same fingerprint reuses every complete batch and generates only the rest (resumes after
// a kill); another fingerprint starts the file over.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "augmentation_settings.hpp"
#include "wizard/chat/template_loader.hpp"
#include "wizard/data/dataset.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::cpo {

struct ParaphraseContext {
  std::filesystem::path model_dir;  // the paraphrasing model (policy's or augmentation_model)
  // The policy, when it paraphrases (not loaded again); null: model_dir is loaded in `dtype`
  // on `device` for the generation and released after it.
  const model::CausalLM* model = nullptr;
  at::ScalarType dtype = at::kFloat;
  c10::Device device = c10::kCPU;
  nlohmann::ordered_json chat_template_kwargs = nlohmann::ordered_json::object();
  std::filesystem::path output_dir;
  std::string prompt_column = "prompt";
  std::uint64_t seed = 42;
};

struct ParaphraseCounts {
  std::int64_t selected = 0;   // rows drawn (with a prompt it can paraphrase)
  std::int64_t added = 0;      // extra rows appended
  std::int64_t empty = 0;      // dropped: empty paraphrase
  std::int64_t same = 0;       // dropped: equal to the prompt
  std::int64_t generated = 0;  // requests generated now (the others came from the cache)
};

// The request text for `text` (the paraphrase prompt above), rendered for the model.
std::string paraphrase_request(const std::string& text, const ModelChatTemplates& templates);

// Why `paraphrase` of `prompt` is dropped ("empty", "same as the prompt"), or "" when kept.
std::string paraphrase_drop_reason(const std::string& paraphrase, const std::string& prompt);

// Appends the paraphrased rows to `rows` (the training split).
ParaphraseCounts add_paraphrased_rows(Dataset& rows, double ratio,
                                      const ParaphraseSampling& sampling,
                                      const ParaphraseContext& context);

}  // namespace wizard::cpo
