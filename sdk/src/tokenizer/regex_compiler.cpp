// Parses an Oniguruma (Ruby syntax) pattern into a small AST and compiles it
// into the backtracking program that regex_matcher.cpp runs.
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "base/utf8.hpp"
#include "tokenizer/regex.hpp"
#include "tokenizer/unicode.hpp"
#include "wizard/base/error.hpp"

namespace wizard::tokenizer {
namespace {

using Op = RegexInstruction::Op;

struct Node {
  enum class Kind { Empty, Char, Class, Dot, Concat, Alternation, Repeat, Look, Atomic, Assert };
  Kind kind = Kind::Empty;
  char32_t cp = 0;
  bool fold = false;        // Char under (?i)
  bool dot_all = false;     // Dot under (?m) (Ruby's dot-matches-newline)
  std::uint32_t index = 0;  // Class: class index; Assert: assertion kind
  std::uint32_t min = 1, max = 1;
  bool greedy = true, possessive = false;
  bool negate = false, behind = false;
  std::vector<Node> children;
};

constexpr std::uint32_t kUnbounded = 0xFFFFFFFFu;
constexpr std::size_t kMaxProgramSize = 200000;

struct Flags {
  bool ignore_case = false;
  bool dot_all = false;
};

class Parser {
 public:
  Parser(std::string_view pattern, RegexProgram& program) : pattern_(pattern), program_(program) {}

  Node parse() {
    Flags flags;
    Node root = parse_alternation(flags);
    if (pos_ < pattern_.size()) fail("unbalanced ')'");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("regex '" + std::string(pattern_) + "': " + what + " at offset " +
                std::to_string(pos_) +
                "; this construct is not supported by wizard's tokenizer regex engine");
  }
  bool at_end() const { return pos_ >= pattern_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < pattern_.size() ? pattern_[pos_ + ahead] : '\0';
  }
  char32_t next_code_point() {
    const utf8::CodePoint cp = utf8::decode(pattern_, pos_);
    pos_ += cp.length;
    return cp.value;
  }

  Node parse_alternation(Flags& flags) {
    Node alternation;
    alternation.kind = Node::Kind::Alternation;
    alternation.children.push_back(parse_concat(flags));
    while (peek() == '|') {
      ++pos_;
      alternation.children.push_back(parse_concat(flags));
    }
    if (alternation.children.size() == 1) return std::move(alternation.children.front());
    return alternation;
  }

  Node parse_concat(Flags& flags) {
    Node concat;
    concat.kind = Node::Kind::Concat;
    while (!at_end() && peek() != '|' && peek() != ')') {
      if (peek() == '(' && peek(1) == '?' && parse_inline_flags(flags)) continue;
      Node atom = parse_atom(flags);
      parse_quantifier(atom);
      concat.children.push_back(std::move(atom));
    }
    if (concat.children.size() == 1) return std::move(concat.children.front());
    return concat;
  }

  // One letter of a flag group: '-' turns the following flags off; false if unsupported.
  static bool apply_flag(char letter, bool& on, Flags& flags) {
    if (letter == '-')
      on = false;
    else if (letter == 'i')
      flags.ignore_case = on;
    else if (letter == 'm')
      flags.dot_all = on;
    else
      return false;
    return true;
  }

  // (?i) (?-i) (?m) ...: flags that apply to the rest of the enclosing group.
  bool parse_inline_flags(Flags& flags) {
    std::size_t scan = pos_ + 2;
    Flags updated = flags;
    bool on = true;
    while (scan < pattern_.size()) {
      const char c = pattern_[scan];
      if (c == ')') {
        if (scan == pos_ + 2) return false;
        flags = updated;
        pos_ = scan + 1;
        return true;
      }
      if (!apply_flag(c, on, updated)) return false;
      ++scan;
    }
    return false;
  }

