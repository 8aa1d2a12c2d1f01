#include "header_digest.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "test_support.hpp"

namespace wizard::test {

std::string strip_comments_and_space(std::string_view in) {
  std::string out;
  bool pending_space = false;
  auto put = [&](char c) {
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += c;
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    const char next = i + 1 < in.size() ? in[i + 1] : '\0';
    if (c == '/' && next == '/') {  // to the end of the line
      while (i < in.size() && in[i] != '\n') ++i;
      pending_space = true;
    } else if (c == '/' && next == '*') {
      i += 2;
      while (i + 1 < in.size() && !(in[i] == '*' && in[i + 1] == '/')) ++i;
      ++i;
      pending_space = true;
    } else if (c == '"' || c == '\'') {  // a literal, escapes included, kept as written
      put(c);
      for (++i; i < in.size() && in[i] != c; ++i) {
        out += in[i];
        if (in[i] == '\\' && i + 1 < in.size()) out += in[++i];
      }
      if (i < in.size()) out += c;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = true;
    } else {
      put(c);
    }
  }
  return out;
}

std::string header_digest(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> headers;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".hpp") {
      headers.push_back(entry.path());
    }
  }
  std::sort(headers.begin(), headers.end());
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  auto feed = [&](std::string_view bytes) {
    for (const char c : bytes) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 0x100000001b3ULL;
    }
  };
  for (const auto& header : headers) {
    feed(std::filesystem::relative(header, root).generic_string());
    feed("\n");
    feed(strip_comments_and_space(read_text(header)));
    feed("\n");
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

}  // namespace wizard::test
