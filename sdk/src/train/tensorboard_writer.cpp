// TensorBoard event files written by hand: protocol buffers encoded field by field (the few
// fields an Event with scalar summaries needs), framed as TFRecords.
#include <unistd.h>

#include <array>
#include <cstring>
#include <ctime>

#include "wizard/base/error.hpp"
#include "wizard/train/metrics_sinks.hpp"

namespace wizard::train {

namespace fs = std::filesystem;

namespace {

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t crc = i;
      for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
      t[i] = crc;
    }
    return t;
  }();
  return table;
}

// Protocol buffer wire format: keys are (field << 3) | wire type.
void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

template <typename T>
void put_fixed(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // little-endian on every platform wizard builds on
  out.append(bytes, sizeof(T));
}

void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_varint(out, static_cast<uint64_t>(field) << 3 | 2);
  put_varint(out, bytes.size());
  out += bytes;
}

// Event { double wall_time = 1; int64 step = 2; oneof { string file_version = 3;
//         Summary summary = 5; } }
std::string event(double wall_time, int64_t step) {
  std::string out;
  put_varint(out, 1 << 3 | 1);
  put_fixed(out, wall_time);
  put_varint(out, 2 << 3 | 0);
  put_varint(out, static_cast<uint64_t>(step));
  return out;
}

// Summary { repeated Value value = 1; }  Value { string tag = 1; float simple_value = 2; }
std::string summary(const std::vector<std::pair<std::string, double>>& scalars) {
  std::string out;
  for (const auto& [tag, number] : scalars) {
    std::string value;
    put_bytes(value, 1, tag);
    put_varint(value, 2 << 3 | 5);
    put_fixed(value, static_cast<float>(number));
    put_bytes(out, 1, value);
  }
  return out;
}

std::string host_name() {
  char name[256] = {0};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

}  // namespace

uint32_t crc32c(const std::string& data) {
  uint32_t crc = 0xffffffffu;
  for (const unsigned char byte : data) crc = crc_table()[(crc ^ byte) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

uint32_t masked_crc32c(const std::string& data) {
  const uint32_t crc = crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

TensorBoardWriter::TensorBoardWriter(const fs::path& folder) {
  fs::create_directories(folder);
  // TensorBoard reads every file whose name contains "tfevents"; this is torch's naming.
  for (int count = 0;; ++count) {
    path_ = folder / ("events.out.tfevents." + std::to_string(std::time(nullptr)) + "." +
                      host_name() + "." + std::to_string(::getpid()) + "." + std::to_string(count));
    if (!fs::exists(path_)) break;
  }
  out_.open(path_, std::ios::binary);
  if (!out_) throw Error("cannot create the TensorBoard event file " + path_.string());
  std::string first = event(static_cast<double>(std::time(nullptr)), 0);
  put_bytes(first, 3, "brain.Event:2");
  write_record(first);
}

void TensorBoardWriter::add_scalars(int64_t step,
                                    const std::vector<std::pair<std::string, double>>& scalars,
                                    double wall_time) {
  std::string record = event(wall_time, step);
  put_bytes(record, 5, summary(scalars));
  write_record(record);
}

void TensorBoardWriter::write_record(const std::string& data) {
  std::string length;
  put_fixed(length, static_cast<uint64_t>(data.size()));
  std::string framed = length;
  put_fixed(framed, masked_crc32c(length));
  framed += data;
  put_fixed(framed, masked_crc32c(data));
  out_.write(framed.data(), static_cast<std::streamsize>(framed.size()));
  out_.flush();
  if (!out_) throw Error("cannot write to " + path_.string() + " (disk full?)");
}

}  // namespace wizard::train
