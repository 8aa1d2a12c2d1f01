#include "golden_refs.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>

#include "test_support.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::test {

void ErrorRecord::expect_near(const std::string& category, const std::string& what, double actual,
                              double expected, Tolerance tolerance) {
  const double difference = std::abs(actual - expected);
  const double scale = std::max(std::abs(expected), std::abs(actual));
  EXPECT_LE(difference, tolerance.rtol * scale + tolerance.atol)
      << what << ": got " << actual << ", TRL " << expected << " (relative error "
      << (scale > 0 ? difference / scale : 0.0) << ")";
  Worst& worst = worst_[category];
  // Denormals and zeros are compared absolutely; their relative error says nothing.
  if (scale >= tolerance.atol && difference / scale > worst.relative) {
    worst.relative = difference / scale;
    worst.worst_value = what;
  }
  worst.absolute = std::max(worst.absolute, difference);
  ++worst.compared;
}

void ErrorRecord::expect_near(const std::string& category, const std::string& what,
                              const at::Tensor& actual, const nlohmann::json& expected,
                              Tolerance tolerance) {
  const std::vector<double> want = doubles_of(expected);
  const at::Tensor got = actual.to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size())) << what;
  for (std::size_t i = 0; i < want.size(); ++i) {
    expect_near(category, what + "[" + std::to_string(i) + "]",
                got[static_cast<int64_t>(i)].item<double>(), want[i], tolerance);
  }
}

void ErrorRecord::print() const {
  for (const auto& [category, worst] : worst_) {
    std::cout << "  " << category << ": " << worst.compared << " values, max relative error "
              << worst.relative << " (" << worst.worst_value << "), max absolute error "
              << worst.absolute << "\n";
  }
}

const nlohmann::json& cpo_losses_json() {
  static const nlohmann::json root = read_json(refs_dir() / "cpo_losses.json");
  return root;
}

std::vector<double> doubles_of(const nlohmann::json& array) {
  if (array.is_number()) return {array.get<double>()};
  return array.get<std::vector<double>>();
}

namespace {

// cpo_losses.json names its reference files relative to the set folder
// ("models/<name>/reference.safetensors"); other fixtures name theirs relative
// to the set's parent ("public/tokenizers/..."). Accept both.
std::filesystem::path reference_file(const std::string& relative) {
  const std::filesystem::path in_set = refs_dir() / relative;
  return std::filesystem::exists(in_set) ? in_set : refs_path(relative);
}

}  // namespace

std::vector<CpoBatchRefs> cpo_batches() {
  std::vector<CpoBatchRefs> batches;
  for (const auto& [name, model] : cpo_losses_json().at("models").items()) {
    CpoBatchRefs batch;
    batch.model_name = name;
    batch.model = &model;
    batch.n_pairs = model.at("n_pairs").get<int64_t>();
    const auto file = safetensors::File::open(reference_file(model.at("reference_file")));
    const std::string logits_key = model.at("logits_key");
    // The batch's tensors share its prefix: "cpo.logits" -> "cpo.labels".
    const std::string labels_key = logits_key.substr(0, logits_key.rfind('.')) + ".labels";
    batch.logits = file.load(logits_key);
    batch.labels = file.load(labels_key);
    batches.push_back(std::move(batch));
  }
  EXPECT_FALSE(batches.empty()) << "cpo_losses.json lists no models";
  return batches;
}

}  // namespace wizard::test
