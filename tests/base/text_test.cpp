#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <system_error>

#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

using wizard::edit_distance;
using wizard::nearest_name;

TEST(Text, EditDistanceCountsSingleEdits) {
  EXPECT_EQ(edit_distance("beta", "beta"), 0u);
  EXPECT_EQ(edit_distance("lerning_rate", "learning_rate"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("jsnol", "jsonl"), 1u);  // a swap of neighbours is one edit
}

TEST(Text, NearestNameSuggestsTyposOnly) {
  const std::vector<std::string> keys{"learning_rate", "beta", "loss_type"};
  EXPECT_EQ(nearest_name("lerning_rate", keys).value(), "learning_rate");
  EXPECT_EQ(nearest_name("los_type", keys).value(), "loss_type");
  EXPECT_FALSE(nearest_name("completely_different", keys).has_value());
  EXPECT_EQ(nearest_name("jsnol", {"json", "jsonl"}).value(), "jsonl");
}

TEST(Text, JsonErrorReasonDropsTheLibraryPrefix) {
  try {
    const nlohmann::json parsed = nlohmann::json::parse("{\"a\": tru}");
    FAIL() << parsed.dump();
  } catch (const nlohmann::json::exception& error) {
    const std::string reason = wizard::json_error_reason(error);
    EXPECT_EQ(reason.rfind("line 1, column ", 0), 0u) << reason;
    EXPECT_EQ(reason.find("json.exception"), std::string::npos) << reason;
    EXPECT_EQ(wizard::error_text(error), reason);
  }
  try {
    (void)nlohmann::json(3).get<std::string>();
    FAIL();
  } catch (const nlohmann::json::exception& error) {
    EXPECT_EQ(wizard::json_error_reason(error), "type must be string, but is number");
  }
}

TEST(Text, ErrorTextSaysWhatAFilesystemErrorWasDoing) {
  const std::filesystem::filesystem_error error(
      "cannot create directories", "/ro/out",
      std::make_error_code(std::errc::read_only_file_system));
  EXPECT_EQ(wizard::error_text(error), "cannot create directories /ro/out: Read-only file system");
  EXPECT_EQ(wizard::error_text(std::runtime_error("plain")), "plain");
}
