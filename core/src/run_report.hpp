// A run folder's report.html: one self-contained page (inline CSS and SVG, no script, no
// network) with plots of the logged metrics against steps (train and eval together), the run's
// facts (run_info.json), the resolved config, and the generate_during_eval samples
// (samples.jsonl). `wizard report RUN_DIR` writes it; `wizard run` does at the end of a run.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

namespace wizard::core {

// Writes RUN_DIR/report.html from what the folder holds (metrics.jsonl, run_info.json,
// resolved_config.toml, samples.jsonl; each optional) and returns its path. Throws
// wizard::Error when RUN_DIR is not a folder or a file in it is malformed.
std::filesystem::path write_run_report(const std::filesystem::path& run_dir);

// RUN_DIR/run_info.json: what `wizard run` knows of the run (times, peak memory, versions,
// the recipe's summary, how it ended).
void write_run_info(const std::filesystem::path& run_dir, const nlohmann::ordered_json& info);

}  // namespace wizard::core
