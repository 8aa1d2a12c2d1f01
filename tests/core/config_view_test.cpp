// The Config view plugins use: typed getters, strict keys, recorded defaults.
#include <gtest/gtest.h>

#include "test_support.hpp"

#include "config_files.hpp"
#include "wizard/base/config.hpp"
#include "wizard/base/error.hpp"

using wizard::Config;
using wizard::ConfigError;
using wizard::OptionDocs;

namespace {

Config load(const std::string& toml) {
  return Config(wizard::core::read_toml(toml, "run.toml"));
}

using wizard::test::config_error_of;

const OptionDocs kArgs{{"learning_rate", "float", "1e-6", "peak learning rate"},
                       {"beta", "float", "0.1", "inverse temperature"},
                       {"loss_type", "string", "sigmoid", "which loss"},
                       {"preprocessing.take", "int", "", "keep the first N rows"},
                       {"preprocessing.shuffle", "bool", "false", "shuffle"},
                       {"parent", "table", "", "another datasource"}};

}  // namespace

TEST(ConfigView, TypedGettersAndDefaults) {
  const Config root = load("[args]\nbeta = 0.2\nsteps = 3\nname = \"x\"\nflags = [\"a\", \"b\"]\n");
  const Config args = root.table("args");
  EXPECT_DOUBLE_EQ(args.get<double>("beta", 0.1), 0.2);
  EXPECT_DOUBLE_EQ(args.get<double>("steps", 0.0), 3.0);  // an integer is a fine float
  EXPECT_EQ(args.get<int>("steps", 0), 3);
  EXPECT_EQ(args.get("name", "default"), "x");
  EXPECT_EQ(args.get<std::vector<std::string>>("flags", {}).size(), 2u);
  EXPECT_EQ(args.get<int>("absent", 11), 11);
  EXPECT_FALSE(args.optional<double>("absent").has_value());
  EXPECT_EQ(args.path(), "args");
  EXPECT_EQ(args.key_path("beta"), "args.beta");
}

