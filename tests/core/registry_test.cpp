// The plugin registry against real test plugin libraries (see plugins/).
#include <gtest/gtest.h>

#include "test_support.hpp"

#include <ATen/ATen.h>

#include "config_files.hpp"
#include "plugin_registry.hpp"
#include "wizard/base/error.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/version.hpp"

using wizard::Config;
using wizard::ConfigError;
using wizard::PluginKind;
using wizard::core::PluginRegistry;

namespace {

using wizard::test::config_error_of;

Config table(const std::string& toml) {
  return Config(wizard::core::read_toml(toml, "t.toml"));
}

}  // namespace

TEST(Registry, ListsClassesPerKindWithLibraryAndVersion) {
  PluginRegistry registry({TEST_GOOD_PLUGIN_DIR});
  ASSERT_EQ(registry.classes().size(), 2u);
  const auto& loss = registry.resolve(PluginKind::Loss, "ScaledSigmoid");
  EXPECT_EQ(loss.library->name, "test_good");
  EXPECT_EQ(loss.library->version, "2.3.4");
  EXPECT_EQ(loss.summary, "test loss: -log sigmoid(scale * margin)");
  EXPECT_EQ(registry.resolve(PluginKind::DataSource, "counting").name, "counting");
  // The library that is not a plugin was skipped, not loaded as one.
  for (const auto& refused : registry.refused()) {
    EXPECT_NE(refused.reason.find("not a wizard plugin"), std::string::npos) << refused.reason;
  }
}

TEST(Registry, CreatesObjectsThatWork) {
  PluginRegistry registry({TEST_GOOD_PLUGIN_DIR});
  auto loss = registry.create<wizard::Loss>("test_good.ScaledSigmoid", table("scale = 2.0\n"));
  wizard::PreferenceScores scores;
  scores.chosen_logps_sum = at::tensor({-1.0, -2.0});
  scores.chosen_tokens = at::tensor({1.0, 1.0});
  scores.negative_logps_sum = at::tensor({-1.0, -1.0}).reshape({2, 1});
  scores.negative_tokens = at::ones({2, 1});
  scores.negative_mask = at::ones({2, 1}, at::kBool);
  EXPECT_FALSE(loss->requirements().nll);
  const auto out = loss->compute(scores);
  // margin = 2 * (chosen - rejected) = [0, -2]: losses = [log 2, log(1 + e^2)].
  EXPECT_NEAR(out.losses[0].item<double>(), std::log(2.0), 1e-12);
  EXPECT_NEAR(out.losses[1].item<double>(), std::log1p(std::exp(2.0)), 1e-12);
  EXPECT_NEAR(out.loss.item<double>(), (std::log(2.0) + std::log1p(std::exp(2.0))) / 2, 1e-12);

  auto source = registry.create<wizard::DataSource>(
      "counting", table("count = 4\nlabels = { prefix = \"r\" }\n"));
  const auto rows = source->load();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.row(3)["label"], "r3");
}

TEST(Registry, PluginConfigIsCheckedStrictly) {
  PluginRegistry registry({TEST_GOOD_PLUGIN_DIR});
  const std::string message = config_error_of(
      [&] { registry.create<wizard::Loss>("ScaledSigmoid", table("scael = 2.0\n")); });
  EXPECT_NE(message.find("unknown key 'scael'; did you mean 'scale'?"), std::string::npos)
      << message;
}

TEST(Registry, UnknownNameListsAvailableAndNearest) {
  PluginRegistry registry({TEST_GOOD_PLUGIN_DIR});
  const std::string message =
      config_error_of([&] { registry.resolve(PluginKind::Loss, "ScaledSigmod"); });
  EXPECT_NE(message.find("unknown loss 'ScaledSigmod'; did you mean 'ScaledSigmoid'?"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("available losses: ScaledSigmoid"), std::string::npos) << message;
  EXPECT_NE(message.find(TEST_GOOD_PLUGIN_DIR), std::string::npos) << message;
  // The same name of another kind does not count.
  EXPECT_NE(config_error_of([&] {
              registry.resolve(PluginKind::Recipe, "counting");
            }).find("unknown recipe"),
            std::string::npos);
}

TEST(Registry, WrongAbiIsRefusedWithoutLoadingAndNamesBothVersions) {
  // The wrong-ABI library aborts the process if it is ever loaded.
  PluginRegistry registry({TEST_WRONG_ABI_PLUGIN_DIR, TEST_GOOD_PLUGIN_DIR});
  ASSERT_EQ(registry.refused().size() >= 1, true);
  const std::string message =
      config_error_of([&] { registry.resolve(PluginKind::Loss, "FutureLoss"); });
  EXPECT_NE(message.find("libtest_wrong_abi.so"), std::string::npos) << message;
  EXPECT_NE(message.find("built for wizard ABI 999 with LibTorch 9.9"), std::string::npos)
      << message;
  EXPECT_NE(message.find("this wizard is wizard ABI " + std::to_string(WIZARD_ABI_VERSION)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("rebuild the plugin"), std::string::npos) << message;
  // The good library beside it still works.
  EXPECT_EQ(registry.resolve(PluginKind::Loss, "ScaledSigmoid").name, "ScaledSigmoid");
}

TEST(Registry, DuplicateNamesAreAnErrorNamingBothLibraries) {
  PluginRegistry registry({TEST_DUPLICATE_PLUGIN_DIR});
  const std::string message =
      config_error_of([&] { registry.resolve(PluginKind::Loss, "ScaledSigmoid"); });
  EXPECT_NE(message.find("more than one plugin library"), std::string::npos) << message;
  EXPECT_NE(message.find("libtest_duplicate_a.so"), std::string::npos) << message;
  EXPECT_NE(message.find("libtest_duplicate_b.so"), std::string::npos) << message;
  // library.Class picks one.
  EXPECT_EQ(registry.resolve(PluginKind::Loss, "test_duplicate_b.ScaledSigmoid").library->name,
            "test_duplicate_b");
}

TEST(Registry, SameFolderTwiceLoadsOnce) {
  PluginRegistry registry({TEST_GOOD_PLUGIN_DIR, TEST_GOOD_PLUGIN_DIR});
  EXPECT_EQ(registry.classes().size(), 2u);
}

TEST(Registry, TrainingWizardAliasesResolveToShortNames) {
  PluginRegistry registry({TEST_GOOD_PLUGIN_DIR});
  // The alias maps to the built-in short name; here the built-ins are not on
  // the path, so the error names the short name that was looked for.
  const std::string message = config_error_of([&] {
    registry.resolve(PluginKind::DataSource, "training_wizard.specs.dataset.SimpleDataSourceSpec");
  });
  EXPECT_NE(message.find("unknown datasource 'training_wizard.specs.dataset.SimpleDataSourceSpec'"),
            std::string::npos)
      << message;
}
