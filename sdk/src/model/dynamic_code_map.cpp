#include "dynamic_code_map.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "wizard/base/error.hpp"

namespace wizard::model::detail {

namespace {

constexpr int64_t kCodes = 256;

// create_dynamic_map's arithmetic, op for op, so that the float32 codes are bitsandbytes' own:
// for exponent i = 0..6 the midpoints of linspace(0.1, 1, n_i) in float32, times 10^(i - 6)
// (and their negatives when signed), then 0 and 1, zeros up to 256 entries, sorted.
at::Tensor make_dynamic_map(bool is_signed) {
  constexpr int kExponentBits = 7;
  constexpr int kNonSignBits = 7;
  std::vector<double> values;
  for (int i = 0; i < kExponentBits; ++i) {
    const int64_t fraction_items = is_signed
                                       ? (int64_t{1} << (i + kNonSignBits - kExponentBits)) + 1
                                       : (int64_t{1} << (i + kNonSignBits - kExponentBits + 1)) + 1;
    const at::Tensor boundaries = at::linspace(0.1, 1, fraction_items, at::dtype(at::kFloat));
    const at::Tensor means =
        (boundaries.slice(0, 0, fraction_items - 1) + boundaries.slice(0, 1)) / 2.0;
    const double scale = std::pow(10.0, -(kExponentBits - 1) + i);
    for (const double sign :
         is_signed ? std::vector<double>{1.0, -1.0} : std::vector<double>{1.0}) {
      const at::Tensor scaled = means * (sign * scale);
      const float* begin = scaled.data_ptr<float>();
      values.insert(values.end(), begin, begin + scaled.numel());
    }
  }
  values.push_back(0.0);
  values.push_back(1.0);
  while (static_cast<int64_t>(values.size()) < kCodes) values.push_back(0.0);
  if (static_cast<int64_t>(values.size()) != kCodes) {
    throw Error("the dynamic 8-bit code map has " + std::to_string(values.size()) +
                " codes, not 256");
  }
  std::sort(values.begin(), values.end());
  return at::tensor(values, at::dtype(at::kDouble)).to(at::kFloat);
}

}  // namespace

const at::Tensor& dynamic_map(bool is_signed) {
  static const at::Tensor signed_map = make_dynamic_map(true);
  static const at::Tensor unsigned_map = make_dynamic_map(false);
  return is_signed ? signed_map : unsigned_map;
}

}  // namespace wizard::model::detail
