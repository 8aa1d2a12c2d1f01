#include "model/safetensors_header.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "model/safetensors_dtype.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard::safetensors::detail {

namespace {

using nlohmann::json;

const char* const kCorruptAdvice =
    "The file is damaged or not a safetensors file; re-download it or save it again";

[[noreturn]] void fail(const std::string& file, const std::string& problem) {
  throw Error("cannot read safetensors file '" + file + "': " + problem + ". " + kCorruptAdvice);
}

[[noreturn]] void fail_tensor(const std::string& file, const std::string& tensor,
                              const std::string& problem) {
  fail(file, "tensor '" + tensor + "': " + problem);
}

std::uint64_t read_le_u64(const std::uint8_t* bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

// A short rendering of an untrusted JSON value for error messages.
std::string shorten(const json& value) {
  std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

json parse_json(const std::uint8_t* begin, std::uint64_t size, const std::string& file) {
  std::set<std::string> names;
  const std::string* current = nullptr;  // the entry being parsed
  // The format nests at most three levels (root, entry, shape array); deeper input
  // is rejected while parsing. nlohmann would otherwise keep the last of duplicate keys.
  const json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    const bool opens =
        event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
    if (opens && depth > 2) {
      const std::string problem = "the header nests JSON deeper than the format allows";
      if (current) fail_tensor(file, *current, problem);
      fail(file, problem);
    }
    if (event == json::parse_event_t::key && depth == 1) {
      const auto [entry, inserted] = names.insert(parsed.get<std::string>());
      if (!inserted) fail_tensor(file, *entry, "the name appears twice in the header");
      current = &*entry;
    }
    return true;
  };
  try {
    return json::parse(begin, begin + size, check);
  } catch (const json::exception& error) {
    fail(file, "the header is not valid JSON (" + json_error_reason(error) + ")");
  }
}

// A non-negative JSON integer, or a message saying why it is not one.
bool read_count(const json& value, std::uint64_t& out, std::string& problem) {
  if (value.is_number_unsigned()) {
    out = value.get<std::uint64_t>();
    return true;
  }
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    out = static_cast<std::uint64_t>(value.get<std::int64_t>());
    return true;
  }
  problem = value.is_number_integer() ? "is negative (" + shorten(value) + ")"
                                      : "is not a non-negative integer (" + shorten(value) + ")";
  return false;
}

const json& member(const json& entry, const char* key, const std::string& file,
                   const std::string& name) {
  const auto found = entry.find(key);
  if (found == entry.end())
    fail_tensor(file, name, std::string("the entry has no \"") + key + "\"");
  return *found;
}

std::vector<int64_t> parse_shape(const json& shape, const std::string& file,
                                 const std::string& name) {
  if (!shape.is_array()) fail_tensor(file, name, "\"shape\" is not an array: " + shorten(shape));
  std::vector<int64_t> dims;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    std::uint64_t dim = 0;
    std::string problem;
    if (!read_count(shape[i], dim, problem)) {
      fail_tensor(file, name, "dimension " + std::to_string(i) + " of \"shape\" " + problem);
    }
    if (dim > static_cast<std::uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail_tensor(file, name, "dimension " + std::to_string(i) + " is too large");
    }
    dims.push_back(static_cast<int64_t>(dim));
  }
  return dims;
}

// shape x dtype in bytes; fails on overflow or a sub-byte total that is not whole bytes.
std::uint64_t expected_bytes(const std::vector<int64_t>& shape, const DtypeEntry& dtype,
                             const std::string& file, const std::string& name) {
  std::uint64_t bits = static_cast<std::uint64_t>(dtype.bits);
  bool zero = false;
  for (int64_t dim : shape) zero = zero || dim == 0;
  if (zero) return 0;
  std::uint64_t numel = 1;
  for (int64_t dim : shape) {
    const auto d = static_cast<std::uint64_t>(dim);
    if (numel > std::numeric_limits<std::uint64_t>::max() / d ||
        numel * d > static_cast<std::uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail_tensor(file, name, "the shape has more elements than can be addressed");
    }
    numel *= d;
  }
  if (numel > std::numeric_limits<std::uint64_t>::max() / bits) {
    fail_tensor(file, name, "the shape times the dtype size overflows");
  }
  if ((numel * bits) % 8 != 0) {
    fail_tensor(file, name,
                "the shape does not fill whole bytes of dtype " + std::string(dtype.name));
  }
  return numel * bits / 8;
}

