// Untrusted files: every malformed input is a wizard::Error that names the file,
// the tensor and the problem, and nothing is read out of bounds.
#include <gtest/gtest.h>

#include "model_io_support.hpp"
#include "test_support.hpp"
#include "wizard/model/safetensors.hpp"

namespace {

namespace fs = std::filesystem;
namespace st = wizard::safetensors;
using wizard::test::expect_error;
using wizard::test::safetensors_bytes;

// "a": two F32 values at [0, 8); "b": four I8 values at [8, 12).
const std::string kGoodHeader = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"I8","shape":[4],"data_offsets":[8,12]}})";

std::string good_data() {
  const float a[2] = {1.5f, -2.0f};
  std::string data(reinterpret_cast<const char*>(a), sizeof a);
  return data + std::string("\x01\x02\x03\x04", 4);
}

class SafetensorsCorrupt : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = wizard::test::temp_dir("st_corrupt"); }

  // Writes `bytes` and expects opening (and loading everything) to fail with `fragments`,
  // which always include the file's path.
  void expect_rejected(const std::string& bytes, const std::vector<std::string>& fragments) {
    const fs::path file = dir_ / ("case" + std::to_string(++count_) + ".safetensors");
    wizard::test::write_bytes(file, bytes);
    expect_error(
        [&] {
          const st::File opened = st::File::open(file);
          for (const st::TensorInfo& info : opened.tensors()) opened.load(info.name);
        },
        {file.string()});
    expect_error([&] { st::File::open(file); }, fragments);
  }

  // A file whose only tensor "a" has the header entry `entry`, followed by `data_bytes`
  // zero bytes; the message must name the tensor.
  void expect_entry_rejected(const std::string& entry, std::size_t data_bytes,
                             std::vector<std::string> fragments) {
    fragments.push_back("tensor 'a'");
    expect_rejected(safetensors_bytes("{\"a\":" + entry + "}", std::string(data_bytes, '\0')),
                    fragments);
  }

  fs::path dir_;
  int count_ = 0;
};

TEST_F(SafetensorsCorrupt, HandMadeValidFileLoads) {
  const fs::path file = dir_ / "good.safetensors";
  wizard::test::write_bytes(file, safetensors_bytes(kGoodHeader, good_data()));
  const st::File opened = st::File::open(file);
  EXPECT_TRUE(at::equal(opened.load("a"), at::tensor({1.5f, -2.0f})));
  EXPECT_TRUE(at::equal(opened.load("b"), at::tensor({1, 2, 3, 4}, at::kChar)));
  EXPECT_TRUE(opened.metadata().empty());
}

TEST_F(SafetensorsCorrupt, TruncatedFiles) {
  const std::string good = safetensors_bytes(kGoodHeader, good_data());
  expect_rejected("", {"0 bytes long", "8-byte header length"});
  expect_rejected(good.substr(0, 5), {"5 bytes long"});
  expect_rejected(good.substr(0, 8 + kGoodHeader.size() / 2), {"header length", "truncated"});
  expect_rejected(good.substr(0, good.size() - 1),
                  {"tensor 'b'", "data_offsets [8, 12]", "outside the data section of 11 bytes"});
  expect_rejected(good.substr(0, 8 + kGoodHeader.size()), {"outside the data section of 0 bytes"});
}

TEST_F(SafetensorsCorrupt, HeaderLengthBeyondFileOrLimit) {
  std::string bytes = safetensors_bytes(kGoodHeader, good_data());
  bytes[2] = '\x10';  // claims ~1 MB of header
  expect_rejected(bytes, {"header length 10", "larger than the rest of the file"});
  bytes[2] = 0;
  bytes[5] = '\x01';  // ~1 TB: above the 100 MB limit
  expect_rejected(bytes, {"exceeds the format's limit of 100000000 bytes"});
  bytes[5] = 0;
  bytes[7] = '\xff';  // does not fit any signed or unsigned arithmetic on the file size
  expect_rejected(bytes, {"exceeds the format's limit"});
}

TEST_F(SafetensorsCorrupt, HeaderIsNotJson) {
  expect_rejected(safetensors_bytes("{\"a\": {\"dtype\": ", ""), {"not valid JSON"});
  expect_rejected(safetensors_bytes("not json at all", ""), {"not valid JSON"});
  expect_rejected(safetensors_bytes("{} trailing", ""), {"not valid JSON"});
  expect_rejected(safetensors_bytes("{\"\xff\xfe\":1}", ""), {"not valid JSON"});
  expect_rejected(safetensors_bytes("[1,2]", ""), {"not a JSON object"});
  expect_entry_rejected(R"({"dtype":"F32","shape":[[1]],"data_offsets":[0,4]})", 4,
                        {"nests JSON deeper"});
}