  Node parse_atom(Flags& flags) {
    const char c = peek();
    if (c == '(') return parse_group(flags);
    if (c == '[') return parse_class(flags);
    if (c == '.') {
      ++pos_;
      Node dot;
      dot.kind = Node::Kind::Dot;
      dot.dot_all = flags.dot_all;
      return dot;
    }
    if (c == '^' || c == '$') {
      ++pos_;
      return assertion(c == '^' ? RegexInstruction::LineStart : RegexInstruction::LineEnd);
    }
    if (c == '*' || c == '+' || c == '?') fail("quantifier without a target");
    if (c == '\\') return parse_escape(flags);
    return literal(next_code_point(), flags);
  }

  static Node assertion(std::uint32_t kind) {
    Node node;
    node.kind = Node::Kind::Assert;
    node.index = kind;
    return node;
  }

  Node literal(char32_t cp, const Flags& flags) {
    Node node;
    node.kind = Node::Kind::Char;
    node.cp = cp;
    if (flags.ignore_case) {
      const auto c = static_cast<UChar32>(cp);
      if (u_toupper(c) != c || u_tolower(c) != c || fold_case(cp) != cp) {
        node.fold = true;
        node.cp = fold_case(cp);
      }
    }
    return node;
  }

  Node class_node(CharClass cls) {
    cls.finalize();
    program_.classes.push_back(std::move(cls));
    Node node;
    node.kind = Node::Kind::Class;
    node.index = static_cast<std::uint32_t>(program_.classes.size() - 1);
    return node;
  }

  Node parse_group(Flags flags) {
    ++pos_;  // '('
    Node group;
    Node* target = nullptr;  // where the body goes, if it is wrapped
    if (peek() == '?') {
      ++pos_;
      const char kind = peek();
      if (kind == ':') {
        ++pos_;
      } else if (kind == '=' || kind == '!') {
        ++pos_;
        group.kind = Node::Kind::Look;
        group.negate = kind == '!';
      } else if (kind == '<' && (peek(1) == '=' || peek(1) == '!')) {
        group.kind = Node::Kind::Look;
        group.behind = true;
        group.negate = peek(1) == '!';
        pos_ += 2;
      } else if (kind == '>') {
        ++pos_;
        group.kind = Node::Kind::Atomic;
      } else if (kind == '<' || kind == 'P') {
        // Named capture: captures are not needed, only the match extent.
        const std::size_t close = pattern_.find('>', pos_);
        if (close == std::string_view::npos) fail("unterminated group name");
        pos_ = close + 1;
      } else {
        // Scoped flags (?i:...) / (?-i:...).
        bool on = true;
        while (!at_end() && peek() != ':') {
          const char f = peek();
          if (!apply_flag(f, on, flags)) fail(std::string("group syntax '(?") + f + "'");
          ++pos_;
        }
        if (at_end()) fail("unterminated group");
        ++pos_;
      }
      if (group.kind != Node::Kind::Empty) target = &group;
    }
    Node body = parse_alternation(flags);
    if (peek() != ')') fail("missing ')'");
    ++pos_;
    if (!target) return body;
    target->children.push_back(std::move(body));
    return group;
  }

  void parse_quantifier(Node& atom) {
    std::uint32_t min = 0, max = 0;
    const char c = peek();
    if (c == '*') {
      min = 0, max = kUnbounded, ++pos_;
    } else if (c == '+') {
      min = 1, max = kUnbounded, ++pos_;
    } else if (c == '?') {
      min = 0, max = 1, ++pos_;
    } else if (c == '{' && parse_braces(min, max)) {
    } else {
      return;
    }
    if (atom.kind == Node::Kind::Assert || atom.kind == Node::Kind::Look)
      fail("quantifier on an assertion");
    Node repeat;
    repeat.kind = Node::Kind::Repeat;
    repeat.min = min;
    repeat.max = max;
    if (peek() == '?') {
      repeat.greedy = false;
      ++pos_;
    } else if (peek() == '+') {
      repeat.possessive = true;
      ++pos_;
    }
    repeat.children.push_back(std::move(atom));
    atom = std::move(repeat);
    if (peek() == '*' || peek() == '+' || peek() == '?') parse_quantifier(atom);
  }

