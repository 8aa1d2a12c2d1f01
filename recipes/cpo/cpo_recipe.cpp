// cpo: train a causal LM on preference pairs with CPO and its relatives
// (SimPO, CPO-SimPO, AlphaPO, hinge, IPO), as TRL's CPOTrainer does, from a
// training-wizard config.
//
//   prepare(): settings -> model folder, tokenizer, chat template -> rows ->
//              validation split -> TRL's tokenization -> loss, sampler -> model
//   run():     the SDK trainer with a PreferenceTask as its step
//   prepare_bench(): what prepare() builds, for `wizard bench` (cpo_bench.hpp)
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cpo_bench.hpp"
#include "cpo_settings.hpp"
#include "cpo_training.hpp"
#include "eval_samples.hpp"
#include "preference_task.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/chat/template_loader.hpp"
#include "wizard/data/validation_split.hpp"
#include "wizard/generation/generation_options.hpp"
#include "wizard/model/hub.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/recipe.hpp"
#include "wizard/plugin/sampler.hpp"

namespace wizard::cpo {

namespace fs = std::filesystem;

namespace {

// training-wizard refuses to write into an output folder that holds an earlier
// run; so does wizard, unless the run resumes or overwrite_output_dir says so.
// The host's own run files (resolved config, log) do not count.
void check_output_dir(const train::TrainingArguments& args) {
  std::error_code error;
  if (!fs::exists(args.output_dir, error)) return;
  if (!fs::is_directory(args.output_dir, error)) {
    throw ConfigError("output_dir " + args.output_dir.string() + " exists and is not a folder");
  }
  if (args.overwrite_output_dir || args.resume_requested()) return;
  for (const auto& entry : fs::directory_iterator(args.output_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name == "resolved_config.toml" || name == "wizard.log") continue;
    throw ConfigError("output_dir " + args.output_dir.string() + " already holds an earlier run (" +
                      name +
                      "); choose another output_dir, set overwrite_output_dir = true, or "
                      "resume with resume_from_checkpoint = true");
  }
}

}  // namespace

class CpoRecipe : public Recipe {
 public:
  static constexpr const char* kSummary =
      "train on preference pairs with CPO, SimPO, AlphaPO, hinge or IPO (TRL's CPOTrainer)";
  static OptionDocs options() { return cpo_recipe_options(); }

  CpoRecipe(const Config& config, PluginHost& host)
      : config_(config), host_(host), settings_(CpoSettings::read(config, host)) {}

  void prepare() override {
    check_output_dir(settings_.args);
    load();
  }

  // `wizard bench`: what prepare() builds, without touching output_dir.
  std::unique_ptr<RecipeBench> prepare_bench(const fs::path& scratch_dir) override {
    load();
    CpoBenchParts parts;
    parts.settings = &settings_;
    parts.model = model_.get();
    parts.pairs = &train_.pairs;
    parts.loss = loss_;
    parts.sampler = sampler_;
    parts.sampler_name = settings_.sampler.name;
    parts.baseline_sampler =
        host_.create<Sampler>("random", Config(ConfigValue::table({}, config_.location())));
    return std::make_unique<CpoBench>(std::move(parts), scratch_dir);
  }

  std::string summary() const override {
    std::ostringstream out;
    const auto& config = model_->config();
    out << "recipe:     cpo, loss " << settings_.loss.name << ", sampler " << settings_.sampler.name
        << "\n"
        << "model:      " << model_dir_.string() << " (" << config.model_type << ", "
        << config.num_hidden_layers << " layers, hidden " << config.hidden_size << ", "
        << model::dtype_name_of(model_->dtype()) << " on " << model_->device() << ")\n"
        << "data:       " << source_description_ << "\n"
        << "train:      " << train_.pairs.size() << " pairs"
        << (train_.skipped.empty()
                ? ""
                : " (" + std::to_string(train_.skipped.size()) + " rows skipped)")
        << "\n"
        << "validation: " << (eval_ ? std::to_string(eval_->pairs.size()) + " pairs" : "none")
        << "\n"
        << "layout:     "
        << (settings_.scoring.layout == preference::PairLayout::packed
                ? (settings_.scoring.share_prefix ? "packed, shared prompts" : "packed")
                : "padded (TRL's batch)")
        << ", " << threads_ << " threads\n"
        << "output:     " << settings_.args.output_dir.string() << "\n";
    return out.str();
  }

