// The backtracking VM that runs a compiled Regex. Frames live on a per-thread
// stack that is reused across calls, so matching allocates nothing in steady state.
#include <unicode/uchar.h>

#include <vector>

#include "base/utf8.hpp"
#include "tokenizer/regex.hpp"
#include "tokenizer/unicode.hpp"

namespace wizard::tokenizer {
namespace {

using Op = RegexInstruction::Op;

struct Frame {
  enum Kind : std::uint32_t { Resume, GiveBack, TakeMore };
  std::uint32_t pc;
  std::uint32_t pos;
  std::uint32_t aux;  // GiveBack: position after the minimum count; TakeMore: count so far
  Kind kind;
};

bool is_word_char(char32_t cp) {
  if (cp < 128) return cp == '_' || is_alphanumeric(cp);
  return (general_category_mask(cp) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) !=
         0;
}

// A grow-only stack: push/pop are a bounds check and a store.
class FrameStack {
 public:
  std::size_t size() const { return size_; }
  void push_back(const Frame& frame) {
    if (size_ == frames_.size()) frames_.resize(frames_.size() * 2 + 64);
    frames_[size_++] = frame;
  }
  Frame pop() { return frames_[--size_]; }
  void resize(std::size_t size) { size_ = size; }

 private:
  std::vector<Frame> frames_;
  std::size_t size_ = 0;
};

class Matcher {
 public:
  Matcher(const RegexProgram& program, std::string_view text, FrameStack& stack)
      : code_(program.code), program_(program), text_(text), stack_(stack) {}

  // End of the first branch of the linear form that matches at `pos`, or -1.
  long run_linear(std::size_t pos) const {
    if (pos >= text_.size()) {
      for (const LinearBranch& branch : program_.linear)
        if (branch.first.nullable)
          if (const long end = match_atoms(branch, 0, pos); end >= 0) return end;
      return -1;
    }
    const auto lead = static_cast<unsigned char>(text_[pos]);
    for (const std::uint16_t index : program_.linear_candidates[lead < 128 ? lead : 128])
      if (const long end = match_atoms(program_.linear[index], 0, pos); end >= 0) return end;
    return -1;
  }

  // End of the match of the sub-program starting at `pc` anchored at `pos`, or -1.
  long run(std::uint32_t pc, std::size_t pos) {
    const std::size_t base = stack_.size();
    for (;;) {
      const RegexInstruction& in = code_[pc];
      switch (in.op) {
        case Op::Char:
        case Op::CharFold:
        case Op::Class:
        case Op::AnyButNewline:
        case Op::Any: {
          const std::uint32_t length = match_one(in, pos);
          if (!length) goto fail;
          pos += length;
          ++pc;
          continue;
        }
        case Op::Split:
          if (pos < text_.size() && in.c != RegexInstruction::kNone &&
              !program_.first_sets[in.c].admits(static_cast<unsigned char>(text_[pos]))) {
            pc = in.b;  // the preferred branch cannot start here
            continue;
          }
          if (pos >= text_.size() && in.c != RegexInstruction::kNone) {
            pc = in.b;
            continue;
          }
          stack_.push_back({in.b, static_cast<std::uint32_t>(pos), 0, Frame::Resume});
          pc = in.a;
          continue;
        case Op::Jump:
          pc = in.a;
          continue;
        case Op::Repeat: {
          const RegexInstruction& one = code_[pc + 1];
          std::uint32_t count = 0;
          std::size_t min_end = pos;
          if (!in.greedy) {
            for (; count < in.b; ++count) {
              const std::uint32_t length = match_one(one, pos);
              if (!length) goto fail;
              pos += length;
            }
            if (count < in.c)
              stack_.push_back({pc, static_cast<std::uint32_t>(pos), count, Frame::TakeMore});
            pc += 2;
            continue;
          }
          if (one.op == Op::Class) {
            // The hot loop of \p{L}+ and friends: ASCII straight from the class table.
            const CharClass& cls = program_.classes[one.a];
            while (count < in.c && pos < text_.size()) {
              const auto lead = static_cast<unsigned char>(text_[pos]);
              if (lead < 0x80) {
                if (!cls.matches(lead)) break;
                ++pos;
              } else {
                const utf8::CodePoint cp = utf8::decode(text_, pos);
                if (!cls.matches(cp.value)) break;
                pos += cp.length;
              }
              if (++count == in.b) min_end = pos;
            }
          } else {
            while (count < in.c) {
              const std::uint32_t length = match_one(one, pos);
              if (!length) break;
              pos += length;
              if (++count == in.b) min_end = pos;
            }
          }
          if (count < in.b) goto fail;
          if (count > in.b)
            stack_.push_back({pc + 2, static_cast<std::uint32_t>(pos),
                              static_cast<std::uint32_t>(min_end), Frame::GiveBack});
          pc += 2;
          continue;
        }
        case Op::Assert:
          if (!check(static_cast<RegexInstruction::Assertion>(in.kind), pos)) goto fail;
          ++pc;
          continue;
        case Op::Look: {
          bool found = false;
          if (!in.behind) {
            found = run(pc + 1, pos) >= 0;
          } else {
            std::size_t start = pos;
            std::uint32_t stepped = 0;
            for (; stepped < in.b && start > 0; ++stepped)
              start = utf8::previous_boundary(text_, start);
            found = stepped == in.b && run(pc + 1, start) == static_cast<long>(pos);
          }
          if (found == in.negate) goto fail;
          pc = in.c;
          continue;
        }
        case Op::Atomic: {
          const long end = run(pc + 1, pos);
          if (end < 0) goto fail;
          pos = static_cast<std::size_t>(end);
          pc = in.c;
          continue;
        }
        case Op::Match:
          stack_.resize(base);
          return static_cast<long>(pos);
      }
    fail:
      if (!backtrack(base, pc, pos)) return -1;
    }
  }

