// A plugin built "for another wizard": it carries ABI tag 999 and LibTorch 9.9.
// Its static initialiser aborts the process, so the test also proves that the
// host refuses it without ever loading it.
#include <cstdlib>

#include "wizard/plugin/export.hpp"
#include "wizard/plugin/loss.hpp"

namespace {

struct AbortIfLoaded {
  AbortIfLoaded() { std::abort(); }
};
const AbortIfLoaded abort_if_loaded;

class FutureLoss : public wizard::Loss {
 public:
  static constexpr const char* kSummary = "a loss from the future";
  static wizard::OptionDocs options() { return {}; }
  FutureLoss(const wizard::Config&, wizard::PluginHost&) {}
  wizard::LossRequirements requirements() const override { return {}; }
  wizard::PreferenceLoss compute(const wizard::PreferenceScores&) const override { return {}; }
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const wizard_abi_record*
wizard_plugin_abi_record() {
  static const wizard_abi_record record{sizeof(wizard_abi_record), 999,   9,      9,
                                        "test_wrong_abi",          "1.0", "9.9.9"};
  return &record;
}
namespace wizard_plugin_library {
const char abi_tag = 0;
}
BOOST_DLL_ALIAS_SECTIONED(wizard_plugin_library::abi_tag, wizard_abi_999_torch_9_9, wzabi)
WIZARD_EXPORT_LOSS(FutureLoss, FutureLoss)
