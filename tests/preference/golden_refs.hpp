// cpo_losses.json and the reference logits it was computed from, with the
// tolerances of refs/README.md section B and a record of the largest errors.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace wizard::test {

struct Tolerance {
  double rtol;
  double atol;  // for float32 denormals (AlphaPO losses of ~1e-41) and exact zeros
};

// float32 against TRL: 3e-6 relative; with AlphaPO's exp(logp)^-alpha: 1e-4.
// bfloat16 (TRL's bf16 path): one bfloat16 step (2^-7 relative). Values below
// float32's smallest normal number (1.2e-38) compare absolutely.
inline constexpr Tolerance kFloat32Tolerance{3e-6, 1.2e-38};
inline constexpr Tolerance kAlphaTolerance{1e-4, 1.2e-38};
inline constexpr Tolerance kBfloat16Tolerance{7.8125e-3, 1.2e-38};

// Largest relative error seen per category, printed at the end of a test.
class ErrorRecord {
 public:
  void expect_near(const std::string& category, const std::string& what, double actual,
                   double expected, Tolerance tolerance);
  void expect_near(const std::string& category, const std::string& what, const at::Tensor& actual,
                   const nlohmann::json& expected, Tolerance tolerance);
  void print() const;

 private:
  struct Worst {
    double relative = 0;
    double absolute = 0;
    std::string worst_value;  // what had the largest relative error
    long compared = 0;
  };
  std::map<std::string, Worst> worst_;
};

// One model's `cpo` batch from cpo_losses.json and its reference.safetensors.
struct CpoBatchRefs {
  std::string model_name;
  const nlohmann::json* model = nullptr;  // the model's entry in cpo_losses.json
  at::Tensor logits;                      // [2n, T, V] float32, as TRL received them
  at::Tensor labels;                      // [2n, T], -100 on prompt and padding
  int64_t n_pairs = 0;
};

// cpo_losses.json of the set in WIZARD_REFS.
const nlohmann::json& cpo_losses_json();

// Every model of cpo_losses.json with its logits and labels (fails the test if none).
std::vector<CpoBatchRefs> cpo_batches();

// The case's numbers as doubles (a JSON array).
std::vector<double> doubles_of(const nlohmann::json& array);

}  // namespace wizard::test
