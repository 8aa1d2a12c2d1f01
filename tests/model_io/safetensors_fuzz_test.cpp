// Random damage to a valid file (byte flips, truncation, extension) must end in a
// valid load or a wizard::Error, never in a crash or another exception type.
// WIZARD_FUZZ_ITERATIONS overrides the number of mutated files (e.g. under valgrind).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "model_io_support.hpp"
#include "test_support.hpp"
#include "wizard/model/safetensors.hpp"

namespace {

namespace fs = std::filesystem;
namespace st = wizard::safetensors;

int iterations() {
  const char* value = std::getenv("WIZARD_FUZZ_ITERATIONS");
  return value ? std::atoi(value) : 3000;
}

std::string mutate(std::string bytes, std::size_t header_end, std::mt19937& random) {
  const int kind = static_cast<int>(random() % 4);
  if (kind == 0) {  // truncate anywhere
    bytes.resize(random() % bytes.size());
  } else if (kind == 1) {  // append junk
    bytes.append(1 + random() % 16, static_cast<char>(random()));
  } else {  // flip bytes, mostly in the length prefix and the header
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i) {
      const std::size_t limit = kind == 2 ? header_end : bytes.size();
      bytes[random() % limit] ^= static_cast<char>(1 + random() % 255);
    }
  }
  return bytes;
}

TEST(SafetensorsFuzz, DamagedFilesLoadOrFailCleanly) {
  const fs::path dir = wizard::test::temp_dir("st_fuzz");
  const fs::path valid = dir / "valid.safetensors";
  st::save(valid, {{"weight", at::randn({3, 4})},
                   {"bias", at::randn({4}, at::kBFloat16)},
                   {"ids", at::arange(5, at::kLong)},
                   {"mask", at::ones({6}, at::kBool)},
                   {"scalar", at::full({}, 3, at::kShort)}});
  const std::string original = wizard::test::read_bytes(valid);
  std::uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) {
    header_length = (header_length << 8) | static_cast<unsigned char>(original[i]);
  }
  const std::size_t header_end = 8 + header_length;

  std::mt19937 random(20240611);
  int loaded = 0;
  int rejected = 0;
  for (int i = 0; i < iterations(); ++i) {
    // A new name each time: truncating a file in place makes ext4 flush it to disk.
    const fs::path damaged = dir / ("damaged" + std::to_string(i) + ".safetensors");
    wizard::test::write_bytes(damaged, mutate(original, header_end, random));
    try {
      const st::File file = st::File::open(damaged);
      for (const st::TensorInfo& info : file.tensors()) file.load(info.name, at::kFloat);
      ++loaded;
    } catch (const wizard::Error&) {
      ++rejected;
    } catch (const std::exception& other) {
      FAIL() << "iteration " << i << " threw a non-wizard exception: " << other.what();
    }
    fs::remove(damaged);
  }
  EXPECT_GT(loaded, 0);
  EXPECT_GT(rejected, 0);
}

}  // namespace