  // {n} {n,} {n,m} {,m}; anything else is a literal '{' (as in Oniguruma).
  bool parse_braces(std::uint32_t& min, std::uint32_t& max) {
    const std::size_t close = pattern_.find('}', pos_);
    if (close == std::string_view::npos) return false;
    const std::string_view body = pattern_.substr(pos_ + 1, close - pos_ - 1);
    const std::size_t comma = body.find(',');
    const auto number = [](std::string_view digits, std::uint32_t& out) {
      if (digits.empty() || digits.size() > 6) return false;
      out = 0;
      for (const char d : digits) {
        if (d < '0' || d > '9') return false;
        out = out * 10 + static_cast<std::uint32_t>(d - '0');
      }
      return true;
    };
    if (comma == std::string_view::npos) {
      if (!number(body, min)) return false;
      max = min;
    } else {
      const std::string_view low = body.substr(0, comma), high = body.substr(comma + 1);
      if (low.empty() && high.empty()) return false;
      if (low.empty())
        min = 0;
      else if (!number(low, min))
        return false;
      if (high.empty())
        max = kUnbounded;
      else if (!number(high, max))
        return false;
      if (max < min) fail("quantifier {n,m} with m < n");
    }
    pos_ = close + 1;
    return true;
  }

  std::uint32_t parse_hex(std::size_t digits_max, bool braced) {
    std::uint32_t value = 0;
    std::size_t count = 0;
    while (!at_end() && count < digits_max && std::isxdigit(static_cast<unsigned char>(peek()))) {
      const char d = peek();
      value = value * 16 + static_cast<std::uint32_t>(d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
      ++pos_, ++count;
    }
    if (count == 0) fail("bad hex escape");
    if (braced) {
      if (peek() != '}') fail("unterminated \\x{...}");
      ++pos_;
    }
    return value;
  }

  // A \p{Name}: general category, script or binary property, via ICU's loose name matching.
  void add_property(CharClass& cls, bool negated) {
    bool braced = peek() == '{';
    std::string name;
    if (braced) {
      const std::size_t close = pattern_.find('}', pos_);
      if (close == std::string_view::npos) fail("unterminated \\p{...}");
      name = std::string(pattern_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
    } else {
      name = std::string(1, peek());  // \pL
      ++pos_;
    }
    if (!name.empty() && name[0] == '^') {
      negated = !negated;
      name.erase(0, 1);
    }
    if (name == "Any") {
      cls.add(CharClass::ItemKind::Range, negated, 0, 0x10FFFF);
      return;
    }
    const int32_t category = u_getPropertyValueEnum(UCHAR_GENERAL_CATEGORY_MASK, name.c_str());
    if (category != UCHAR_INVALID_CODE) {
      cls.add(CharClass::ItemKind::Category, negated, static_cast<std::uint32_t>(category));
      return;
    }
    const int32_t script = u_getPropertyValueEnum(UCHAR_SCRIPT, name.c_str());
    if (script != UCHAR_INVALID_CODE) {
      cls.add(CharClass::ItemKind::Script, negated, static_cast<std::uint32_t>(script));
      return;
    }
    const UProperty property = u_getPropertyEnum(name.c_str());
    if (property >= UCHAR_BINARY_START && property < UCHAR_BINARY_LIMIT) {
      cls.add(CharClass::ItemKind::BinaryProperty, negated, static_cast<std::uint32_t>(property));
      return;
    }
    fail("unknown property \\p{" + name + "}");
  }

  // Escapes that stand for a set of characters (upper case negates); false if `e` is not one.
  bool add_class_escape(char e, CharClass& cls) {
    using K = CharClass::ItemKind;
    static const std::pair<char, K> kinds[] = {
        {'s', K::Space}, {'d', K::Digit}, {'w', K::Word}, {'h', K::HexDigit}};
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(e)));
    const bool negated = e != lower;
    if (lower == 'p') {
      add_property(cls, negated);
      return true;
    }
    for (const auto& [letter, kind] : kinds)
      if (letter == lower) {
        cls.add(kind, negated);
        return true;
      }
    return false;
  }