TEST_F(SafetensorsCorrupt, OffsetsOutOfRange) {
  expect_entry_rejected(R"({"dtype":"F32","shape":[2],"data_offsets":[8,16]})", 8,
                        {"[8, 16]", "outside the data section of 8 bytes"});
  expect_entry_rejected(R"({"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]})", 0,
                        {"outside the data section"});
  expect_entry_rejected(R"({"dtype":"F32","shape":[0],"data_offsets":[8,0]})", 8,
                        {"end before they begin"});
  expect_entry_rejected(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})", 8,
                        {"not a [begin, end] pair"});
  expect_entry_rejected(R"({"dtype":"F32","shape":[2],"data_offsets":[-1,7]})", 8,
                        {"data offset is negative"});
}

TEST_F(SafetensorsCorrupt, OverlapsGapsAndUncoveredBytes) {
  const std::string a = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  expect_rejected(
      safetensors_bytes("{" + a + R"(,"b":{"dtype":"I8","shape":[4],"data_offsets":[4,8]}})",
                        std::string(8, '\0')),
      {"tensor 'b'", "overlap", "tensor 'a'"});
  expect_rejected(
      safetensors_bytes("{" + a + R"(,"b":{"dtype":"I8","shape":[2],"data_offsets":[10,12]}})",
                        std::string(12, '\0')),
      {"tensor 'b'", "2 unused bytes", "offset 8"});
  expect_rejected(safetensors_bytes(kGoodHeader, good_data() + "xyz"),
                  {"cover 12 bytes but the data section has 15"});
}

TEST_F(SafetensorsCorrupt, SizeDisagreesWithShapeAndDtype) {
  expect_entry_rejected(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})", 8,
                        {"hold 8 bytes", "shape [3] of F32 needs 12"});
  expect_entry_rejected(R"({"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]})",
                        8, {"more elements than can be addressed"});
  expect_entry_rejected(R"({"dtype":"F4","shape":[3],"data_offsets":[0,2]})", 2, {"whole bytes"});
}

TEST_F(SafetensorsCorrupt, BadEntries) {
  expect_entry_rejected(R"({"dtype":"Q4","shape":[2],"data_offsets":[0,8]})", 8,
                        {"unknown dtype \"Q4\""});
  expect_entry_rejected(R"({"dtype":7,"shape":[2],"data_offsets":[0,8]})", 8,
                        {"\"dtype\" is not a string"});
  expect_entry_rejected(R"({"shape":[2],"data_offsets":[0,8]})", 8, {"no \"dtype\""});
  expect_entry_rejected(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})", 8,
                        {"dimension 0", "is negative (-2)"});
  expect_entry_rejected(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})", 8,
                        {"not a non-negative integer (2.0)"});
  expect_entry_rejected(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})", 8,
                        {"\"shape\" is not an array"});
  expect_rejected(safetensors_bytes(R"({"a":[1,2]})", ""), {"tensor 'a'", "not an object"});
}

TEST_F(SafetensorsCorrupt, DuplicateNames) {
  const std::string entry = R"({"dtype":"I8","shape":[1],"data_offsets":[0,1]})";
  expect_rejected(
      safetensors_bytes("{\"a\":" + entry + ",\"a\":" + entry + "}", std::string(1, '\0')),
      {"tensor 'a'", "appears twice"});
}

TEST_F(SafetensorsCorrupt, BadMetadata) {
  expect_rejected(safetensors_bytes(R"({"__metadata__":{"format":1}})", ""),
                  {"\"__metadata__\" entry \"format\" is not a string"});
  expect_rejected(safetensors_bytes(R"({"__metadata__":["pt"]})", ""),
                  {"\"__metadata__\" is not an object"});
}

TEST_F(SafetensorsCorrupt, BoolBytesOtherThanZeroOrOne) {
  const fs::path file = dir_ / "bool.safetensors";
  wizard::test::write_bytes(
      file, safetensors_bytes(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})",
                              std::string("\x01\x00\x02", 3)));
  const st::File opened = st::File::open(file);
  expect_error([&] { opened.load("m"); }, {file.string(), "'m'", "element 2", "byte value 2"});
}

TEST_F(SafetensorsCorrupt, NotAFile) {
  expect_error([&] { st::File::open(dir_ / "absent.safetensors"); },
               {"absent.safetensors", "No such file"});
  expect_error([&] { st::File::open(dir_); }, {dir_.string(), "not a regular file"});
}

}  // namespace