  fs::path output_dir() const override { return settings_.args.output_dir; }

  int run() override {
    const auto& args = settings_.args;
    PreferenceTask task(*model_, loss_, settings_.scoring);
    if (settings_.eval_exact_match) {
      std::vector<std::int64_t> stop_ids;
      if (auto eos = tokenizer_->eos_token_id()) stop_ids.push_back(*eos);
      task.enable_exact_match(stop_ids);
    }
    train::TrainingTask training = training_task(*model_, task, train_.pairs, sampler_, args);
    std::vector<train::EvalResult> evaluations;
    std::unique_ptr<EvalSamples> samples = eval_samples();
    std::int64_t step = 0;  // the trainer's global step, for the samples
    training.after_step = [&step](const train::StepTimes& times) { step = times.global_step; };
    if (eval_) {
      training.evaluate = [this, &task, &args, &evaluations, &samples, &step] {
        evaluations.push_back(task.evaluate(eval_->pairs, args.per_device_eval_batch_size));
        if (samples) samples->write(step);
        return evaluations.back();
      };
    }
    training.run_params = {{"model", model_dir_.string()},
                           {"loss", settings_.loss.name},
                           {"sampler", settings_.sampler.name},
                           {"data", source_description_},
                           {"train_pairs", train_.pairs.size()},
                           {"validation_pairs", eval_ ? eval_->pairs.size() : 0}};
    training.evaluate_after_first_step = settings_.evaluate_first_step;
    training.save_model = [this](const fs::path& folder) {
      model::SavePretrainedOptions options;
      options.tokenizer_source = model_dir_;
      model_->save_pretrained(folder, options);
    };

    train::Trainer trainer(args, std::move(training));
    const train::TrainResult result = trainer.train();
    logger()->info("trained {} steps ({:.2f} epochs), mean loss {:.4f}; model saved in {}",
                   result.global_step, result.epoch, result.train_loss, args.output_dir.string());
    if (evaluations.size() >= 2) print_progress(evaluations.front(), evaluations.back());
    return 0;
  }

 private:
  // Model folder, tokenizer, rows, their tokenization, the plugins and the model.
  void load() {
    const auto& args = settings_.args;
    threads_ = args.apply_threads();

    // The model folder, its tokenizer and chat template.
    model_dir_ =
        hub::resolve_model(settings_.transformer.pretrained_name, settings_.transformer.revision);
    tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::from_pretrained(model_dir_));
    templates_ = load_chat_templates(model_dir_);
    templates_.default_template_kwargs = settings_.transformer.chat_template_kwargs;
    settings_.scoring.pad_token_id = settings_.padding_value.value_or(pad_token_id());

    // Rows, the held-out part, and TRL's tokenization of both.
    const auto source = host_.create_from<DataSource>(config_.table("dataset_spec"));
    source_description_ = source->describe();
    TrainValidation split = validation_from_config(
        source->load(), config_, "validation", static_cast<std::uint64_t>(args.seed),
        [this](const Config& table) { return host_.create_from<DataSource>(table)->load(); });
    train_ =
        tokenize_preferences(split.train, *tokenizer_, templates_, settings_.tokenization, "train");
    if (split.validation) {
      eval_ = tokenize_preferences(*split.validation, *tokenizer_, templates_,
                                   settings_.tokenization, "validation");
    }
    if (args.eval_strategy != train::Interval::no && !eval_) {
      logger()->info("no validation data (set `validation`): evaluation is off");
      settings_.args.eval_strategy = train::Interval::no;
    }
    if (settings_.evaluate_first_step && !eval_) {
      throw ConfigError(
          "callbacks_spec.evaluate_first_step = true: there is no validation data to evaluate; "
          "set `validation` (rows, a fraction or a datasource table) or remove the key");
    }

    // The plugins that shape the objective and the batches.
    loss_ = host_.create<Loss>(settings_.loss.name, settings_.loss.table, settings_.loss.named_at);
    sampler_ = host_.create<Sampler>(settings_.sampler.name, settings_.sampler.table,
                                     settings_.sampler.named_at);

    // The model, in the precision the arguments ask for (fp32 masters live in the optimizer).
    const at::ScalarType dtype = model::dtype_from_name(args.parameter_dtype_name());
    model_ = std::make_unique<model::CausalLM>(
        model::CausalLM::from_pretrained(model_dir_, dtype, settings_.transformer.device));
    model_->set_gradient_checkpointing(args.gradient_checkpointing);
    check_vocabulary();
  }