  // Escapes that stand for one character (after the backslash has been consumed).
  char32_t escaped_char(char e) {
    switch (e) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'a':
        return '\a';
      case 'e':
        return 0x1B;
      case '0':
        return 0;
      case 'x':
        if (peek() == '{') {
          ++pos_;
          return parse_hex(8, true);
        }
        return parse_hex(2, false);
      case 'u':
        return parse_hex(4, false);
      default:
        if (std::isalnum(static_cast<unsigned char>(e))) fail(std::string("escape '\\") + e + "'");
        return static_cast<unsigned char>(e);
    }
  }

  Node parse_escape(const Flags& flags) {
    ++pos_;  // backslash
    if (at_end()) fail("trailing backslash");
    const char e = peek();
    if (static_cast<unsigned char>(e) >= 0x80) return literal(next_code_point(), flags);
    ++pos_;
    switch (e) {
      case 'A':
        return assertion(RegexInstruction::TextStart);
      case 'z':
        return assertion(RegexInstruction::TextEnd);
      case 'Z':
        return assertion(RegexInstruction::TextEndNewline);
      case 'b':
        return assertion(RegexInstruction::WordBoundary);
      case 'B':
        return assertion(RegexInstruction::NotWordBoundary);
      default:
        break;
    }
    CharClass cls;
    if (add_class_escape(e, cls)) {
      cls.set_case_insensitive(flags.ignore_case);
      return class_node(std::move(cls));
    }
    return literal(escaped_char(e), flags);
  }

  Node parse_class(const Flags& flags) {
    ++pos_;  // '['
    CharClass cls;
    if (peek() == '^') {
      cls.set_negated(true);
      ++pos_;
    }
    bool first = true;
    while (true) {
      if (at_end()) fail("unterminated character class");
      const char c = peek();
      if (c == ']' && !first) break;
      first = false;
      if (c == '[') fail("nested character class");
      if (c == '&' && peek(1) == '&') fail("character class intersection");
      char32_t lo = 0;
      if (c == '\\') {
        ++pos_;
        if (at_end()) fail("trailing backslash");
        const char e = peek();
        ++pos_;
        if (add_class_escape(e, cls)) continue;
        lo = e == 'b' ? char32_t{'\b'} : escaped_char(e);
      } else {
        lo = next_code_point();
      }
      char32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < pattern_.size()) {
        ++pos_;
        if (peek() == '\\') {
          ++pos_;
          const char e = peek();
          ++pos_;
          hi = escaped_char(e);
        } else {
          hi = next_code_point();
        }
        if (hi < lo) fail("character range out of order");
      }
      cls.add_range(lo, hi);
    }
    ++pos_;  // ']'
    cls.set_case_insensitive(flags.ignore_case);
    return class_node(std::move(cls));
  }

  std::string_view pattern_;
  RegexProgram& program_;
  std::size_t pos_ = 0;
};

// ---- analysis ----