 private:
  // Atoms from `index` on at `pos`: each greedy atom takes as much as it can and
  // gives back one character at a time, exactly as the VM would backtrack.
  long match_atoms(const LinearBranch& branch, std::size_t index, std::size_t pos) const {
    if (index == branch.atoms.size()) {
      if (branch.has_look_ahead &&
          (match_one(branch.look_ahead, pos) != 0) == branch.look_ahead_negated)
        return -1;
      return static_cast<long>(pos);
    }
    const LinearAtom& atom = branch.atoms[index];
    std::uint32_t count = 0;
    std::size_t end = pos;
    while (count < atom.max && end < text_.size()) {
      const auto lead = static_cast<unsigned char>(text_[end]);
      if (lead < 0x80) {
        if (!atom.ascii[lead]) break;
        ++end;
      } else {
        const std::uint32_t length = match_one(atom.matcher, end);
        if (!length) break;
        end += length;
      }
      ++count;
    }
    if (count < atom.min) return -1;
    for (;;) {
      const long result = index + 1 == branch.atoms.size() && !branch.has_look_ahead
                              ? static_cast<long>(end)
                              : match_atoms(branch, index + 1, end);
      if (result >= 0 || count == atom.min) return result;
      end = utf8::previous_boundary(text_, end);
      --count;
    }
  }

  // Pops frames until one yields a state to resume from; false when none is left.
  bool backtrack(std::size_t base, std::uint32_t& pc, std::size_t& pos) {
    while (stack_.size() > base) {
      const Frame frame = stack_.pop();
      switch (frame.kind) {
        case Frame::Resume:
          pc = frame.pc;
          pos = frame.pos;
          return true;
        case Frame::GiveBack: {
          const std::size_t shorter = utf8::previous_boundary(text_, frame.pos);
          if (shorter > frame.aux)
            stack_.push_back(
                {frame.pc, static_cast<std::uint32_t>(shorter), frame.aux, Frame::GiveBack});
          pc = frame.pc;
          pos = shorter;
          return true;
        }
        case Frame::TakeMore: {
          const RegexInstruction& repeat = code_[frame.pc];
          const std::uint32_t length = match_one(code_[frame.pc + 1], frame.pos);
          if (!length) break;
          const std::uint32_t count = frame.aux + 1;
          if (count < repeat.c)
            stack_.push_back({frame.pc, frame.pos + length, count, Frame::TakeMore});
          pc = frame.pc + 2;
          pos = frame.pos + length;
          return true;
        }
      }
    }
    return false;
  }

  // Bytes consumed by a single-character instruction at pos, 0 if it does not match.
  std::uint32_t match_one(const RegexInstruction& in, std::size_t pos) const {
    if (pos >= text_.size()) return 0;
    const unsigned char lead = static_cast<unsigned char>(text_[pos]);
    if (lead < 0x80 && in.op == Op::Class) return program_.classes[in.a].matches(lead) ? 1 : 0;
    const utf8::CodePoint cp =
        lead < 0x80 ? utf8::CodePoint{lead, 1, true} : utf8::decode(text_, pos);
    bool hit = false;
    switch (in.op) {
      case Op::Char:
        hit = cp.value == in.a;
        break;
      case Op::CharFold:
        hit = fold_case(cp.value) == in.a;
        break;
      case Op::Class:
        hit = program_.classes[in.a].matches(cp.value);
        break;
      case Op::AnyButNewline:
        hit = cp.value != '\n';
        break;
      case Op::Any:
        hit = true;
        break;
      default:
        break;
    }
    return hit ? cp.length : 0;
  }

  bool check(RegexInstruction::Assertion kind, std::size_t pos) const {
    switch (kind) {
      case RegexInstruction::LineStart:
        return pos == 0 || text_[pos - 1] == '\n';
      case RegexInstruction::LineEnd:
        return pos == text_.size() || text_[pos] == '\n';
      case RegexInstruction::TextStart:
        return pos == 0;
      case RegexInstruction::TextEnd:
        return pos == text_.size();
      case RegexInstruction::TextEndNewline:
        return pos == text_.size() || (pos + 1 == text_.size() && text_[pos] == '\n');
      case RegexInstruction::WordBoundary:
      case RegexInstruction::NotWordBoundary: {
        const bool before =
            pos > 0 && is_word_char(utf8::decode(text_, utf8::previous_boundary(text_, pos)).value);
        const bool after = pos < text_.size() && is_word_char(utf8::decode(text_, pos).value);
        return (before != after) == (kind == RegexInstruction::WordBoundary);
      }
    }
    return false;
  }

  const std::vector<RegexInstruction>& code_;
  const RegexProgram& program_;
  std::string_view text_;
  FrameStack& stack_;
};

}  // namespace

bool Regex::find(std::string_view text, std::size_t from, std::size_t& begin,
                 std::size_t& end) const {
  thread_local FrameStack stack;
  const RegexProgram& program = *program_;
  Matcher matcher(program, text, stack);
  for (std::size_t start = from; start <= text.size();) {
    const bool possible = start < text.size()
                              ? program.first.admits(static_cast<unsigned char>(text[start]))
                              : program.first.nullable;
    if (possible) {
      const long match_end =
          program.linear.empty() ? matcher.run(0, start) : matcher.run_linear(start);
      if (match_end >= 0) {
        begin = start;
        end = static_cast<std::size_t>(match_end);
        return true;
      }
    }
    if (start == text.size()) break;
    ++start;
    while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  }
  return false;
}

}  // namespace wizard::tokenizer
