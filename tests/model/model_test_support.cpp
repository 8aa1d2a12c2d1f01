#include "model_test_support.hpp"

#include <algorithm>

#include "test_support.hpp"
#include "wizard/base/error.hpp"

namespace wizard::test {

namespace fs = std::filesystem;

std::vector<std::string> golden_model_names() {
  std::vector<std::string> names;
  const fs::path models = refs_dir() / "models";
  if (!fs::is_directory(models)) return names;
  for (const auto& entry : fs::directory_iterator(models)) {
    if (fs::exists(entry.path() / "reference.json")) names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

fs::path golden_model_dir(const std::string& name) {
  return refs_dir() / "models" / name;
}

GoldenModel::GoldenModel(const std::string& name)
    : dir(golden_model_dir(name)),
      reference(read_json(dir / "reference.json")),
      tensors(safetensors::File::open(dir / "reference.safetensors")) {}

std::vector<std::string> GoldenModel::batches() const {
  std::vector<std::string> names;
  for (const auto& item : reference.at("batches").items()) names.push_back(item.key());
  return names;
}

bool GoldenModel::has(const std::string& batch, const std::string& tensor) const {
  return tensors.contains(batch + "." + tensor);
}

at::Tensor GoldenModel::get(const std::string& batch, const std::string& tensor) const {
  return tensors.load(batch + "." + tensor);
}

double max_abs_error_at(const at::Tensor& a, const at::Tensor& b, const at::Tensor& mask) {
  const at::Tensor keep = mask.to(at::kCPU).ne(0).unsqueeze(-1).expand_as(a);
  const at::Tensor diff =
      (a.to(at::kCPU, at::kDouble) - b.to(at::kCPU, at::kDouble)).abs().masked_select(keep);
  return diff.numel() ? diff.max().item<double>() : 0.0;
}

std::string parameter_name(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return out;
}

fs::path init_model_folder(const model::InitModelOptions& options, const std::string& name) {
  const fs::path folder = temp_dir(name) / "model";
  model::init_model(folder, options);
  return folder;
}

void expect_error_containing(const std::function<void()>& action,
                             std::initializer_list<std::string> fragments) {
  try {
    action();
    ADD_FAILURE() << "expected a wizard::Error mentioning '" << *fragments.begin() << "'";
  } catch (const Error& error) {
    const std::string message = error.what();
    for (const std::string& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "message lacks '" << fragment << "':\n"
          << message;
    }
  }
}

}  // namespace wizard::test
