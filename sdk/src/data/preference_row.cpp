#include "preference_row.hpp"

#include "wizard/base/error.hpp"

namespace wizard::data_detail {

namespace {

std::string kind_of(const Row& value) {
  if (is_conversational(value)) return "a list of messages";
  return std::string("a ") + value.type_name();
}

// An answer (or prompt) is a string or a non-empty list of {role, content} messages.
void check_text_or_messages(const Row& value, const std::string& column) {
  if (value.is_string() || is_conversational(value)) return;
  throw Error("column '" + column +
              "' must hold a string or a list of {role, content} messages, not " + kind_of(value));
}

void add_negatives(const Row& row, const std::string& column, NegativeSource source,
                   PreferenceRowParts& parts) {
  const auto it = row.find(column);
  if (it == row.end() || it->is_null()) return;
  if (!it->is_array()) {
    throw Error("column '" + column +
                "' must be a list of answers (strings, or lists of messages), not " + kind_of(*it));
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Row& answer = (*it)[i];
    check_text_or_messages(answer, column + "[" + std::to_string(i) + "]");
    parts.extra_negatives.emplace_back(answer, source);
  }
}

}  // namespace

PreferenceRowParts split_preference_row(const Row& row, const PreferenceColumns& columns) {
  if (!row.is_object()) throw Error("a preference row must be a JSON object");
  PreferenceRowParts parts;
  const auto chosen = row.find(columns.chosen);
  if (chosen == row.end()) {
    throw Error("the row has no '" + columns.chosen + "' column (the chosen answer; set " +
                "chosen_column if your data names it differently)");
  }
  check_text_or_messages(*chosen, columns.chosen);
  if (const auto prompt = row.find(columns.prompt); prompt != row.end() && !prompt->is_null()) {
    check_text_or_messages(*prompt, columns.prompt);
    parts.row["prompt"] = *prompt;
  }
  parts.row["chosen"] = *chosen;
  if (const auto rejected = row.find(columns.rejected);
      rejected != row.end() && !rejected->is_null()) {
    check_text_or_messages(*rejected, columns.rejected);
    parts.row["rejected"] = *rejected;
  }
  add_negatives(row, columns.negatives, NegativeSource::listed, parts);
  add_negatives(row, columns.hard_negatives, NegativeSource::hard, parts);
  if (!parts.row.contains("rejected") && parts.extra_negatives.empty()) {
    throw Error("the row has no negative answer: neither a '" + columns.rejected +
                "' column nor a non-empty '" + columns.negatives + "' or '" +
                columns.hard_negatives + "' list");
  }
  if (const auto system = row.find(columns.system); system != row.end() && !system->is_null()) {
    if (!system->is_string()) {
      throw Error("column '" + columns.system + "' must hold a string (a system message), not " +
                  kind_of(*system));
    }
    parts.system = system->get<std::string>();
  }
  return parts;
}

Row conversation_of_prompt(const Row& prompt, const std::string& system) {
  Row messages = Row::array();
  if (prompt.is_string()) {
    if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
    messages.push_back({{"role", "user"}, {"content", prompt}});
    return messages;
  }
  if (system.empty()) return prompt;
  if (!prompt.empty() && prompt[0].value("role", "") == "system") {
    throw Error(
        "the row has a system message in its system column and its prompt starts with "
        "one too; keep one of them");
  }
  messages.push_back({{"role", "system"}, {"content", system}});
  for (const auto& message : prompt) messages.push_back(message);
  return messages;
}

Row conversation_of_answer(const Row& answer) {
  if (!answer.is_string()) return answer;
  return Row::array({Row{{"role", "assistant"}, {"content", answer}}});
}

Row answer_after_prompt(const Row& answer, const Row& prompt, const std::string& what) {
  if (answer.is_string() && prompt.is_string()) {
    const std::string text = answer.get<std::string>();
    const std::string start = prompt.get<std::string>();
    if (text.compare(0, start.size(), start) == 0) return text.substr(start.size());
  } else if (answer.is_array() && prompt.is_array() && answer.size() >= prompt.size()) {
    bool starts_with_prompt = true;
    for (std::size_t i = 0; i < prompt.size() && starts_with_prompt; ++i) {
      starts_with_prompt = answer[i] == prompt[i];
    }
    if (starts_with_prompt)
      return Row(std::vector<Row>(answer.begin() + prompt.size(), answer.end()));
  }
  throw Error(what +
              " does not start with the prompt that chosen and rejected share (the row has no "
              "prompt column, so every answer must be written whole, prompt first); add a prompt "
              "column or fix the answer");
}

bool is_empty_answer(const Row& answer) {
  const auto blank = [](const Row& text) {
    if (!text.is_string()) return false;
    const std::string& s = text.get_ref<const std::string&>();
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
  };
  if (answer.is_string()) return blank(answer);
  if (!answer.is_array()) return false;
  for (const auto& message : answer) {
    const auto content = message.find("content");
    if (content == message.end() || !blank(*content)) return false;
  }
  return true;
}

}  // namespace wizard::data_detail