  // generate_during_eval's prompts and settings (null when off or without validation data).
  std::unique_ptr<EvalSamples> eval_samples() const {
    if (!settings_.generate_during_eval) return nullptr;
    if (!eval_) {
      throw ConfigError(
          "training_args_spec.generate_during_eval = true answers validation prompts, but there is "
          "no validation data; set `validation` or remove generate_during_eval");
    }
    model::GenerationConfig generation = model::GenerationConfig::from_model(*model_);
    if (generation.eos_token_ids.empty()) {
      if (auto eos = tokenizer_->eos_token_id()) generation.eos_token_ids = {*eos};
    }
    const auto& lengths = settings_.tokenization.lengths;
    generation.max_new_tokens =
        std::max<std::int64_t>(lengths.max_length - lengths.max_prompt_length, 1);
    generation.seed = static_cast<std::uint64_t>(settings_.args.seed);
    generation::apply_generation_table(settings_.generation, generation);
    const fs::path file = settings_.args.output_dir / "samples.jsonl";
    if (!settings_.args.resume_requested()) fs::remove(file);
    return std::make_unique<EvalSamples>(
        *model_, *tokenizer_, eval_->pairs, settings_.eval_sample_size,
        static_cast<std::uint64_t>(settings_.args.seed), generation, file);
  }

  std::int64_t pad_token_id() const {
    if (auto id = tokenizer_->pad_token_id()) return *id;
    if (auto id = tokenizer_->eos_token_id()) return *id;  // training-wizard's ensure_pad_token
    return 0;
  }

  // The held-out figures of the first and the last evaluation, side by side.
  void print_progress(const train::EvalResult& first, const train::EvalResult& last) const {
    const std::pair<const char*, const char*> rows[] = {
        {"eval_rewards/accuracies", "preference accuracy (chosen rewarded above rejected)"},
        {"eval_exact_match", "exact match (greedy answer == chosen)"},
        {"eval_rewards/margins", "reward margin"},
        {"eval_loss", "loss"}};
    std::printf("\nheld-out pairs (%lld), first evaluation -> last:\n",
                static_cast<long long>(last.num_samples));
    for (const auto& [key, label] : rows) {
      const auto a = first.metrics.find(key);
      const auto b = last.metrics.find(key);
      if (a == first.metrics.end() || b == last.metrics.end()) continue;
      const bool percent =
          std::string(key) == "eval_rewards/accuracies" || std::string(key) == "eval_exact_match";
      if (percent) {
        std::printf("  %-55s %6.1f%% -> %6.1f%%\n", label, 100 * a->second, 100 * b->second);
      } else {
        std::printf("  %-55s %7.3f -> %7.3f\n", label, a->second, b->second);
      }
    }
  }

  // Token ids must fit the embedding; a tokenizer larger than the model is a
  // mismatched pair of files.
  void check_vocabulary() const {
    const std::int64_t vocab = model_->config().vocab_size;
    auto check = [&](const std::vector<TokenizedPreference>& pairs) {
      for (const auto& pair : pairs) {
        for (const auto* ids : {&pair.chosen_input_ids, &pair.rejected_input_ids}) {
          for (const std::int32_t id : *ids) {
            if (id < 0 || id >= vocab) {
              throw Error("token id " + std::to_string(id) +
                          " is outside the model's vocabulary (" + std::to_string(vocab) +
                          " rows) in " + model_dir_.string() +
                          ": the tokenizer and the model do not belong together");
            }
          }
        }
      }
    };
    check(train_.pairs);
    if (eval_) check(eval_->pairs);
  }

  Config config_;
  PluginHost& host_;
  CpoSettings settings_;
  std::int64_t threads_ = 0;
  fs::path model_dir_;
  std::unique_ptr<Tokenizer> tokenizer_;
  ModelChatTemplates templates_;
  std::string source_description_;
  TokenizedPreferences train_;
  std::optional<TokenizedPreferences> eval_;
  std::shared_ptr<Loss> loss_;
  std::shared_ptr<Sampler> sampler_;
  std::unique_ptr<model::CausalLM> model_;
};

}  // namespace wizard::cpo

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_RECIPE(wizard::cpo::CpoRecipe, cpo)
