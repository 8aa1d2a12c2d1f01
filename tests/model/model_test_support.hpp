// Shared pieces of the model tests: discovering the golden model folders, reading their
// reference tensors, and comparing logits where the attention mask marks tokens.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "wizard/model/init_model.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::test {

// Every folder under <refs>/models holding a reference.json, sorted by name.
std::vector<std::string> golden_model_names();
std::filesystem::path golden_model_dir(const std::string& name);

// One golden model: its reference.json and reference tensors `<batch>.<tensor>`.
struct GoldenModel {
  explicit GoldenModel(const std::string& name);
  std::filesystem::path dir;
  nlohmann::json reference;
  safetensors::File tensors;
  std::vector<std::string> batches() const;  // keys of reference["batches"]
  bool has(const std::string& batch, const std::string& tensor) const;
  at::Tensor get(const std::string& batch, const std::string& tensor) const;
};

// Largest |a - b| over positions where mask [R, T] is nonzero; a, b [R, T, V].
double max_abs_error_at(const at::Tensor& a, const at::Tensor& b, const at::Tensor& mask);

// gtest parameter names must be identifiers.
std::string parameter_name(const std::string& name);

// A fresh model folder written by init_model (in a temporary folder).
std::filesystem::path init_model_folder(const model::InitModelOptions& options,
                                        const std::string& name = "init-model");

// Runs `action`, which must throw wizard::Error whose message contains every fragment.
void expect_error_containing(const std::function<void()>& action,
                             std::initializer_list<std::string> fragments);

}  // namespace wizard::test
