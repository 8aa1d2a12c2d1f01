// cpo: train a causal LM on preference data with CPO and its relatives
// (SimPO, CPO-SimPO, AlphaPO, hinge, IPO), as TRL's CPOTrainer does, from a
// training-wizard config (or an arabic-qwen one, translated: arabic_qwen_schema.hpp);
// with several negatives per prompt and an optional reference model (docs/losses.md).
//
//   prepare(): settings -> model folder, tokenizer, chat template -> rows ->
//              validation split -> TRL's tokenization -> loss, samplers -> model
//              -> reference model
//   run():     the SDK trainer with a PreferenceTask as its step
//   prepare_bench(): what prepare() builds, for `wizard bench` (cpo_bench.hpp)
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "arabic_qwen_schema.hpp"
#include "cpo_bench.hpp"
#include "cpo_settings.hpp"
#include "cpo_training.hpp"
#include "eval_samples.hpp"
#include "hard_negative_mining.hpp"
#include "noise_augmentation.hpp"
#include "paraphrase_augmentation.hpp"
#include "preference_task.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/chat/template_loader.hpp"
#include "wizard/data/validation_split.hpp"
#include "wizard/distributed/environment.hpp"
#include "wizard/distributed/process_group.hpp"
#include "wizard/generation/generation_options.hpp"
#include "wizard/model/config.hpp"
#include "wizard/model/hub.hpp"
#include "wizard/model/lora.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/negative_miner.hpp"
#include "wizard/plugin/negative_sampler.hpp"
#include "wizard/plugin/recipe.hpp"
#include "wizard/plugin/sampler.hpp"
#include "wizard/train/checkpoint.hpp"

namespace wizard::cpo {

namespace fs = std::filesystem;

class CpoRecipe : public Recipe {
 public:
  static constexpr const char* kSummary =
      "train on preference pairs with CPO, SimPO, AlphaPO, hinge or IPO (TRL's CPOTrainer)";
  static OptionDocs options() { return cpo_recipe_options(); }

  // A config in the arabic-qwen schema is read through its translation (arabic_qwen_schema.hpp).
  CpoRecipe(const Config& config, PluginHost& host)
      : CpoRecipe(cpo_config_view(config, host), host) {}

  void prepare() override {
    // training-wizard refuses an output folder holding an earlier run: so does wizard (HF's
    // overwrite_output_dir rule), before anything heavy is loaded.
    settings_.args.check_output_dir();
    load();
    if (settings_.reference.enabled) load_reference();
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
    parts.negative_sampler = negative_sampler_;
    parts.negatives = negative_settings();
    parts.baseline_sampler =
        host_.create<Sampler>("random", Config(ConfigValue::table({}, config_.location())));
    return std::make_unique<CpoBench>(std::move(parts), scratch_dir);
  }

