#include "model/safetensors_dtype.hpp"

#include <array>

#include "wizard/base/error.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::safetensors::detail {

namespace {

constexpr at::ScalarType kNone = at::ScalarType::Undefined;

constexpr at::ScalarType kF8E5M2 = at::ScalarType::Float8_e5m2;
constexpr at::ScalarType kF8E4M3 = at::ScalarType::Float8_e4m3fn;
constexpr at::ScalarType kU16 = at::ScalarType::UInt16;
constexpr at::ScalarType kU32 = at::ScalarType::UInt32;
constexpr at::ScalarType kU64 = at::ScalarType::UInt64;

// In the order of the Rust crate's Dtype enum (increasing alignment), which its
// writer uses to sort tensors; every dtype the crate knows, so that files with
// exotic dtypes still open and only loading those tensors fails.
const std::array<DtypeEntry, 20> kDtypes = {{
    {"BOOL", 8, at::kBool, 0},
    {"F4", 4, kNone, 1},
    {"F6_E2M3", 6, kNone, 2},
    {"F6_E3M2", 6, kNone, 3},
    {"U8", 8, at::kByte, 4},
    {"I8", 8, at::kChar, 5},
    {"F8_E5M2", 8, kF8E5M2, 6},
    {"F8_E4M3", 8, kF8E4M3, 7},
    {"F8_E8M0", 8, kNone, 8},
    {"I16", 16, at::kShort, 9},
    {"U16", 16, kU16, 10},
    {"F16", 16, at::kHalf, 11},
    {"BF16", 16, at::kBFloat16, 12},
    {"I32", 32, at::kInt, 13},
    {"U32", 32, kU32, 14},
    {"F32", 32, at::kFloat, 15},
    {"C64", 64, at::kComplexFloat, 16},
    {"F64", 64, at::kDouble, 17},
    {"I64", 64, at::kLong, 18},
    {"U64", 64, kU64, 19},
}};

}  // namespace

const DtypeEntry* find_dtype(const std::string& name) {
  for (const DtypeEntry& entry : kDtypes) {
    if (name == entry.name) return &entry;
  }
  return nullptr;
}

const DtypeEntry* find_dtype(at::ScalarType scalar) {
  if (scalar == kNone) return nullptr;
  for (const DtypeEntry& entry : kDtypes) {
    if (entry.scalar == scalar) return &entry;
  }
  return nullptr;
}

}  // namespace wizard::safetensors::detail

namespace wizard::safetensors {

std::string dtype_name(at::ScalarType dtype) {
  const detail::DtypeEntry* entry = detail::find_dtype(dtype);
  if (!entry) {
    throw Error(std::string("safetensors cannot store tensors of dtype ") + c10::toString(dtype) +
                "; convert the tensor to a supported dtype (F64, F32, F16, BF16, I64, I32, I16, "
                "I8, U8, BOOL) before saving");
  }
  return entry->name;
}

}  // namespace wizard::safetensors