FirstSet first_set(const Node& node, const RegexProgram& program) {
  FirstSet set;
  switch (node.kind) {
    case Node::Kind::Empty:
    case Node::Kind::Look:
    case Node::Kind::Assert:
      set.nullable = true;
      break;
    case Node::Kind::Char:
      if (node.cp < 128) {
        set.ascii[node.cp] = true;
        if (node.fold && node.cp >= 'a' && node.cp <= 'z') set.ascii[node.cp - 32] = true;
      }
      // Non-ASCII letters, and ASCII ones whose case variants are not ASCII (k/K, s/ſ).
      set.non_ascii = node.cp >= 128 || node.fold;
      break;
    case Node::Kind::Class:
      for (char32_t c = 0; c < 128; ++c) set.ascii[c] = program.classes[node.index].matches(c);
      set.non_ascii = true;
      break;
    case Node::Kind::Dot:
      set.ascii.fill(true);
      if (!node.dot_all) set.ascii['\n'] = false;
      set.non_ascii = true;
      break;
    case Node::Kind::Concat:
      set.nullable = true;
      for (const Node& child : node.children) {
        const FirstSet sub = first_set(child, program);
        for (std::size_t i = 0; i < 128; ++i) set.ascii[i] = set.ascii[i] || sub.ascii[i];
        set.non_ascii = set.non_ascii || sub.non_ascii;
        if (!sub.nullable) {
          set.nullable = false;
          break;
        }
      }
      break;
    case Node::Kind::Alternation:
      for (const Node& child : node.children) {
        const FirstSet sub = first_set(child, program);
        for (std::size_t i = 0; i < 128; ++i) set.ascii[i] = set.ascii[i] || sub.ascii[i];
        set.non_ascii = set.non_ascii || sub.non_ascii;
        set.nullable = set.nullable || sub.nullable;
      }
      break;
    case Node::Kind::Repeat:
    case Node::Kind::Atomic:
      set = first_set(node.children.front(), program);
      if (node.kind == Node::Kind::Repeat && node.min == 0) set.nullable = true;
      break;
  }
  return set;
}

// Width in characters when every match has the same width (look-behind needs it).
std::optional<std::uint32_t> fixed_width(const Node& node) {
  switch (node.kind) {
    case Node::Kind::Empty:
    case Node::Kind::Look:
    case Node::Kind::Assert:
      return 0;
    case Node::Kind::Char:
    case Node::Kind::Class:
    case Node::Kind::Dot:
      return 1;
    case Node::Kind::Concat: {
      std::uint32_t total = 0;
      for (const Node& child : node.children) {
        const auto w = fixed_width(child);
        if (!w) return std::nullopt;
        total += *w;
      }
      return total;
    }
    case Node::Kind::Alternation: {
      std::optional<std::uint32_t> width;
      for (const Node& child : node.children) {
        const auto w = fixed_width(child);
        if (!w || (width && *width != *w)) return std::nullopt;
        width = w;
      }
      return width;
    }
    case Node::Kind::Repeat: {
      if (node.min != node.max) return std::nullopt;
      const auto w = fixed_width(node.children.front());
      if (!w) return std::nullopt;
      return *w * node.min;
    }
    case Node::Kind::Atomic:
      return fixed_width(node.children.front());
  }
  return std::nullopt;
}

RegexInstruction single_char_instruction(const Node& node) {
  if (node.kind == Node::Kind::Char) {
    RegexInstruction in{node.fold ? Op::CharFold : Op::Char};
    in.a = node.cp;
    return in;
  }
  if (node.kind == Node::Kind::Class) {
    RegexInstruction in{Op::Class};
    in.a = node.index;
    return in;
  }
  return RegexInstruction{node.dot_all ? Op::Any : Op::AnyButNewline};
}

bool is_single_char(const Node& node) {
  return node.kind == Node::Kind::Char || node.kind == Node::Kind::Class ||
         node.kind == Node::Kind::Dot;
}

// ---- code generation ----

class Compiler {
 public:
  Compiler(RegexProgram& program, std::string_view pattern)
      : program_(program), pattern_(pattern) {}

  void emit(const Node& node) {
    if (program_.code.size() > kMaxProgramSize)
      throw Error("regex '" + std::string(pattern_) +
                  "': the compiled program is too large (huge counted repetition)");
    switch (node.kind) {
      case Node::Kind::Empty:
        break;
      case Node::Kind::Char:
      case Node::Kind::Class:
      case Node::Kind::Dot:
        program_.code.push_back(single_char_instruction(node));
        break;
      case Node::Kind::Concat:
        for (const Node& child : node.children) emit(child);
        break;
      case Node::Kind::Alternation:
        emit_alternation(node);
        break;
      case Node::Kind::Repeat:
        emit_repeat(node);
        break;
      case Node::Kind::Assert: {
        RegexInstruction in{Op::Assert};
        in.kind = static_cast<std::uint8_t>(node.index);
        program_.code.push_back(in);
        break;
      }
      case Node::Kind::Look:
      case Node::Kind::Atomic:
        emit_sub_program(node);
        break;
    }
  }