TEST(ConfigView, TypeErrorsNameExpectedActualAndLine) {
  const Config args = load("[args]\n\nbeta = \"0.1\"\n").table("args");
  const std::string message = config_error_of([&] { args.get<double>("beta", 0.1); });
  EXPECT_NE(message.find("run.toml:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("args.beta must be a number"), std::string::npos) << message;
  EXPECT_NE(message.find("it is a string (\"0.1\")"), std::string::npos) << message;
  const std::string integer = config_error_of([&] { load("n = 1.5\n").get<int>("n", 0); });
  EXPECT_NE(integer.find("must be an integer, but it is a float (1.5)"), std::string::npos)
      << integer;
}

TEST(ConfigView, RequiredKeyMissing) {
  const std::string message =
      config_error_of([] { load("[args]\n").table("args").require<std::string>("output_dir"); });
  EXPECT_NE(message.find("required key 'output_dir' is missing (args.output_dir)"),
            std::string::npos)
      << message;
}

TEST(ConfigView, UnknownKeyNamesPathLineAndNearestKey) {
  const Config args = load("[args]\nbeta = 0.1\n\nlerning_rate = 1e-5\n").table("args");
  const std::string message = config_error_of([&] { args.check_keys(kArgs); });
  EXPECT_NE(message.find("run.toml:4:"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown key 'args.lerning_rate'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'learning_rate'?"), std::string::npos) << message;
}

TEST(ConfigView, UnknownKeyWithoutNearOneListsValidKeys) {
  const std::string message =
      config_error_of([] { load("[args]\nzzzzzzzzzz = 1\n").table("args").check_keys(kArgs); });
  EXPECT_NE(message.find("valid keys here: spec_class, learning_rate, beta"), std::string::npos)
      << message;
}

TEST(ConfigView, NestedTablesAreCheckedAndFreeTablesAreNot) {
  const Config ok =
      load("[args]\nparent = { anything = 1 }\n[args.preprocessing]\ntake = 5\n").table("args");
  EXPECT_NO_THROW(ok.check_keys(kArgs));
  const Config bad = load("[args.preprocessing]\ntkae = 5\n").table("args");
  const std::string message = config_error_of([&] { bad.check_keys(kArgs); });
  EXPECT_NE(message.find("unknown key 'args.preprocessing.tkae'; did you mean 'take'?"),
            std::string::npos)
      << message;
}

TEST(ConfigView, DefaultsAreRecordedInTheResolvedDocument) {
  const Config root = load("[args]\nbeta = 0.3\n");
  root.table("args").get<double>("beta", 0.1);
  root.table("args").get<int>("max_steps", -1);
  root.table("args").table("preprocessing").get<bool>("shuffle", false);
  const auto& resolved = *root.resolved().find("args");
  EXPECT_DOUBLE_EQ(resolved.find("beta")->as_float(), 0.3);  // the user's value wins
  EXPECT_EQ(resolved.find("max_steps")->as_integer(), -1);
  EXPECT_FALSE(resolved.find("preprocessing")->find("shuffle")->as_bool());
  EXPECT_EQ(root.source().find("args")->find("max_steps"), nullptr);  // the source is untouched
}

TEST(ConfigView, ArraysOfTables) {
  const Config root = load("[[parents]]\nname = \"a\"\n[[parents]]\nname = \"b\"\n");
  const auto parents = root.tables("parents");
  ASSERT_EQ(parents.size(), 2u);
  EXPECT_EQ(parents[1].get("name", ""), "b");
  EXPECT_EQ(parents[1].path(), "parents[1]");
  EXPECT_NE(config_error_of([] {
              load("parents = 3\n").tables("parents");
            }).find("must be an array of tables"),
            std::string::npos);
}

TEST(ConfigView, RecipeDefaultsFillInButStayDistinguishableFromTheDocument) {
  // The document sets margin; the recipe's defaults give margin, temperature and a nested key.
  const Config root = load("[loss]\nmargin = 0.3\n");
  const Config loss = root.table("loss").with_defaults(wizard::core::read_toml(
      "margin = 0.1\ntemperature = 0.1\nmode = \"softmax\"\n[nested]\nk = 2\n", "schema"));
  EXPECT_DOUBLE_EQ(loss.get<double>("margin", 0.0), 0.3);       // the user's value wins
  EXPECT_DOUBLE_EQ(loss.get<double>("temperature", 1.0), 0.1);  // the recipe's default
  EXPECT_DOUBLE_EQ(loss.get<double>("absent", 7.0), 7.0);       // the getter's own
  EXPECT_EQ(loss.optional<std::string>("mode"), std::optional<std::string>("softmax"));
  EXPECT_EQ(loss.require<std::string>("mode"), "softmax");
  EXPECT_EQ(loss.table("nested").get<int>("k", 0), 2);
  // Only what the user wrote is "there".
  EXPECT_TRUE(loss.has("margin"));
  EXPECT_FALSE(loss.has("temperature"));
  EXPECT_EQ(loss.keys(), std::vector<std::string>{"margin"});
  ASSERT_NE(loss.find_default("temperature"), nullptr);
  EXPECT_EQ(root.table("loss").find_default("temperature"), nullptr);  // the original view
  // Defaults taken are recorded in the resolved document.
  const auto& resolved = *root.resolved().find("loss");
  EXPECT_DOUBLE_EQ(resolved.find("temperature")->as_float(), 0.1);
  EXPECT_EQ(resolved.find("mode")->as_string(), "softmax");
  // A default of the wrong type is a type error naming the key.
  const std::string message = config_error_of([&] { loss.get<int>("temperature", 0); });
  EXPECT_NE(message.find("loss.temperature must be an integer"), std::string::npos) << message;
  EXPECT_THROW(root.with_defaults(wizard::ConfigValue::integer(3)), ConfigError);
}