  std::string summary() const override {
    std::ostringstream out;
    const auto& config = model_->config();
    out << "recipe:     cpo, loss " << settings_.loss.name << ", sampler " << settings_.sampler.name
        << "\n"
        << "negatives:  " << settings_.negatives.num_negatives << " per example ("
        << settings_.negatives.sampler.name
        << (settings_.negatives.in_batch ? ", in-batch answers too" : "") << ")"
        << (settings_.reference.enabled
                ? "; reference model: " +
                      (settings_.reference.model_name.empty() ? std::string("the starting policy")
                                                              : settings_.reference.model_name) +
                      (settings_.reference.precompute ? " (precomputed)" : "")
                : std::string())
        << "\n"
        << "model:      " << model_dir_.string() << " (" << config.model_type << ", "
        << config.num_hidden_layers << " layers, hidden " << config.hidden_size << ", "
        << model::dtype_name_of(model_->dtype()) << " on " << model_->device() << ")\n"
        << adapters_line() << "data:       " << source_description_ << "\n"
        << "train:      " << train_.pairs.size() << " pairs"
        << (train_.skipped.empty() ? "" : ", " + train_.skip_summary()) << "\n"
        << "validation: "
        << (eval_ ? std::to_string(eval_->pairs.size()) + " pairs" +
                        (eval_->skipped.empty() ? "" : ", " + eval_->skip_summary())
                  : "none")
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
    if (paraphrase_rows_) add_paraphrases();
    if (miner_) mined_ = mine_negatives();
    PreferenceTaskParts parts;
    parts.model = model_.get();
    parts.loss = loss_;
    parts.scoring = settings_.scoring;
    parts.negative_sampler = negative_sampler_;
    parts.negatives = negative_settings();
    parts.reference = reference_.get();
    std::unique_ptr<ContrastiveTerm> contrastive = contrastive_term();
    parts.contrastive = contrastive.get();
    PreferenceTask task(std::move(parts), train_.pairs);
    if (settings_.eval_exact_match) {
      std::vector<std::int64_t> stop_ids;
      if (auto eos = tokenizer_->eos_token_id()) stop_ids.push_back(*eos);
      task.enable_exact_match(stop_ids);
    }
    train::TrainingTask training = training_task(*model_, task, train_.pairs, sampler_,
                                                 settings_.negatives.num_negatives, args);
    if (miner_ && settings_.mining.refresh_epochs > 0) refresh_mining_each_epochs(training, task);
    const AdapterSettings& adapters = settings_.transformer.adapters;
    training.parameters = trainable_parameters(*model_, adapters);
    std::vector<train::EvalResult> evaluations;
    std::unique_ptr<EvalSamples> samples = eval_samples();
    std::int64_t step = 0;  // the trainer's global step, for the samples
    training.after_step = [&step, task_step = training.after_step](const train::StepTimes& times) {
      task_step(times);
      step = times.global_step;
    };
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
    training.save_model = [this, &adapters, &contrastive](const fs::path& folder) {
      if (adapters.lora) {
        save_adapter_folder(*model_, adapters, folder, model_dir_,
                            settings_.transformer.pretrained_name);
        if (contrastive) contrastive->save(folder / kContrastiveStateFile);
        return;
      }
      model::SavePretrainedOptions options;
      options.tokenizer_source = model_dir_;
      if (contrastive) {
        options.write_extra = [&contrastive](const fs::path& staging) {
          contrastive->save(staging / kContrastiveStateFile);
        };
      }
      model_->save_pretrained(folder, options);
    };
    if (contrastive) {
      // The projection head trains with the model; it, the momentum averages and the queue
      // come back from each checkpoint's contrastive_state.safetensors.
      for (const auto& parameter : contrastive->parameters()) {
        training.parameters.push_back(parameter);
      }
    }
    if (adapters.lora) {
      training.load_model = [this, &adapters, &contrastive](const fs::path& folder) {
        model::load_lora_adapter(*model_, *adapters.lora, folder);
        if (contrastive) contrastive->load(folder / kContrastiveStateFile);
      };
    } else if (contrastive) {
      training.load_model = [this, &contrastive](const fs::path& folder) {
        train::load_parameters(model_->named_parameters(), folder);
        contrastive->load(folder / kContrastiveStateFile);
      };
    }

    train::Trainer trainer(args, std::move(training));
    const train::TrainResult result = trainer.train();
    logger()->info("trained {} steps ({:.2f} epochs), mean loss {:.4f}; model saved in {}",
                   result.global_step, result.epoch, result.train_loss, args.output_dir.string());
    if (adapters.merge_lora && fs::exists(args.output_dir / "adapter_config.json")) {
      const fs::path merged = args.output_dir / "merged";
      model::save_merged_adapter(args.output_dir, model_dir_, merged, model_->dtype());
      logger()->info("merge_lora: the adapter merged into the base model in {}", merged.string());
    }
    if (task.short_examples() > 0) {
      logger()->info(
          "{} of {} examples scored had fewer than num_negatives = {} negatives to choose from "
          "and used what they had",
          task.short_examples(), task.examples_scored(), settings_.negatives.num_negatives);
    }
    for (const auto* set : {&train_, eval_ ? &*eval_ : nullptr}) {
      if (set && !set->skipped.empty()) {
        logger()->warn("{} data: {}", set == &train_ ? "training" : "validation",
                       set->skip_summary());
      }
    }
    if (evaluations.size() >= 2) print_progress(evaluations.front(), evaluations.back());
    return 0;
  }