TensorInfo parse_entry(const std::string& name, const json& entry, std::uint64_t data_size,
                       const std::string& file) {
  if (!entry.is_object()) {
    fail_tensor(file, name,
                "the entry is not an object with dtype, shape and data_offsets: " + shorten(entry));
  }
  TensorInfo info;
  info.name = name;

  const json& dtype = member(entry, "dtype", file, name);
  if (!dtype.is_string()) fail_tensor(file, name, "\"dtype\" is not a string: " + shorten(dtype));
  const DtypeEntry* known = find_dtype(dtype.get<std::string>());
  if (!known) fail_tensor(file, name, "unknown dtype " + shorten(dtype));
  info.dtype_name = known->name;
  info.dtype = known->scalar;

  info.shape = parse_shape(member(entry, "shape", file, name), file, name);

  const json& offsets = member(entry, "data_offsets", file, name);
  std::string problem;
  if (!offsets.is_array() || offsets.size() != 2) {
    fail_tensor(file, name, "\"data_offsets\" is not a [begin, end] pair: " + shorten(offsets));
  }
  if (!read_count(offsets[0], info.data_begin, problem) ||
      !read_count(offsets[1], info.data_end, problem)) {
    fail_tensor(file, name, "a data offset " + problem);
  }
  const std::string range =
      "[" + std::to_string(info.data_begin) + ", " + std::to_string(info.data_end) + "]";
  if (info.data_end < info.data_begin) {
    fail_tensor(file, name, "data_offsets " + range + " end before they begin");
  }
  if (info.data_end > data_size) {
    fail_tensor(file, name,
                "data_offsets " + range + " lie outside the data section of " +
                    std::to_string(data_size) + " bytes (file truncated?)");
  }
  const std::uint64_t expected = expected_bytes(info.shape, *known, file, name);
  if (info.nbytes() != expected) {
    fail_tensor(file, name,
                "data_offsets " + range + " hold " + std::to_string(info.nbytes()) +
                    " bytes, but shape " + shorten(entry["shape"]) + " of " + known->name +
                    " needs " + std::to_string(expected));
  }
  return info;
}

Metadata parse_metadata(const json& value, const std::string& file) {
  Metadata metadata;
  if (value.is_null()) return metadata;
  if (!value.is_object()) fail(file, "\"__metadata__\" is not an object of strings");
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      fail(file, "\"__metadata__\" entry \"" + key + "\" is not a string: " + shorten(item));
    }
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

// The tensors, sorted by offset, must tile [0, data_size) exactly.
void check_layout(const std::vector<TensorInfo>& tensors, std::uint64_t data_size,
                  const std::string& file) {
  std::uint64_t covered = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo& info : tensors) {
    if (info.data_begin < covered) {
      fail_tensor(file, info.name,
                  "its bytes [" + std::to_string(info.data_begin) + ", " +
                      std::to_string(info.data_end) + ") overlap those of tensor '" +
                      previous->name + "' [" + std::to_string(previous->data_begin) + ", " +
                      std::to_string(previous->data_end) + ")");
    }
    if (info.data_begin > covered) {
      fail_tensor(file, info.name,
                  "there are " + std::to_string(info.data_begin - covered) +
                      " unused bytes before it at offset " + std::to_string(covered) +
                      " (the format requires tensors to cover the data section without gaps)");
    }
    covered = info.data_end;
    previous = &info;
  }
  if (covered != data_size) {
    fail(file, "the tensors cover " + std::to_string(covered) + " bytes but the data section has " +
                   std::to_string(data_size) +
                   " (the format requires the data section to be covered exactly)");
  }
}

}  // namespace

ParsedHeader parse_header(const std::uint8_t* bytes, std::uint64_t file_size,
                          const std::string& file_label) {
  if (file_size < 8) {
    fail(file_label, "it is " + std::to_string(file_size) +
                         " bytes long, shorter than the 8-byte header length");
  }
  const std::uint64_t header_size = read_le_u64(bytes);
  if (header_size > kMaxHeaderBytes) {
    fail(file_label, "the header length " + std::to_string(header_size) +
                         " exceeds the format's limit of " + std::to_string(kMaxHeaderBytes) +
                         " bytes");
  }
  if (header_size > file_size - 8) {
    fail(file_label, "the header length " + std::to_string(header_size) +
                         " is larger than the rest of the file (" + std::to_string(file_size - 8) +
                         " bytes); the file is truncated");
  }
  const json header = parse_json(bytes + 8, header_size, file_label);
  if (!header.is_object()) fail(file_label, "the header is not a JSON object");

  ParsedHeader parsed;
  parsed.data_start = 8 + header_size;
  const std::uint64_t data_size = file_size - parsed.data_start;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      parsed.metadata = parse_metadata(value, file_label);
    } else {
      parsed.tensors.push_back(parse_entry(key, value, data_size, file_label));
    }
  }
  std::sort(parsed.tensors.begin(), parsed.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) {
              return std::tie(a.data_begin, a.data_end, a.name) <
                     std::tie(b.data_begin, b.data_end, b.name);
            });
  check_layout(parsed.tensors, data_size, file_label);
  return parsed;
}

}  // namespace wizard::safetensors::detail
