// The plugin ABI number must change whenever a header plugins compile against changes:
// sdk/plugin_abi_digests.txt records, per ABI number, the digest of sdk/include/wizard
// (comments and white space aside). Change a declaration without bumping WIZARD_ABI_VERSION
// and this test fails, saying what to do.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "header_digest.hpp"
#include "test_support.hpp"
#include "wizard/version.hpp"

namespace wizard::test {
namespace {

const std::filesystem::path kDigests = "sdk/plugin_abi_digests.txt";

// ABI number -> digest, from "<number> <digest>" lines ('#' starts a comment).
std::map<int, std::string> recorded_digests() {
  std::map<int, std::string> digests;
  std::istringstream lines(read_text(source_dir() / kDigests));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    int abi = 0;
    std::string digest;
    if (fields >> abi >> digest) digests[abi] = digest;
  }
  return digests;
}

TEST(PluginAbi, HeadersMatchTheDigestRecordedForThisAbiNumber) {
  const std::string digest = header_digest(source_dir() / "sdk/include/wizard");
  const auto digests = recorded_digests();
  const auto recorded = digests.find(WIZARD_ABI_VERSION);
  ASSERT_NE(recorded, digests.end()) << kDigests.string() << " records no digest for ABI "
                                     << WIZARD_ABI_VERSION << ". Add the line:\n"
                                     << WIZARD_ABI_VERSION << " " << digest;
  EXPECT_EQ(recorded->second, digest)
      << "the headers plugins see (sdk/include/wizard) changed since ABI " << WIZARD_ABI_VERSION
      << " was recorded. Bump WIZARD_ABI_VERSION in CMakeLists.txt to " << WIZARD_ABI_VERSION + 1
      << " and add this line to " << kDigests.string() << ":\n"
      << WIZARD_ABI_VERSION + 1 << " " << digest;
  for (const auto& [abi, earlier] : digests) {
    if (abi != WIZARD_ABI_VERSION) {
      EXPECT_NE(earlier, digest) << "ABI " << abi << " had these very headers: why a new number?";
    }
  }
}

TEST(PluginAbi, DigestIgnoresCommentsAndSpacingButNotCode) {
  const std::string base = strip_comments_and_space("struct A {\n  int x;  // width\n};\n");
  EXPECT_EQ(base, strip_comments_and_space("struct A { /* the */ int x;\n\n};"));
  EXPECT_NE(base, strip_comments_and_space("struct A { long x; };"));
  EXPECT_NE(base, strip_comments_and_space("struct A { int x; int y; };"));
  // Comment markers inside literals are text.
  EXPECT_EQ(strip_comments_and_space("f(\"a // b\"); // c"), "f(\"a // b\");");
  EXPECT_EQ(strip_comments_and_space("c = '\"'; /* x */ d"), "c = '\"'; d");
}

TEST(PluginAbi, DigestChangesWhenAHeaderChanges) {
  const auto dir = std::filesystem::temp_directory_path() / "wizard-abi-digest-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "plugin");
  std::ofstream(dir / "plugin/loss.hpp") << "struct Loss { int k; };\n";
  const std::string before = header_digest(dir);
  std::ofstream(dir / "plugin/loss.hpp") << "// reworded\nstruct Loss {\n  int k;\n};\n";
  EXPECT_EQ(header_digest(dir), before);
  std::ofstream(dir / "plugin/loss.hpp") << "struct Loss { int k; int mask; };\n";
  EXPECT_NE(header_digest(dir), before);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wizard::test
