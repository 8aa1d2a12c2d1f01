// The arabic-qwen keys read together with others (the table in arabic_qwen_keys.cpp names
// each key's rule). Each runs once, after the table's own keys are translated, in the order
// the table first names it.
#pragma once

#include "arabic_qwen_keys.hpp"

namespace wizard::cpo::arabic_qwen::rules {

// data.train_file -> dataset_spec; data.validation_file, or a share of train_file
// (validation_split_percentage, read only without a file) -> validation.
void data_files(KeyReader& keys);
// data.max_samples and data.sanity_check(_size) keep the first rows of the data files.
void row_limits(KeyReader& keys);
// data.padding changes no result: wizard packs rows (or pads per batch, masked).
void padding(KeyReader& keys);
// cpo.loss_type: "cpo" is the CPO loss, TRL's sigmoid loss plus the NLL term.
void loss_type(KeyReader& keys);
// cpo.hard_negative_ratio: only mixed sampling draws a share of hard negatives.
void hard_negative_ratio(KeyReader& keys);
// cpo.cpo_gamma: SimPO's gamma (TRL's simpo_gamma), which cpo.margin also is for simpo.
void cpo_gamma(KeyReader& keys);
// cpo.max_target_length: TRL keeps max_length - max_prompt_length tokens of each answer.
void max_target_length(KeyReader& keys);
// optimization.use_lora, lora_rank, use_quantization: transformer_spec.lora_spec (r = rank,
// lora_alpha = 2 rank, training-wizard's other defaults) and bnb_spec (4-bit NF4).
void lora(KeyReader& keys);
// cpo.contrastive_weight and the embedding contrastive term's settings (simcse_dropout,
// contrastive_temperature, normalize_embeddings, projection_dim, use_queue, queue_size,
// use_momentum, momentum_beta): the term is on while the weight is above 0 (the document's
// default 1.0), its settings then passed on where they differ from the recipe's defaults;
// with weight 0 a written setting changes nothing (noted).
void contrastive(KeyReader& keys);
// data.augment_data, augmentation_strategy and augmentation_ratio: "noise" and the
// document's default "paraphrase" (by the policy) run; the settings alone change nothing
// (noted).
void augmentation(KeyReader& keys);
// data.create_hard_negatives and hard_negative_strategy: mining before training with that
// miner; the strategy alone changes nothing (noted).
void mining(KeyReader& keys);
// logging.use_wandb and wandb_project: report_to = "wandb" with that project.
void wandb(KeyReader& keys);

}  // namespace wizard::cpo::arabic_qwen::rules