 private:
  CpoRecipe(const CpoConfigView& view, PluginHost& host)
      : config_(view.recipe),
        host_(host),
        settings_(CpoSettings::read(view.recipe, host, view.loss_defaults)) {}

  // "adapters: ..." for the summary, when LoRA is on.
  std::string adapters_line() const {
    const AdapterSettings& a = settings_.transformer.adapters;
    if (!a.lora) return "";
    std::ostringstream out;
    out << "adapters:   LoRA r " << a.lora->r << ", alpha " << a.lora->lora_alpha << " on "
        << model::lora_target_paths(model_->config(), *a.lora).size() << " layers";
    if (a.four_bit) {
      out << "; base weights in 4 bits ("
          << (a.four_bit->type == model::FourBitType::nf4 ? "nf4" : "fp4")
          << (a.four_bit->double_quant ? ", double quant" : "") << ")";
    }
    out << "\n";
    return out.str();
  }

  // Model folder, tokenizer, rows, their tokenization, the plugins and the model.
  void load() {
    const auto& args = settings_.args;
    threads_ = args.apply_threads();

    // The model folder, its tokenizer and chat template.
    model_dir_ =
        hub::resolve_model(settings_.transformer.pretrained_name, settings_.transformer.revision);
    model::ModelConfig::from_file(model_dir_ / "config.json");  // an architecture wizard runs?
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
    if (settings_.augmentation.enabled) augment(split.train);
    train_ =
        tokenize_preferences(split.train, *tokenizer_, templates_, settings_.tokenization, "train");
    if (split.validation) {
      eval_ = tokenize_preferences(*split.validation, *tokenizer_, templates_,
                                   settings_.tokenization, "validation");
    }
    if (args.eval_strategy != train::Interval::no && !eval_) {
      if (settings_.eval_strategy_given) {
        throw ConfigError("training_args_spec.eval_strategy = \"" +
                          train::interval_name(args.eval_strategy) +
                          "\" evaluates on validation data, but this config has none; set "
                          "`validation` (rows, a fraction or a datasource table) or "
                          "eval_strategy = \"no\"");
      }
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
    const PluginChoice& negatives = settings_.negatives.sampler;
    negative_sampler_ =
        host_.create<NegativeSampler>(negatives.name, negatives.table, negatives.named_at);
    if (settings_.mining.enabled) {
      miner_ = host_.create<NegativeMiner>(settings_.mining.strategy, settings_.mining.miner_table,
                                           settings_.mining.named_at);
      if (!settings_.mining.embedding_model.empty()) {
        embedding_model_dir_ =
            supported_model_folder(settings_.mining.embedding_model, "mining_embedding_model");
      }
    }
    if (settings_.reference.enabled && !loss_->requirements().supports_reference) {
      throw ConfigError(settings_.loss.named_at.str() + ": the loss '" + settings_.loss.name +
                        "' takes no reference scores, but reference_free = false; use a loss "
                        "that does (every built-in one) or reference_free = true");
    }

    // The model, in the precision the arguments ask for (fp32 masters live in the optimizer).
    const at::ScalarType dtype = model::dtype_from_name(args.parameter_dtype_name());
    model_ = std::make_unique<model::CausalLM>(
        model::CausalLM::from_pretrained(model_dir_, dtype, settings_.transformer.device));
    apply_adapters(*model_, settings_.transformer.adapters, static_cast<std::uint64_t>(args.seed));
    model_->set_gradient_checkpointing(args.gradient_checkpointing);
    check_vocabulary();
  }

  // The folder of another model a key names (resolved in the hub cache), refused unless it is
  // a model wizard runs.
  static fs::path supported_model_folder(const std::string& name, const std::string& key) {
    const std::string what = "training_args_spec." + key + " = \"" + name + "\"";
    fs::path folder;
    try {
      folder = hub::resolve_model(name, "");
      model::ModelConfig::from_file(folder / "config.json");
    } catch (const Error& e) {
      throw ConfigError(what + " is not a model wizard can run (" + e.what() +
                        "); name a supported model folder or remove the key");
    }
    return folder;
  }

  // augment_data: noisy negatives now; for paraphrases, the model is checked now and the rows
  // kept, generation waits for run() (`wizard check` generates nothing).
  void augment(Dataset& rows) {
    const AugmentationSettings& augmentation = settings_.augmentation;
    if (augmentation.strategy == "noise") {
      const std::int64_t added = add_noise_negatives(
          rows, settings_.tokenization.columns.chosen, settings_.tokenization.columns.negatives,
          augmentation.ratio, static_cast<std::uint64_t>(settings_.args.seed));
      logger()->info(
          "augmentation (noise): {} training rows got a noisy copy of their chosen "
          "answer as an extra negative",
          added);
      return;
    }
    if (distributed::LaunchEnvironment::current().world_size > 1) {
      // Every rank would generate the same paraphrases into the same cache file.
      throw ConfigError(
          "training_args_spec.augmentation_strategy = \"paraphrase\" is not supported with "
          "several processes yet (every rank would generate into the same cache file); train "
          "on one process or use \"noise\"");
    }
    paraphrase_model_dir_ =
        augmentation.paraphrase.model.empty()
            ? model_dir_
            : supported_model_folder(augmentation.paraphrase.model, "augmentation_model");
    paraphrase_rows_ = rows;
  }

  // augmentation_strategy = "paraphrase": the paraphrased rows, tokenized, join the training
  // pairs (before mining, which then sees them).
  void add_paraphrases() {
    const auto& args = settings_.args;
    ParaphraseContext context;
    context.model_dir = paraphrase_model_dir_;
    // The policy as it starts (fresh LoRA adapters change nothing) paraphrases by default.
    if (settings_.augmentation.paraphrase.model.empty()) context.model = model_.get();
    context.dtype = model_->dtype();
    context.device = settings_.transformer.device;
    context.chat_template_kwargs = settings_.transformer.chat_template_kwargs;
    context.output_dir = args.output_dir;
    context.prompt_column = settings_.tokenization.columns.prompt;
    context.seed = static_cast<std::uint64_t>(args.seed);
    Dataset& rows = *paraphrase_rows_;
    const std::size_t before = rows.size();
    const ParaphraseCounts counts = add_paraphrased_rows(
        rows, settings_.augmentation.ratio, settings_.augmentation.paraphrase, context);
    TokenizedPreferences more =
        tokenize_preferences(rows.slice(before, rows.size()), *tokenizer_, templates_,
                             settings_.tokenization, "train (paraphrased prompts)");
    for (auto& pair : more.pairs) {
      pair.source_row += before;
      train_.pairs.push_back(std::move(pair));
    }
    for (auto& skipped : more.skipped) {
      skipped.row += before;
      train_.skipped.push_back(std::move(skipped));
    }
    train_.empty_answers += more.empty_answers;
    train_.invalid_rows += more.invalid_rows;
    train_.unusable_rows += more.unusable_rows;
    train_.dropped_negatives += more.dropped_negatives;
    check_vocabulary();
    logger()->info(
        "augmentation (paraphrase): {} training rows added with paraphrased prompts, of {} drawn "
        "({} generated now, the others from cache/paraphrases.jsonl); dropped {} empty and {} "
        "identical to their prompt; {} training pairs now",
        more.pairs.size(), counts.selected, counts.generated, counts.empty, counts.same,
        train_.pairs.size());
    paraphrase_rows_.reset();
  }

  // The frozen reference model (default: the starting policy), precomputed when asked.
  void load_reference() {
    ReferenceSettings reference;
    reference.model_dir = settings_.reference.model_name.empty()
                              ? model_dir_
                              : hub::resolve_model(settings_.reference.model_name, "");
    reference.precompute = settings_.reference.precompute;
    // Every rank needs the sums; rank 0 alone computes and writes them.
    reference.computes_cache = distributed::LaunchEnvironment::current().is_main();
    reference.cache_wait = std::chrono::seconds(settings_.args.ddp_timeout);
    reference_ = std::make_unique<ReferenceModel>(reference, model_->dtype(),
                                                  settings_.transformer.device, settings_.scoring);
    if (!reference.precompute) return;
    const fs::path folder = settings_.args.output_dir / "cache";
    reference_->precompute(train_.pairs, "train", folder / "reference_logps_train.safetensors");
    if (eval_) {
      reference_->precompute(eval_->pairs, "validation",
                             folder / "reference_logps_validation.safetensors");
    }
    reference_->release_model();
  }

  // Data parallel: the run's process group (null in one process), joined when the recipe first
  // needs it and held as long as the recipe, so that the trainer shares it.
  std::shared_ptr<distributed::ProcessGroup> process_group() {
    if (group_ || !distributed::LaunchEnvironment::current().distributed()) return group_;
    distributed::GroupOptions options;
    options.device = model_->device();
    options.timeout = std::chrono::seconds(settings_.args.ddp_timeout);
    options.backend = settings_.args.ddp_backend;
    group_ = distributed::ProcessGroup::world(options);
    return group_;
  }

  // create_hard_negatives: each training example's mined negatives join its pool (at the start
  // of `epoch` with mining_refresh_epochs, replacing the earlier ones).
  MinedSources mine_negatives(std::int64_t epoch = 0) {
    MiningContext context;
    context.model = model_.get();
    context.tokenizer = tokenizer_.get();
    context.model_dir = model_dir_;
    context.output_dir = settings_.args.output_dir;
    context.max_length = settings_.tokenization.lengths.max_length;
    context.embedding_model_dir = embedding_model_dir_;
    context.epoch = epoch;
    context.group = process_group();
    context.wait = std::chrono::seconds(settings_.args.ddp_timeout);
    MinedSources sources = mine_or_reuse(train_.pairs, *miner_, settings_.mining, context);
    const std::int64_t added =
        set_mined_negatives(train_.pairs, sources, settings_.tokenization.lengths.max_length);
    logger()->info("hard negatives{}: {} mined negatives added to {} training examples",
                   epoch == 0 ? "" : " (epoch " + std::to_string(epoch) + ", re-mined)", added,
                   train_.pairs.size());
    return sources;
  }

  // mining_refresh_epochs = N: at the start of epochs N, 2N, ... the negatives are mined again
  // with the policy's weights then (mined_negatives-epoch-<E>.jsonl). Each checkpoint holds
  // the mined negatives in use (the trainer state's "mined": the epoch and each example's
  // sources) and whether the policy scores cached since were made with them, so a resumed run
  // (from any folder) goes on with them as the uninterrupted one.
  void refresh_mining_each_epochs(train::TrainingTask& training, PreferenceTask& task) {
    const std::int64_t every = settings_.mining.refresh_epochs;
    if (!settings_.args.resume_requested()) {  // an earlier run's refreshes are not this one's
      for (const auto& entry : fs::directory_iterator(settings_.args.output_dir)) {
        if (entry.path().filename().string().rfind("mined_negatives-epoch-", 0) == 0) {
          fs::remove(entry.path());
        }
      }
    }
    struct State {
      std::int64_t epoch = 0;  // the epoch whose mining the pairs hold
      MinedSources sources;
    };
    auto state = std::make_shared<State>();
    state->sources = mined_;
    training.micro_batches = [this, every, state, &task,
                              batches = training.micro_batches](std::int64_t epoch) {
      const std::int64_t due = epoch / every * every;
      if (due != state->epoch) {
        state->sources = mine_negatives(due);
        state->epoch = due;
        task.forget_policy_scores();
      }
      return batches(epoch);
    };
    training.save_state = [state, save = training.save_state] {
      nlohmann::json out = save();
      out["mined"] = {{"epoch", state->epoch}, {"sources", state->sources}};
      return out;
    };
    training.load_state = [this, state, load = training.load_state](const nlohmann::json& saved) {
      if (saved.is_object() && saved.contains("mined")) {
        state->epoch = saved["mined"].at("epoch").get<std::int64_t>();
        state->sources = saved["mined"].at("sources").get<MinedSources>();
        set_mined_negatives(train_.pairs, state->sources,
                            settings_.tokenization.lengths.max_length);
      }
      load(saved);  // after: the cached policy scores were made with these negatives
    };
  }

  // The embedding contrastive term (null when contrastive_weight is 0), with its own copy of
  // the policy for momentum_scope = "model".
  std::unique_ptr<ContrastiveTerm> contrastive_term() const {
    const ContrastiveSettings& settings = settings_.contrastive;
    if (!settings.enabled()) return nullptr;
    std::unique_ptr<model::CausalLM> copy;
    if (settings.use_momentum && settings.momentum_scope == MomentumScope::model) {
      copy = std::make_unique<model::CausalLM>(model::CausalLM::from_pretrained(
          model_dir_, model_->dtype(), settings_.transformer.device));
    }
    return std::make_unique<ContrastiveTerm>(settings, *model_, std::move(copy),
                                             static_cast<std::uint64_t>(settings_.args.seed),
                                             settings_.scoring);
  }

  NegativeSettings negative_settings() const {
    NegativeSettings out;
    out.num_negatives = settings_.negatives.num_negatives;
    out.in_batch = settings_.negatives.in_batch;
    out.seed = static_cast<std::uint64_t>(settings_.args.seed);
    return out;
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
    const bool several_negatives = eval_ && std::any_of(eval_->pairs.begin(), eval_->pairs.end(),
                                                        [](const TokenizedPreference& p) {
                                                          return !p.more_negatives.empty();
                                                        });
    const std::pair<const char*, const char*> rows[] = {
        {"eval_rewards/accuracies_all", "chosen above all its negatives"},
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
      const std::string name = key;
      // With one negative per example, "above all" is the preference accuracy again.
      if (name == "eval_rewards/accuracies_all" && !several_negatives) continue;
      const bool percent =
          name.rfind("eval_rewards/accuracies", 0) == 0 || name == "eval_exact_match";
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
        std::vector<const std::vector<std::int32_t>*> sequences = {&pair.chosen_input_ids};
        for (const auto& negative : own_negatives(pair)) sequences.push_back(negative.ids);
        for (const auto* ids : sequences) {
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
    if (settings_.scoring.pad_token_id >= vocab) {
      throw ConfigError(
          "training_args_spec.padding_value = " + std::to_string(settings_.scoring.pad_token_id) +
          " is outside the model's vocabulary (" + std::to_string(vocab) +
          " rows); use a token id below it, or leave it unset for the pad token");
    }
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
  std::shared_ptr<NegativeSampler> negative_sampler_;
  std::shared_ptr<NegativeMiner> miner_;    // create_hard_negatives
  fs::path embedding_model_dir_;            // mining_embedding_model (empty: the policy embeds)
  MinedSources mined_;                      // what the first mining found
  std::optional<Dataset> paraphrase_rows_;  // the training rows, until paraphrased in run()
  fs::path paraphrase_model_dir_;           // the model that paraphrases
  std::unique_ptr<model::CausalLM> model_;
  std::unique_ptr<ReferenceModel> reference_;
  std::shared_ptr<distributed::ProcessGroup> group_;  // data parallel, once joined
};

}  // namespace wizard::cpo

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_RECIPE(wizard::cpo::CpoRecipe, cpo)
