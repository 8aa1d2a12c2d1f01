// The contrastive term's parts against hand-computed cases: InfoNCE's value, accuracy and
// gradient; the queue's FIFO order across pushes, over capacity and through save/load; the
// EMA update of the momentum encoder and its saved averages; the projection head's arithmetic
// and its save/load; the noise augmentation.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "info_nce.hpp"
#include "key_queue.hpp"
#include "momentum_encoder.hpp"
#include "noise_augmentation.hpp"
#include "paraphrase_augmentation.hpp"
#include "projection_head.hpp"
#include "test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/safetensors.hpp"

namespace fs = std::filesystem;
using namespace wizard;
using namespace wizard::cpo;

namespace {

at::Tensor t(std::vector<float> values, std::vector<int64_t> shape) {
  return at::tensor(values, at::kFloat).view(shape).clone();
}

std::vector<float> values(const at::Tensor& x) {
  const at::Tensor c = x.detach().contiguous().to(at::kFloat).cpu();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("wizard-contrastive-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST(InfoNce, ValueAccuracyAndGradientByHand) {
  // q0 = (1,0), q1 = (0,1); positives p0 = (0.6,0.8), p1 = (1,0); negatives: example 0 has
  // n0 = (0,1), example 1's slot is masked; in-batch: each example's other positive; tau 0.5.
  InfoNceInputs in;
  in.query = t({1, 0, 0, 1}, {2, 2}).requires_grad_(true);
  in.positive = t({0.6f, 0.8f, 1, 0}, {2, 2});
  in.negatives = t({0, 1, 0, 0}, {2, 1, 2});
  in.negative_mask = at::tensor(std::vector<uint8_t>{1, 0}).to(at::kBool).view({2, 1});
  in.temperature = 0.5;
  const InfoNceResult r = info_nce(in);
  // Example 0: dot products p0 0.6, n0 0, p1 1 -> logits / tau = (1.2, 0, 2):
  //   L0 = log(e^1.2 + e^0 + e^2) - 1.2 = log(3.320117 + 1 + 7.389056) - 1.2 = 1.260371.
  // Example 1: p1 0, (masked), p0 0.8 -> (0, 1.6): L1 = log(1 + e^1.6) - 0 = 1.783901.
  const double l0 = std::log(std::exp(1.2) + 1 + std::exp(2.0)) - 1.2;
  const double l1 = std::log(1 + std::exp(1.6));
  EXPECT_NEAR(r.loss.item<double>(), (l0 + l1) / 2, 1e-6);  // 1.522136
  // Neither positive ranks first (1.2 < 2, 0 < 1.6).
  EXPECT_EQ(r.accuracy.item<double>(), 0.0);
  // dL/dq0 = (1/B)(1/tau)(sum_j softmax_j key_j - p0): softmax of (1.2, 0, 2) over the keys
  // (p0, n0, p1) = (0.283548, 0.085404, 0.631048), so sum = (0.801177, 0.312242) and the
  // gradient (0.201177, -0.487758).
  r.loss.backward();
  const double z = std::exp(1.2) + 1 + std::exp(2.0);
  const double s0 = std::exp(1.2) / z, s1 = 1 / z, s2 = std::exp(2.0) / z;
  const std::vector<float> grad = values(in.query.grad());
  EXPECT_NEAR(grad[0], s0 * 0.6 + s2 * 1 - 0.6, 1e-6);
  EXPECT_NEAR(grad[1], s0 * 0.8 + s1 * 1 - 0.8, 1e-6);
  // Example 1 over keys (p1, p0): softmax of (0, 1.6) = (u0, u1) = (0.167982, 0.832018); the
  // gradient u0 p1 + u1 p0 - p1 = (0.167982 + 0.499211 - 1, 0.665615) = (-0.332807, 0.665615).
  const double u0 = 1 / (1 + std::exp(1.6)), u1 = std::exp(1.6) / (1 + std::exp(1.6));
  EXPECT_NEAR(grad[2], u0 * 1 + u1 * 0.6 - 1, 1e-6);
  EXPECT_NEAR(grad[3], u0 * 0 + u1 * 0.8 - 0, 1e-6);
}

TEST(InfoNce, QueueKeysJoinTheNegativesExceptTheExamplesOwn) {
  // One example, q = p = (1,0), no other negatives; queue keys (1,0) (its own earlier key,
  // blocked) and (0,1); tau 1: logits (1, -inf, 0), L = log(e + 1) - 1 = 0.313262; ranked first.
  InfoNceInputs in;
  in.query = t({1, 0}, {1, 2});
  in.positive = t({1, 0}, {1, 2});
  in.in_batch = false;
  in.queue = t({1, 0, 0, 1}, {2, 2});
  in.queue_blocked = at::tensor(std::vector<uint8_t>{1, 0}).to(at::kBool).view({1, 2});
  in.temperature = 1;
  InfoNceResult r = info_nce(in);
  EXPECT_NEAR(r.loss.item<double>(), std::log(std::exp(1.0) + 1) - 1, 1e-6);
  EXPECT_EQ(r.accuracy.item<double>(), 1.0);
  // Unblocked, the identical key ties with the positive: logits (1, 1, 0), L = log(2e + 1) - 1,
  // and a tie does not rank the positive first.
  in.queue_blocked = at::zeros({1, 2}, at::kBool);
  r = info_nce(in);
  EXPECT_NEAR(r.loss.item<double>(), std::log(2 * std::exp(1.0) + 1) - 1, 1e-6);
  EXPECT_EQ(r.accuracy.item<double>(), 0.0);
}

TEST(KeyQueue, KeepsTheNewestKeysInOrderAcrossStepsAndResume) {
  KeyQueue queue(3);
  EXPECT_FALSE(queue.keys().defined());
  queue.push(t({1, 2}, {2, 1}), at::tensor(std::vector<int64_t>{10, 11}));
  EXPECT_EQ(values(queue.keys()), (std::vector<float>{1, 2}));
  queue.push(t({3, 4}, {2, 1}), at::tensor(std::vector<int64_t>{12, 13}));
  // Capacity 3: key 1 (the oldest) is gone; oldest first.
  EXPECT_EQ(values(queue.keys()), (std::vector<float>{2, 3, 4}));
  EXPECT_EQ(values(queue.ids().to(at::kFloat)), (std::vector<float>{11, 12, 13}));

  const fs::path file = scratch("queue") / "state.safetensors";
  safetensors::save(file, queue.state_tensors("queue."));
  KeyQueue resumed(3);
  resumed.load(safetensors::File::open(file), "queue.", at::kCPU);
  EXPECT_EQ(values(resumed.keys()), (std::vector<float>{2, 3, 4}));
  // The next step evicts the same key in both.
  for (KeyQueue* q : {&queue, &resumed})
    q->push(t({5}, {1, 1}), at::tensor(std::vector<int64_t>{14}));
  EXPECT_EQ(values(queue.keys()), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(values(resumed.keys()), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(values(resumed.ids().to(at::kFloat)), (std::vector<float>{12, 13, 14}));
  // More keys than the capacity at once: the newest 3 stay.
  queue.push(t({6, 7, 8, 9}, {4, 1}), at::tensor(std::vector<int64_t>{15, 16, 17, 18}));
  EXPECT_EQ(values(queue.keys()), (std::vector<float>{7, 8, 9}));
}

TEST(Momentum, EmaUpdateByHand) {
  // beta 0.9: a <- 0.9 a + 0.1 x. (1, 2) with x = (3, -2): (1.2, 1.6), then (1.38, 1.24).
  const at::Tensor average = t({1, 2}, {2});
  const at::Tensor live = t({3, -2}, {2});
  ema_update({average}, {live}, 0.9);
  EXPECT_NEAR(values(average)[0], 1.2, 1e-6);
  EXPECT_NEAR(values(average)[1], 1.6, 1e-6);
  ema_update({average}, {live}, 0.9);
  EXPECT_NEAR(values(average)[0], 1.38, 1e-6);
  EXPECT_NEAR(values(average)[1], 1.24, 1e-6);
}

namespace {

// A 2 -> 1 head with W1 = [[1,-1],[2,0]], b1 = (0,-1), W2 = [[1,1]], b2 = (0.5) (+ `shift`
// on every value).
fs::path head_file(const fs::path& dir, float shift) {
  const fs::path file = dir / ("head" + std::to_string(shift) + ".safetensors");
  safetensors::save(file, {{"h.fc1.weight", t({1, -1, 2, 0}, {2, 2}) + shift},
                           {"h.fc1.bias", t({0, -1}, {2}) + shift},
                           {"h.fc2.weight", t({1, 1}, {1, 2}) + shift},
                           {"h.fc2.bias", t({0.5f}, {1}) + shift}});
  return file;
}

}  // namespace

TEST(ProjectionHead, ComputesTheMlpAndSavesAndLoadsExactly) {
  const fs::path dir = scratch("head");
  ProjectionHead head(2, 1, 7, at::kCPU);
  head.load(safetensors::File::open(head_file(dir, 0)), "h.");
  // x = (1,2): W1 x = (-1, 2), + b1 = (-1, 1), relu -> (0, 1), W2 -> 1, + b2 = 1.5.
  EXPECT_NEAR(head.forward(t({1, 2}, {1, 2})).item<double>(), 1.5, 1e-6);

  // A head of another seed computes something else until it loads the first one's file.
  ProjectionHead first(4, 3, 1, at::kCPU), second(4, 3, 2, at::kCPU);
  const at::Tensor x = at::randn({5, 4});
  EXPECT_FALSE(at::equal(first.forward(x), second.forward(x)));
  safetensors::NamedTensors saved;
  for (const auto& [name, p] : first.named_parameters("contrastive_head.")) {
    saved.emplace_back(name, p.detach());
  }
  safetensors::save(dir / "first.safetensors", saved);
  second.load(safetensors::File::open(dir / "first.safetensors"), "contrastive_head.");
  EXPECT_TRUE(at::equal(first.forward(x), second.forward(x)));
  // Its parameters stay trainable.
  for (const auto& [name, p] : second.named_parameters("")) EXPECT_TRUE(p.requires_grad()) << name;
  // Another projection_dim is refused by name.
  ProjectionHead other(4, 2, 1, at::kCPU);
  EXPECT_THROW(other.load(safetensors::File::open(dir / "first.safetensors"), "contrastive_head."),
               Error);
}

TEST(Momentum, HeadScopeAveragesTheHeadAndRestoresItsAverages) {
  const fs::path dir = scratch("momentum");
  ProjectionHead live(2, 1, 7, at::kCPU);
  live.load(safetensors::File::open(head_file(dir, 0)), "h.");
  MomentumEncoder momentum(0.5, nullptr, nullptr, live);
  // The live head moves by +1 everywhere; beta 0.5 moves the average half way: x = (1,2)
  // through W1 = [[1.5,-0.5],[2.5,0.5]], b1 = (0.5,-0.5), W2 = [[1.5,1.5]], b2 = 1:
  // W1 x + b1 = (0.5 + 0.5, 3.5 - 0.5) = (1, 3) -> 1.5 * 4 + 1 = 7.
  live.load(safetensors::File::open(head_file(dir, 1)), "h.");
  momentum.update();
  EXPECT_NEAR(momentum.head().forward(t({1, 2}, {1, 2})).item<double>(), 7.0, 1e-5);
  safetensors::save(dir / "m.safetensors", momentum.state_tensors("momentum."));
  ProjectionHead fresh(2, 1, 7, at::kCPU);
  MomentumEncoder resumed(0.5, nullptr, nullptr, fresh);
  resumed.load(safetensors::File::open(dir / "m.safetensors"), "momentum.");
  const at::Tensor x = t({1, 2, -3, 0.5f}, {2, 2});
  EXPECT_TRUE(at::equal(resumed.head().forward(x), momentum.head().forward(x)));
}

TEST(NoiseAugmentation, DropsAndSwapsWordsOfTheChosenAnswerIntoTheNegatives) {
  // Seeded: the same text and seed give the same noise; a single word gets none.
  const std::string text = "the capital of france is paris";
  const std::string noisy = noisy_answer(text, 7);
  EXPECT_EQ(noisy, noisy_answer(text, 7));
  EXPECT_NE(noisy, text);
  EXPECT_EQ(noisy_answer("paris", 7), "paris");
  // Every word of the noisy answer is one of the original's (dropout and a swap only).
  std::istringstream words(noisy);
  for (std::string word; words >> word;) EXPECT_NE(text.find(word), std::string::npos) << word;
  // Ratio 1: every row with two words or more gets one extra negative, appended to its list;
  // conversational answers get the noise in their last message.
  Dataset rows;
  rows.append(Row{{"chosen", "a b c d"}, {"negatives", Row::array({"x"})}}, {});
  rows.append(Row{{"chosen", "one"}}, {});
  rows.append(Row{{"chosen", Row::array({Row{{"role", "assistant"}, {"content", "p q r"}}})}}, {});
  EXPECT_EQ(add_noise_negatives(rows, "chosen", "negatives", 1.0, 3), 2);
  EXPECT_EQ(rows.row(0)["negatives"].size(), 2u);
  EXPECT_EQ(rows.row(0)["negatives"][0], "x");
  EXPECT_FALSE(rows.row(1).contains("negatives"));
  EXPECT_EQ(rows.row(2)["negatives"][0][0]["role"], "assistant");
  EXPECT_NE(rows.row(2)["negatives"][0][0]["content"], "p q r");
  EXPECT_EQ(rows.row(2)["chosen"][0]["content"], "p q r");  // the chosen answer is untouched
}

TEST(ParaphraseAugmentation, AsksThroughTheChatTemplateOrInPlainTextAndDropsDegenerateAnswers) {
  // A model without a chat template gets the plain request (it stops at the first newline).
  ModelChatTemplates none;
  none.builtin = true;
  EXPECT_EQ(paraphrase_request("make it loud", none),
            "Paraphrase the following text. Keep its meaning.\nText: make it loud\nParaphrase:");
  // With one, a single user message rendered with the generation prompt.
  ModelChatTemplates chat;
  chat.templates.emplace_back(
      "{% for m in messages %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% endif %}");
  EXPECT_EQ(paraphrase_request("make it loud", chat),
            "<user>Paraphrase the following text. Keep its meaning, its language and every "
            "detail it gives; reply with the paraphrase only.\n\nmake it loud</user><assistant>");
  // Empty (after trimming) and identical-to-the-prompt paraphrases are dropped.
  EXPECT_EQ(paraphrase_drop_reason(" \n\t", "make it loud"), "empty");
  EXPECT_EQ(paraphrase_drop_reason("  make it loud\n", "make it loud "), "same as the prompt");
  EXPECT_EQ(paraphrase_drop_reason("Make it loud", "make it loud"), "");
  EXPECT_EQ(paraphrase_drop_reason("shout it", "make it loud"), "");
}
