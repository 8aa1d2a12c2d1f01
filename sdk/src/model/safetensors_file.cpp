// Reading a safetensors file through a read-only memory mapping. Tensors are
// copied out of the mapping, so they stay valid (and writable) after the file
// is closed; the mapping itself lives as long as any File that shares it.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <torch/version.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "model/safetensors_header.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/safetensors.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; wizard reads it without byte swapping");

namespace wizard::safetensors {

namespace fs = std::filesystem;

struct File::Mapping {
  fs::path path;
  const std::uint8_t* bytes = nullptr;
  std::uint64_t size = 0;
  detail::ParsedHeader header;
  std::unordered_map<std::string, std::size_t> by_name;

  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (bytes) ::munmap(const_cast<std::uint8_t*>(bytes), size);
  }
};

namespace {

[[noreturn]] void fail_open(const fs::path& path, const std::string& problem) {
  throw Error("cannot open safetensors file '" + path.string() + "': " + problem);
}

struct MappedBytes {
  const std::uint8_t* bytes = nullptr;  // null for an empty file
  std::uint64_t size = 0;
};

// Maps the whole file read-only.
MappedBytes map_file(const fs::path& path) {
  MappedBytes mapped;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_open(path, std::strerror(errno));
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(fd);
    fail_open(path, "not a regular file");
  }
  mapped.size = static_cast<std::uint64_t>(status.st_size);
  if (mapped.size == 0) {
    ::close(fd);
    return mapped;
  }
  void* address = ::mmap(nullptr, mapped.size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (address == MAP_FAILED)
    fail_open(path, std::string("mmap failed: ") + std::strerror(map_errno));
  mapped.bytes = static_cast<const std::uint8_t*>(address);
  return mapped;
}

// Bool tensors must hold 0 or 1; anything else is undefined behaviour in LibTorch.
void check_bool_bytes(const std::uint8_t* data, std::uint64_t size, const fs::path& path,
                      const std::string& name) {
  for (std::uint64_t i = 0; i < size; ++i) {
    if (data[i] > 1) {
      throw Error("cannot read safetensors file '" + path.string() + "': tensor '" + name +
                  "': BOOL element " + std::to_string(i) + " has byte value " +
                  std::to_string(data[i]) + " (only 0 and 1 are valid). The file is damaged");
    }
  }
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

File::File(std::shared_ptr<const Mapping> mapping) : mapping_(std::move(mapping)) {}

File File::open(const fs::path& path) {
  auto mapping = std::make_shared<Mapping>();
  mapping->path = path;
  const MappedBytes mapped = map_file(path);
  mapping->bytes = mapped.bytes;
  mapping->size = mapped.size;
  static const std::uint8_t kEmpty[1] = {0};
  mapping->header =
      detail::parse_header(mapping->bytes ? mapping->bytes : kEmpty, mapping->size, path.string());
  for (std::size_t i = 0; i < mapping->header.tensors.size(); ++i) {
    mapping->by_name.emplace(mapping->header.tensors[i].name, i);
  }
  return File(std::move(mapping));
}

const fs::path& File::path() const {
  return mapping_->path;
}

const std::vector<TensorInfo>& File::tensors() const {
  return mapping_->header.tensors;
}

bool File::contains(const std::string& name) const {
  return mapping_->by_name.count(name) > 0;
}

const Metadata& File::metadata() const {
  return mapping_->header.metadata;
}

const TensorInfo& File::info(const std::string& name) const {
  const auto found = mapping_->by_name.find(name);
  if (found == mapping_->by_name.end()) {
    std::string examples;
    const auto& all = tensors();
    for (std::size_t i = 0; i < all.size() && i < 3; ++i) {
      examples += (i ? ", '" : " (e.g. '") + all[i].name + "'";
    }
    if (!examples.empty()) examples += ")";
    throw Error("safetensors file '" + path().string() + "' has no tensor named '" + name +
                "'; it holds " + std::to_string(all.size()) + " tensors" + examples);
  }
  return tensors()[found->second];
}

at::Tensor File::load(const std::string& name, std::optional<at::ScalarType> dtype,
                      std::optional<at::Device> device) const {
  const TensorInfo& info = this->info(name);
  if (info.dtype == at::ScalarType::Undefined) {
    throw Error("cannot load tensor '" + name + "' from '" + path().string() + "': its dtype " +
                info.dtype_name +
                " is not supported by LibTorch " TORCH_VERSION
                " as wizard is built; convert the checkpoint to BF16, F16 or F32");
  }
  const std::uint8_t* source = mapping_->bytes + mapping_->header.data_start + info.data_begin;
  if (info.dtype == at::kBool) check_bool_bytes(source, info.nbytes(), path(), name);

  const at::ScalarType target_dtype = dtype.value_or(info.dtype);
  const at::Device target_device = device.value_or(at::Device(at::kCPU));
  const auto stored = at::TensorOptions().dtype(info.dtype);
  const bool converts = target_dtype != info.dtype || target_device != at::Device(at::kCPU);
  const auto element_size = static_cast<std::uintptr_t>(c10::elementSize(info.dtype));
  const bool aligned = reinterpret_cast<std::uintptr_t>(source) % element_size == 0;

  if (converts && aligned && info.nbytes() > 0) {
    // Convert straight from the mapping: one copy instead of two. The blob is only read.
    const at::Tensor view = at::from_blob(const_cast<std::uint8_t*>(source), info.shape, stored);
    return view.to(target_device, target_dtype, /*non_blocking=*/false, /*copy=*/true);
  }
  at::Tensor tensor = at::empty(info.shape, stored);
  if (info.nbytes() > 0) std::memcpy(tensor.data_ptr(), source, info.nbytes());
  return converts ? tensor.to(target_device, target_dtype) : tensor;
}

}  // namespace wizard::safetensors