 private:
  std::size_t here() const { return program_.code.size(); }

  std::uint32_t add_first_set(const Node& node) {
    const FirstSet set = first_set(node, program_);
    if (set.nullable) return RegexInstruction::kNone;
    program_.first_sets.push_back(set);
    return static_cast<std::uint32_t>(program_.first_sets.size() - 1);
  }

  void emit_alternation(const Node& node) {
    std::vector<std::size_t> exits;
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      const bool last = i + 1 == node.children.size();
      std::size_t split = 0;
      if (!last) {
        split = here();
        RegexInstruction in{Op::Split};
        in.a = static_cast<std::uint32_t>(split + 1);
        in.c = add_first_set(node.children[i]);
        program_.code.push_back(in);
      }
      emit(node.children[i]);
      if (!last) {
        exits.push_back(here());
        program_.code.push_back(RegexInstruction{Op::Jump});
        program_.code[split].b = static_cast<std::uint32_t>(here());
      }
    }
    for (const std::size_t exit : exits) program_.code[exit].a = static_cast<std::uint32_t>(here());
  }

  void emit_repeat(const Node& node) {
    const Node& child = node.children.front();
    if (node.possessive) {
      Node greedy = node;
      greedy.possessive = false;
      Node atomic;
      atomic.kind = Node::Kind::Atomic;
      atomic.children.push_back(std::move(greedy));
      emit_sub_program(atomic);
      return;
    }
    if (is_single_char(child)) {
      RegexInstruction in{Op::Repeat};
      in.greedy = node.greedy;
      in.b = node.min;
      in.c = node.max;
      program_.code.push_back(in);
      program_.code.push_back(single_char_instruction(child));
      return;
    }
    for (std::uint32_t i = 0; i < node.min; ++i) emit(child);
    if (node.max == kUnbounded) {
      if (first_set(child, program_).nullable)
        throw Error("regex '" + std::string(pattern_) +
                    "': an unbounded repetition of a sub-pattern that can match empty is not "
                    "supported by wizard's tokenizer regex engine");
      const std::size_t loop = here();
      program_.code.push_back(RegexInstruction{Op::Split});
      emit(child);
      RegexInstruction back{Op::Jump};
      back.a = static_cast<std::uint32_t>(loop);
      program_.code.push_back(back);
      set_split(loop, node.greedy, here(), add_first_set(child));
      return;
    }
    std::vector<std::size_t> splits;
    for (std::uint32_t i = node.min; i < node.max; ++i) {
      splits.push_back(here());
      program_.code.push_back(RegexInstruction{Op::Split});
      emit(child);
    }
    const std::uint32_t first = add_first_set(child);
    for (const std::size_t split : splits) set_split(split, node.greedy, here(), first);
  }

  // A Split at `at` that either enters the body (at + 1) or leaves to `out`.
  void set_split(std::size_t at, bool greedy, std::size_t out, std::uint32_t first) {
    RegexInstruction& in = program_.code[at];
    const auto body = static_cast<std::uint32_t>(at + 1);
    in.a = greedy ? body : static_cast<std::uint32_t>(out);
    in.b = greedy ? static_cast<std::uint32_t>(out) : body;
    in.c = greedy ? first : RegexInstruction::kNone;
  }

  void emit_sub_program(const Node& node) {
    const Node& body = node.children.front();
    const std::size_t at = here();
    RegexInstruction in{node.kind == Node::Kind::Look ? Op::Look : Op::Atomic};
    in.negate = node.negate;
    in.behind = node.behind;
    if (node.behind) {
      const auto width = fixed_width(body);
      if (!width)
        throw Error("regex '" + std::string(pattern_) +
                    "': a look-behind whose width varies is not supported by wizard's tokenizer "
                    "regex engine");
      in.b = *width;
    }
    program_.code.push_back(in);
    emit(body);
    program_.code.push_back(RegexInstruction{Op::Match});
    program_.code[at].c = static_cast<std::uint32_t>(here());
  }

  RegexProgram& program_;
  std::string_view pattern_;
};

