// Writing and reading back safetensors files: every dtype bit for bit, the
// reference writer's layout, metadata, odd shapes and conversions on load.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>

#include "model_io_support.hpp"
#include "test_support.hpp"
#include "wizard/model/safetensors.hpp"

namespace {

namespace fs = std::filesystem;
namespace st = wizard::safetensors;
using wizard::test::expect_error;

// Arbitrary bit patterns (NaN payloads, infinities, denormals included) of `dtype`.
at::Tensor random_bits(at::ScalarType dtype, std::vector<int64_t> shape) {
  if (dtype == at::kBool) return at::randint(0, 2, shape, at::kLong).to(at::kBool);
  int64_t numel = 1;
  for (int64_t dim : shape) numel *= dim;
  const int64_t nbytes = numel * static_cast<int64_t>(c10::elementSize(dtype));
  return at::randint(0, 256, {nbytes}, at::kLong).to(at::kByte).view(dtype).view(shape);
}

bool same_bytes(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const at::Tensor ca = a.contiguous();
  const at::Tensor cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

nlohmann::ordered_json header_of(const fs::path& file, std::string* raw = nullptr) {
  const std::string bytes = wizard::test::read_bytes(file);
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[i]);
  const std::string text = bytes.substr(8, length);
  if (raw) *raw = text;
  return nlohmann::ordered_json::parse(text);
}

const std::vector<std::pair<const char*, at::ScalarType>> kStoredDtypes = {
    {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf},        {"BF16", at::kBFloat16},
    {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort},       {"I8", at::kChar},
    {"U8", at::kByte},    {"BOOL", at::kBool}, {"C64", at::kComplexFloat}};

TEST(SafetensorsRoundTrip, EveryDtypeIsBitIdentical) {
  at::manual_seed(7);
  st::NamedTensors tensors;
  for (const auto& [name, dtype] : kStoredDtypes) {
    tensors.emplace_back(std::string("t_") + name, random_bits(dtype, {3, 5, 7}));
  }
  const fs::path file = wizard::test::temp_dir("st_dtypes") / "all.safetensors";
  st::save(file, tensors);

  const st::File loaded = st::File::open(file);
  ASSERT_EQ(loaded.tensors().size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    const st::TensorInfo& info = loaded.info(name);
    EXPECT_EQ(info.dtype, tensor.scalar_type()) << name;
    EXPECT_EQ(info.dtype_name, st::dtype_name(tensor.scalar_type())) << name;
    EXPECT_EQ(info.shape, tensor.sizes().vec()) << name;
    EXPECT_TRUE(same_bytes(loaded.load(name), tensor)) << name;
  }
}

TEST(SafetensorsRoundTrip, DtypeNamesAreTheFormats) {
  for (const auto& [name, dtype] : kStoredDtypes) EXPECT_EQ(st::dtype_name(dtype), name);
  expect_error([] { st::dtype_name(at::kComplexDouble); }, {"cannot store", "ComplexDouble"});
}

TEST(SafetensorsRoundTrip, LayoutFollowsTheReferenceWriter) {
  // Rust crate: tensors sorted by dtype (larger alignment first) then name, data
  // offsets contiguous from 0, header padded with spaces to a multiple of 8.
  const st::NamedTensors tensors = {{"b", at::ones({3}, at::kFloat)},
                                    {"flag", at::ones({5}, at::kBool)},
                                    {"a", at::ones({2}, at::kFloat)},
                                    {"half", at::ones({1}, at::kBFloat16)},
                                    {"ids", at::ones({2}, at::kLong)}};
  const fs::path file = wizard::test::temp_dir("st_layout") / "x.safetensors";
  st::save(file, tensors);
  std::string raw;
  const nlohmann::ordered_json header = header_of(file, &raw);

  std::vector<std::string> order;
  for (const auto& item : header.items()) order.push_back(item.key());
  EXPECT_EQ(order, (std::vector<std::string>{"__metadata__", "ids", "a", "b", "half", "flag"}));
  EXPECT_EQ(header["__metadata__"], nlohmann::ordered_json({{"format", "pt"}}));
  EXPECT_EQ((8 + raw.size()) % 8, 0u);
  EXPECT_EQ(raw.find_first_of(' '), raw.find_last_not_of(' ') + 1) << "padding is trailing spaces";
  EXPECT_LT(raw.size() - (raw.find_last_not_of(' ') + 1), 8u);
  EXPECT_EQ(header["ids"]["data_offsets"], nlohmann::ordered_json({0, 16}));
  EXPECT_EQ(header["a"]["data_offsets"], nlohmann::ordered_json({16, 24}));
  EXPECT_EQ(header["flag"]["data_offsets"], nlohmann::ordered_json({38, 43}));
  EXPECT_EQ(wizard::test::read_bytes(file).size(), 8 + raw.size() + 43);
}

TEST(SafetensorsRoundTrip, MetadataIsKeptAndEmptyMetadataIsOmitted) {
  const fs::path dir = wizard::test::temp_dir("st_metadata");
  const st::NamedTensors tensors = {{"x", at::zeros({2})}};
  st::save(dir / "custom.safetensors", tensors,
           {{"format", "pt"}, {"producer", "wizard \xc3\xa9"}});
  EXPECT_EQ(st::File::open(dir / "custom.safetensors").metadata(),
            (st::Metadata{{"format", "pt"}, {"producer", "wizard \xc3\xa9"}}));

  st::save(dir / "none.safetensors", tensors, {});
  EXPECT_TRUE(st::File::open(dir / "none.safetensors").metadata().empty());
  EXPECT_FALSE(header_of(dir / "none.safetensors").contains("__metadata__"));
}

TEST(SafetensorsRoundTrip, ScalarsEmptyTensorsAndEmptyFiles) {
  const fs::path dir = wizard::test::temp_dir("st_shapes");
  const st::NamedTensors tensors = {{"scalar", at::full({}, 2.5, at::kDouble)},
                                    {"empty", at::zeros({0, 3}, at::kFloat)},
                                    {"after", at::arange(4, at::kInt)}};
  st::save(dir / "shapes.safetensors", tensors);
  const st::File file = st::File::open(dir / "shapes.safetensors");
  EXPECT_EQ(file.info("scalar").shape, std::vector<int64_t>{});
  EXPECT_EQ(file.load("scalar").item<double>(), 2.5);
  EXPECT_EQ(file.load("empty").sizes(), at::IntArrayRef({0, 3}));
  EXPECT_TRUE(same_bytes(file.load("after"), tensors[2].second));

  st::save(dir / "nothing.safetensors", {});
  EXPECT_TRUE(st::File::open(dir / "nothing.safetensors").tensors().empty());
  EXPECT_EQ(wizard::test::read_bytes(dir / "nothing.safetensors").size() % 8, 0u);
}

TEST(SafetensorsRoundTrip, ViewsAreWrittenAsTheirValues) {
  const at::Tensor base = at::arange(24, at::kFloat).view({4, 6});
  const at::Tensor complex = at::randn({3}, at::kComplexFloat);
  const st::NamedTensors tensors = {{"transposed", base.t()},
                                    {"sliced", base.slice(1, 2, 5)},
                                    {"expanded", at::ones({1, 3}).expand({2, 3})},
                                    {"conjugated", complex.conj()}};
  const fs::path file = wizard::test::temp_dir("st_views") / "views.safetensors";
  st::save(file, tensors);
  const st::File loaded = st::File::open(file);
  for (const auto& [name, tensor] : tensors) {
    EXPECT_TRUE(at::equal(loaded.load(name), tensor.resolve_conj())) << name;
  }
}

TEST(SafetensorsRoundTrip, LoadConvertsDtypeAndOwnsItsMemory) {
  const at::Tensor values = at::randn({4, 4}, at::kFloat);
  const fs::path file = wizard::test::temp_dir("st_convert") / "x.safetensors";
  st::save(file, {{"w", values}});
  at::Tensor bf16;
  at::Tensor f32;
  {
    const st::File loaded = st::File::open(file);
    bf16 = loaded.load("w", at::kBFloat16);
    f32 = loaded.load("w", std::nullopt, at::Device(at::kCPU));
    EXPECT_TRUE(same_bytes(loaded.load("w", at::kDouble), values.to(at::kDouble)));
  }  // the mapping is gone; the tensors must not depend on it
  EXPECT_TRUE(same_bytes(bf16, values.to(at::kBFloat16)));
  f32.add_(1.0);  // writable: a copy, not a read-only mapping
  EXPECT_TRUE(at::equal(f32, values + 1.0));
}

TEST(SafetensorsRoundTrip, MissingTensorNamesTheFileAndTheName) {
  const fs::path file = wizard::test::temp_dir("st_missing") / "x.safetensors";
  st::save(file, {{"present", at::zeros({1})}});
  const st::File loaded = st::File::open(file);
  EXPECT_TRUE(loaded.contains("present"));
  EXPECT_FALSE(loaded.contains("absent"));
  expect_error([&] { loaded.load("absent"); }, {file.string(), "'absent'", "'present'"});
}

TEST(SafetensorsRoundTrip, SaveRejectsWhatTheFormatCannotHold) {
  const fs::path dir = wizard::test::temp_dir("st_reject");
  const fs::path file = dir / "x.safetensors";
  expect_error(
      [&] {
        st::save(file, {{"a", at::zeros({1})}, {"a", at::ones({1})}});
      },
      {"'a'", "twice"});
  expect_error([&] { st::save(file, {{"__metadata__", at::zeros({1})}}); }, {"reserved"});
  expect_error([&] { st::save(file, {{"u", at::Tensor()}}); }, {"'u'", "undefined"});
  expect_error(
      [&] {
        st::save(file, {{"z", at::zeros({1}, at::kComplexDouble)}});
      },
      {"'z'", "ComplexDouble"});
  EXPECT_TRUE(fs::is_empty(dir)) << "a refused save leaves nothing behind";
}

TEST(SafetensorsRoundTrip, SaveReplacesAtomicallyAndLeavesNoTemporaryFiles) {
  const fs::path dir = wizard::test::temp_dir("st_atomic");
  const fs::path file = dir / "x.safetensors";
  st::save(file, {{"v", at::zeros({2})}});
  st::save(file, {{"v", at::ones({3})}});
  EXPECT_TRUE(at::equal(st::File::open(file).load("v"), at::ones({3})));
  expect_error([&] { st::save(file, {{"v", at::zeros({1}, at::kComplexDouble)}}); }, {"'v'"});
  EXPECT_TRUE(at::equal(st::File::open(file).load("v"), at::ones({3})));
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"x.safetensors"});
  expect_error([&] { st::save(dir / "no" / "such" / "x.safetensors", {}); },
               {"cannot create", "x.safetensors"});
}

TEST(SafetensorsRoundTrip, DtypesLibTorchCannotHoldOpenButDoNotLoad) {
  const std::string header = R"({"fp8":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]},)"
                             R"("u16":{"dtype":"U16","shape":[1],"data_offsets":[2,4]},)"
                             R"("f4":{"dtype":"F4","shape":[4],"data_offsets":[4,6]}})";
  const fs::path file = wizard::test::temp_dir("st_exotic") / "x.safetensors";
  wizard::test::write_bytes(file, wizard::test::safetensors_bytes(header, std::string(6, '\1')));
  const st::File loaded = st::File::open(file);
  EXPECT_EQ(loaded.info("fp8").dtype_name, "F8_E4M3");
  EXPECT_EQ(loaded.info("f4").nbytes(), 2u);
  expect_error([&] { loaded.load("f4"); }, {"'f4'", "F4", "not supported"});
  EXPECT_EQ(loaded.load("fp8", at::kFloat).numel(), 2);
}

}  // namespace