// ---- the linear fast form ----

// Appends `node` as atoms of `branch`; false if it is not a sequence of
// greedy single-character repeats (optionally ended by a one-character look-ahead).
bool append_linear(const Node& node, LinearBranch& branch) {
  if (branch.has_look_ahead) return false;  // the look-ahead must come last
  switch (node.kind) {
    case Node::Kind::Empty:
      return true;
    case Node::Kind::Char:
    case Node::Kind::Class:
    case Node::Kind::Dot:
      branch.atoms.push_back({single_char_instruction(node), 1, 1});
      return true;
    case Node::Kind::Repeat:
      if (!node.greedy || node.possessive || !is_single_char(node.children.front())) return false;
      branch.atoms.push_back({single_char_instruction(node.children.front()), node.min, node.max});
      return true;
    case Node::Kind::Concat:
      for (const Node& child : node.children)
        if (!append_linear(child, branch)) return false;
      return true;
    case Node::Kind::Look:
      if (node.behind || !is_single_char(node.children.front())) return false;
      branch.has_look_ahead = true;
      branch.look_ahead_negated = node.negate;
      branch.look_ahead = single_char_instruction(node.children.front());
      return true;
    default:
      return false;
  }
}

// The answers of a single-character instruction for ASCII, computed with the
// matcher's own rules so the table cannot disagree with it.
std::array<bool, 128> ascii_table(const RegexInstruction& in, const RegexProgram& program) {
  std::array<bool, 128> table{};
  for (char32_t c = 0; c < 128; ++c) {
    switch (in.op) {
      case Op::Char:
        table[c] = c == in.a;
        break;
      case Op::CharFold:
        table[c] = fold_case(c) == in.a;
        break;
      case Op::Class:
        table[c] = program.classes[in.a].matches(c);
        break;
      case Op::AnyButNewline:
        table[c] = c != '\n';
        break;
      default:
        table[c] = true;
        break;
    }
  }
  return table;
}

// Top-level alternatives, with nested alternations flattened: (A|B)|C matches as A|B|C.
void collect_branches(const Node& node, std::vector<const Node*>& out) {
  if (node.kind == Node::Kind::Alternation)
    for (const Node& child : node.children) collect_branches(child, out);
  else
    out.push_back(&node);
}

std::vector<LinearBranch> linear_form(const Node& root, const RegexProgram& program) {
  std::vector<const Node*> nodes;
  collect_branches(root, nodes);
  std::vector<LinearBranch> branches;
  for (const Node* node : nodes) {
    LinearBranch branch;
    if (!append_linear(*node, branch) || branch.atoms.empty()) return {};
    branch.first = first_set(*node, program);
    branches.push_back(std::move(branch));
  }
  return branches;
}

}  // namespace

Regex Regex::compile(std::string_view pattern, bool allow_linear) {
  auto program = std::make_shared<RegexProgram>();
  const Node root = Parser(pattern, *program).parse();
  Compiler(*program, pattern).emit(root);
  program->code.push_back(RegexInstruction{Op::Match});
  program->first = first_set(root, *program);
  if (allow_linear) program->linear = linear_form(root, *program);
  for (LinearBranch& branch : program->linear)
    for (LinearAtom& atom : branch.atoms) atom.ascii = ascii_table(atom.matcher, *program);
  for (std::size_t i = 0; i < program->linear.size() && program->linear.size() < 0xFFFF; ++i) {
    const FirstSet& first = program->linear[i].first;
    for (std::size_t lead = 0; lead < 128; ++lead)
      if (first.nullable || first.ascii[lead])
        program->linear_candidates[lead].push_back(static_cast<std::uint16_t>(i));
    if (first.nullable || first.non_ascii)
      program->linear_candidates[128].push_back(static_cast<std::uint16_t>(i));
  }
  Regex regex;
  regex.pattern_ = std::string(pattern);
  regex.program_ = std::move(program);
  return regex;
}

}  // namespace wizard::tokenizer
