#include "chat/jinja_parser.hpp"

#include <cerrno>
#include <cstdlib>
#include <initializer_list>
#include <limits>

#include "chat/jinja_builtins.hpp"
#include "chat/jinja_lexer.hpp"

namespace wizard::jinja {

namespace {

// Jinja tags wizard recognises but does not implement (template inheritance
// and imports need a loader, which chat templates never have).
constexpr std::string_view kUnsupportedTags[] = {"block",  "extends", "include",
                                                 "import", "from",    "autoescape"};

std::string describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::Text:
      return "template text";
    case TokenKind::VariableBegin:
      return "'{{'";
    case TokenKind::VariableEnd:
      return "'}}'";
    case TokenKind::BlockBegin:
      return "'{%'";
    case TokenKind::BlockEnd:
      return "'%}'";
    case TokenKind::End:
      return "end of template";
    case TokenKind::String:
      return "string literal";
    default:
      return "'" + token.text + "'";
  }
}

template <typename T, typename... Args>
std::unique_ptr<T> make(Args&&... args) {
  return std::make_unique<T>(std::forward<Args>(args)...);
}

Value parse_integer(const Token& token) {
  std::string digits;
  for (const char c : token.text) {
    if (c != '_') digits += c;
  }
  int base = 10;
  std::size_t start = 0;
  if (digits.size() > 2 && digits[0] == '0') {
    const char prefix = static_cast<char>(digits[1] | 0x20);
    base = prefix == 'x' ? 16 : prefix == 'o' ? 8 : prefix == 'b' ? 2 : 10;
    if (base != 10) start = 2;
  }
  errno = 0;
  const long long value = std::strtoll(digits.c_str() + start, nullptr, base);
  if (errno == ERANGE) {
    Fault fault("the integer literal " + token.text + " does not fit in 64 bits");
    fault.set_offset(token.offset);
    throw fault;
  }
  return Value::integer(value);
}

Value parse_float(const Token& token) {
  std::string digits;
  for (const char c : token.text) {
    if (c != '_') digits += c;
  }
  return Value::real(std::strtod(digits.c_str(), nullptr));
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Body parse_template() {
    Body body = parse_until({}, nullptr);
    return body;
  }

 private:
  // ---- token stream ----

  const Token& current() const { return tokens_[index_]; }
  const Token& peek(std::size_t ahead = 1) const {
    return tokens_[std::min(index_ + ahead, tokens_.size() - 1)];
  }
  const Token& advance() { return tokens_[index_ < tokens_.size() - 1 ? index_++ : index_]; }

  bool at_operator(std::string_view op) const {
    return current().kind == TokenKind::Operator && current().text == op;
  }
  bool at_name(std::string_view name) const {
    return current().kind == TokenKind::Name && current().text == name;
  }
  bool skip_operator(std::string_view op) {
    if (!at_operator(op)) return false;
    advance();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!at_name(name)) return false;
    advance();
    return true;
  }

  [[noreturn]] void fail_at(std::size_t offset, std::string message) const {
    Fault fault(std::move(message));
    fault.set_offset(offset);
    throw fault;
  }
  [[noreturn]] void fail_here(const std::string& expected) const {
    fail_at(current().offset, "expected " + expected + ", got " + describe(current()));
  }

  void expect_operator(std::string_view op) {
    if (!skip_operator(op)) fail_here("'" + std::string(op) + "'");
  }
  void expect(TokenKind kind, const char* what) {
    if (current().kind != kind) fail_here(what);
    advance();
  }
  const Token& expect_name() {
    if (current().kind != TokenKind::Name) fail_here("a name");
    return advance();
  }

  // ---- statements ----

  // Parses until a block tag whose name is one of `ends` (left as the current
  // token, its '{%' consumed) or, for the top level, the end of the template.
  Body parse_until(std::initializer_list<std::string_view> ends, const Token* opener) {
    // The open block, for messages about a stray or missing end tag.
    const OpenBlock saved = open_block_;
    if (opener) open_block_ = OpenBlock{opener, expected_names(ends)};
    Body body;
    while (true) {
      const Token& token = current();
      switch (token.kind) {
        case TokenKind::Text:
          body.push_back(make<TextStmt>(token.offset, token.text));
          advance();
          break;
        case TokenKind::VariableBegin: {
          advance();
          ExprPtr expr = parse_tuple(true, false, {});
          expect(TokenKind::VariableEnd, "'}}'");
          body.push_back(make<OutputStmt>(token.offset, std::move(expr)));
          break;
        }
        case TokenKind::BlockBegin: {
          advance();
          for (const std::string_view end : ends) {
            if (at_name(end)) {
              open_block_ = saved;
              return body;
            }
          }
          body.push_back(parse_statement(token.offset));
          expect(TokenKind::BlockEnd, "'%}'");
          break;
        }
        case TokenKind::End:
          if (opener) {
            fail_at(opener->offset, "unexpected end of template: the '" + opener->text +
                                        "' tag here was never closed (expected " +
                                        open_block_.expected + ")");
          }
          return body;
        default:
          fail_at(token.offset, "unexpected " + describe(token));
      }
    }
  }

  static std::string expected_names(std::initializer_list<std::string_view> ends) {
    std::string names;
    for (const std::string_view end : ends) {
      names += (names.empty() ? "'" : " or '") + std::string(end) + "'";
    }
    return names;
  }

  // `{% endfor %}` where no for is open, or `{% else %}` outside if/for.
  [[noreturn]] void fail_stray_end_tag(const Token& tag) const {
    std::string message = "unexpected '" + tag.text + "' tag: ";
    if (!open_block_.opener) {
      message += "there is no open block it could close";
    } else {
      message += "the innermost open block is '" + open_block_.opener->text + "', which expects " +
                 open_block_.expected;
    }
    fail_at(tag.offset, message);
  }

  // After `{% name ... %}` has been read up to its '%}': the body until one of `ends`.
  Body parse_block_body(std::initializer_list<std::string_view> ends, const Token& opener) {
    skip_operator(":");
    expect(TokenKind::BlockEnd, "'%}'");
    return parse_until(ends, &opener);
  }

  // Consumes the end tag's name (`endfor`); its '%}' is left for parse_until.
  void drop_end_name() { advance(); }

  StmtPtr parse_statement(std::size_t offset) {
    const Token& tag = current();
    if (tag.kind != TokenKind::Name)
      fail_at(tag.offset, "expected a tag name, got " + describe(tag));
    const std::string& name = tag.text;
    if (name == "if") return parse_if(offset);
    if (name == "for") return parse_for(offset);
    if (name == "set") return parse_set(offset);
    if (name == "macro") return parse_macro(offset);
    if (name == "call") return parse_call_block(offset);
    if (name == "filter") return parse_filter_block(offset);
    if (name == "with") return parse_with(offset);
    if (name == "print") {
      advance();
      return make<OutputStmt>(offset, parse_tuple(true, false, {}));
    }
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) fail_at(tag.offset, "'" + name + "' outside of a for loop");
      advance();
      return make<BlockStmt>(name == "break" ? StmtKind::Break : StmtKind::Continue, offset);
    }
    if (name == "generation") {
      const Token& opener = advance();
      auto node = make<BlockStmt>(StmtKind::Generation, offset);
      node->body = parse_block_body({"endgeneration"}, opener);
      drop_end_name();
      return node;
    }
    if (name.rfind("end", 0) == 0 || name == "else" || name == "elif") fail_stray_end_tag(tag);
    for (const std::string_view unsupported : kUnsupportedTags) {
      if (name == unsupported) {
        fail_at(tag.offset,
                "the tag '" + name + "' is not supported by wizard's chat template engine");
      }
    }
    fail_at(tag.offset, "unknown tag '" + name + "'");
  }

  StmtPtr parse_if(std::size_t offset) {
    const Token& opener = advance();
    auto node = make<IfStmt>(offset);
    while (true) {
      ExprPtr test = parse_tuple(false, false, {});
      Body body = parse_block_body({"elif", "else", "endif"}, opener);
      node->branches.emplace_back(std::move(test), std::move(body));
      const Token& end = advance();
      if (end.text == "elif") continue;
      if (end.text == "else") {
        node->otherwise = parse_block_body({"endif"}, opener);
        drop_end_name();
      }
      return node;
    }
  }

  StmtPtr parse_for(std::size_t offset) {
    const Token& opener = advance();
    auto node = make<ForStmt>(offset);
    node->target = parse_target({"in"});
    if (!skip_name("in")) fail_here("'in'");
    node->iterable = parse_tuple(false, false, {"recursive"});
    if (skip_name("if")) node->condition = parse_expression(true);
    if (at_name("recursive"))
      fail_at(current().offset,
              "recursive for loops are not supported by wizard's chat template engine");
    ++loop_depth_;
    node->body = parse_block_body({"endfor", "else"}, opener);
    --loop_depth_;
    if (advance().text == "else") {
      node->otherwise = parse_block_body({"endfor"}, opener);
      drop_end_name();
    }
    return node;
  }

  StmtPtr parse_set(std::size_t offset) {
    const Token& opener = advance();
    if (current().kind == TokenKind::Name && peek().kind == TokenKind::Operator &&
        peek().text == ".") {
      auto node = make<SetAttributeStmt>(offset);
      node->object = advance().text;
      advance();
      node->attribute = expect_name().text;
      expect_operator("=");
      node->value = parse_tuple(true, false, {});
      return node;
    }
    Target target = parse_target({});
    if (skip_operator("=")) {
      auto node = make<SetStmt>(offset);
      node->target = std::move(target);
      node->value = parse_tuple(true, false, {});
      return node;
    }
    auto node = make<SetBlockStmt>(offset);
    node->target = std::move(target);
    if (at_operator("|")) node->filter = parse_filters(nullptr, false);
    node->body = parse_block_body({"endset"}, opener);
    drop_end_name();
    return node;
  }

  StmtPtr parse_macro(std::size_t offset) {
    const Token& opener = advance();
    auto node = make<MacroStmt>(offset);
    node->name = expect_name().text;
    node->signature.params = parse_signature();
    node->body = parse_macro_body("endmacro", opener, node->signature);
    return node;
  }

  StmtPtr parse_call_block(std::size_t offset) {
    const Token& opener = advance();
    auto node = make<CallBlockStmt>(offset);
    if (at_operator("(")) node->signature.params = parse_signature();
    ExprPtr call = parse_expression(true);
    if (call->kind != ExprKind::Call) fail_at(call->offset, "expected a macro call after 'call'");
    node->call.reset(static_cast<CallExpr*>(call.release()));
    node->body = parse_macro_body("endcall", opener, node->signature);
    return node;
  }

  // A macro or call block body, noting which special names it mentions
  // (nested macros included, as Jinja counts them).
  Body parse_macro_body(std::string_view end, const Token& opener, Signature& signature) {
    const MentionedNames outer = mentioned_;
    mentioned_ = {};
    const int saved_depth = loop_depth_;
    loop_depth_ = 0;  // a macro body is not inside the caller's loop
    Body body = parse_block_body({end}, opener);
    loop_depth_ = saved_depth;
    drop_end_name();
    signature.varargs = mentioned_.varargs;
    signature.kwargs = mentioned_.kwargs;
    signature.caller = mentioned_.caller;
    mentioned_.varargs |= outer.varargs;
    mentioned_.kwargs |= outer.kwargs;
    mentioned_.caller |= outer.caller;
    return body;
  }

  StmtPtr parse_filter_block(std::size_t offset) {
    const Token& opener = advance();
    auto node = make<FilterBlockStmt>(offset);
    node->filter = parse_filters(nullptr, true);
    node->body = parse_block_body({"endfilter"}, opener);
    drop_end_name();
    return node;
  }

  StmtPtr parse_with(std::size_t offset) {
    const Token& opener = advance();
    auto node = make<WithStmt>(offset);
    while (current().kind != TokenKind::BlockEnd) {
      if (!node->assignments.empty()) expect_operator(",");
      Target target = parse_target({});
      expect_operator("=");
      node->assignments.emplace_back(std::move(target), parse_expression(true));
    }
    node->body = parse_block_body({"endwith"}, opener);
    drop_end_name();
    return node;
  }

  std::vector<Parameter> parse_signature() {
    std::vector<Parameter> params;
    expect_operator("(");
    while (!at_operator(")")) {
      if (!params.empty()) expect_operator(",");
      Parameter param;
      param.name = expect_name().text;
      if (skip_operator("=")) {
        param.default_value = parse_expression(true);
      } else if (!params.empty() && params.back().default_value) {
        fail_at(current().offset, "non-default argument follows default argument");
      }
      params.push_back(std::move(param));
    }
    expect_operator(")");
    return params;
  }

  // A name or a tuple of names, as after `for` or `set`.
  Target parse_target(std::initializer_list<std::string_view> extra_ends) {
    Target tuple;
    tuple.is_tuple = true;
    bool comma = false;
    while (true) {
      if (!tuple.items.empty()) expect_operator(",");
      if (is_tuple_end(extra_ends) || at_operator("=")) break;
      tuple.items.push_back(parse_target_item());
      if (!at_operator(",")) break;
      comma = true;
    }
    if (tuple.items.empty()) fail_here("a name to assign to");
    if (!comma) return std::move(tuple.items.front());
    return tuple;
  }

  Target parse_target_item() {
    if (skip_operator("(")) {
      Target inner = parse_target({});
      expect_operator(")");
      return inner;
    }
    const Token& token = current();
    if (token.kind != TokenKind::Name || is_constant_name(token.text)) {
      fail_at(token.offset, "cannot assign to " + describe(token));
    }
    advance();
    Target target;
    target.name = token.text;
    return target;
  }

  static bool is_constant_name(const std::string& name) {
    return name == "true" || name == "false" || name == "True" || name == "False" ||
           name == "none" || name == "None";
  }

  // ---- expressions ----

  bool is_tuple_end(std::initializer_list<std::string_view> extra_ends) const {
    const TokenKind kind = current().kind;
    if (kind == TokenKind::VariableEnd || kind == TokenKind::BlockEnd || at_operator(")"))
      return true;
    for (const std::string_view end : extra_ends) {
      if (at_name(end)) return true;
    }
    return false;
  }

  // Comma-separated expressions: one expression, or a tuple when a comma occurs.
  ExprPtr parse_tuple(bool with_condition, bool explicit_parentheses,
                      std::initializer_list<std::string_view> extra_ends) {
    const std::size_t offset = current().offset;
    auto tuple = make<SequenceExpr>(ExprKind::TupleLiteral, offset);
    bool is_tuple = false;
    while (true) {
      if (!tuple->items.empty()) expect_operator(",");
      if (is_tuple_end(extra_ends)) break;
      tuple->items.push_back(parse_expression(with_condition));
      if (!at_operator(",")) break;
      is_tuple = true;
    }
    if (!is_tuple) {
      if (!tuple->items.empty()) return std::move(tuple->items.front());
      if (!explicit_parentheses) fail_here("an expression");
    }
    return tuple;
  }

  ExprPtr parse_expression(bool with_condition) {
    return with_condition ? parse_condition() : parse_or();
  }

  ExprPtr parse_condition() {
    ExprPtr expr = parse_or();
    while (at_name("if")) {
      const std::size_t offset = advance().offset;
      auto node = make<ConditionExpr>(offset);
      node->then = std::move(expr);
      node->test = parse_or();
      if (skip_name("else")) node->otherwise = parse_condition();
      expr = std::move(node);
    }
    return expr;
  }

  ExprPtr parse_or() { return parse_logical(ExprKind::Or, "or", &Parser::parse_and); }
  ExprPtr parse_and() { return parse_logical(ExprKind::And, "and", &Parser::parse_not); }

  // Left-associative `a or b or c` / `a and b`.
  ExprPtr parse_logical(ExprKind kind, std::string_view keyword, ExprPtr (Parser::*operand)()) {
    ExprPtr left = (this->*operand)();
    while (at_name(keyword)) {
      const std::size_t offset = advance().offset;
      left = make<LogicalExpr>(kind, offset, std::move(left), (this->*operand)());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (at_name("not")) {
      const std::size_t offset = advance().offset;
      return make<UnaryExpr>(ExprKind::Not, offset, parse_not());
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const std::size_t offset = current().offset;
    ExprPtr first = parse_math1();
    std::unique_ptr<CompareExpr> node;
    while (true) {
      CompareOp op;
      const Token& token = current();
      if (token.kind == TokenKind::Operator && token.text == "==") {
        op = CompareOp::Equal;
      } else if (token.kind == TokenKind::Operator && token.text == "!=") {
        op = CompareOp::NotEqual;
      } else if (token.kind == TokenKind::Operator && token.text == "<") {
        op = CompareOp::Less;
      } else if (token.kind == TokenKind::Operator && token.text == "<=") {
        op = CompareOp::LessEqual;
      } else if (token.kind == TokenKind::Operator && token.text == ">") {
        op = CompareOp::Greater;
      } else if (token.kind == TokenKind::Operator && token.text == ">=") {
        op = CompareOp::GreaterEqual;
      } else if (at_name("in")) {
        op = CompareOp::In;
      } else if (at_name("not") && peek().kind == TokenKind::Name && peek().text == "in") {
        advance();
        op = CompareOp::NotIn;
      } else {
        break;
      }
      advance();
      if (!node) node = make<CompareExpr>(offset, std::move(first));
      node->rest.emplace_back(op, parse_math1());
    }
    if (node) return node;
    return first;
  }

  ExprPtr parse_binary_level(ExprPtr (Parser::*operand)(),
                             std::initializer_list<std::pair<std::string_view, BinaryOp>> ops) {
    ExprPtr left = (this->*operand)();
    while (true) {
      bool matched = false;
      for (const auto& [text, op] : ops) {
        if (!at_operator(text)) continue;
        const std::size_t offset = advance().offset;
        left = make<BinaryExpr>(offset, op, std::move(left), (this->*operand)());
        matched = true;
        break;
      }
      if (!matched) return left;
    }
  }

  ExprPtr parse_math1() {
    return parse_binary_level(&Parser::parse_concat,
                              {{"+", BinaryOp::Add}, {"-", BinaryOp::Subtract}});
  }

  ExprPtr parse_concat() {
    const std::size_t offset = current().offset;
    ExprPtr first = parse_math2();
    if (!at_operator("~")) return first;
    auto node = make<SequenceExpr>(ExprKind::Concat, offset);
    node->items.push_back(std::move(first));
    while (skip_operator("~")) node->items.push_back(parse_math2());
    return node;
  }

  ExprPtr parse_math2() {
    return parse_binary_level(&Parser::parse_pow, {{"*", BinaryOp::Multiply},
                                                   {"/", BinaryOp::Divide},
                                                   {"//", BinaryOp::FloorDivide},
                                                   {"%", BinaryOp::Modulo}});
  }

  ExprPtr parse_pow() {
    return parse_binary_level(&Parser::parse_unary_with_filters, {{"**", BinaryOp::Power}});
  }

  ExprPtr parse_unary_with_filters() { return parse_unary(true); }

  ExprPtr parse_unary(bool with_filters) {
    const Token& token = current();
    ExprPtr node;
    if (at_operator("-")) {
      advance();
      node = make<UnaryExpr>(ExprKind::Negate, token.offset, parse_unary(false));
    } else if (at_operator("+")) {
      advance();
      node = make<UnaryExpr>(ExprKind::Plus, token.offset, parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filters) node = parse_filter_expression(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& token = current();
    switch (token.kind) {
      case TokenKind::Name: {
        advance();
        if (token.text == "true" || token.text == "True")
          return make<LiteralExpr>(token.offset, Value::boolean(true));
        if (token.text == "false" || token.text == "False")
          return make<LiteralExpr>(token.offset, Value::boolean(false));
        if (token.text == "none" || token.text == "None")
          return make<LiteralExpr>(token.offset, Value::none());
        mentioned_.varargs |= token.text == "varargs";
        mentioned_.kwargs |= token.text == "kwargs";
        mentioned_.caller |= token.text == "caller";
        return make<NameExpr>(token.offset, token.text);
      }
      case TokenKind::String: {
        std::string text;
        while (current().kind == TokenKind::String) text += advance().text;  // "a" "b" concatenates
        return make<LiteralExpr>(token.offset, Value::string(std::move(text)));
      }
      case TokenKind::Integer:
        advance();
        return make<LiteralExpr>(token.offset, parse_integer(token));
      case TokenKind::Float:
        advance();
        return make<LiteralExpr>(token.offset, parse_float(token));
      case TokenKind::Operator:
        if (token.text == "(") {
          advance();
          ExprPtr inner = parse_tuple(true, true, {});
          expect_operator(")");
          return inner;
        }
        if (token.text == "[") return parse_list();
        if (token.text == "{") return parse_dict();
        break;
      default:
        break;
    }
    fail_at(token.offset, "unexpected " + describe(token));
  }

  ExprPtr parse_list() {
    auto node = make<SequenceExpr>(ExprKind::ListLiteral, advance().offset);
    while (!at_operator("]")) {
      if (!node->items.empty()) expect_operator(",");
      if (at_operator("]")) break;
      node->items.push_back(parse_expression(true));
    }
    expect_operator("]");
    return node;
  }

  ExprPtr parse_dict() {
    auto node = make<DictExpr>(advance().offset);
    while (!at_operator("}")) {
      if (!node->items.empty()) expect_operator(",");
      if (at_operator("}")) break;
      ExprPtr key = parse_expression(true);
      expect_operator(":");
      node->items.emplace_back(std::move(key), parse_expression(true));
    }
    expect_operator("}");
    return node;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (at_operator(".")) {
        node = parse_dot(std::move(node));
      } else if (at_operator("[")) {
        node = parse_subscript(std::move(node));
      } else if (at_operator("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_dot(ExprPtr node) {
    const std::size_t offset = advance().offset;
    const Token& token = current();
    if (token.kind == TokenKind::Name) {
      advance();
      return make<GetAttrExpr>(offset, std::move(node), token.text);
    }
    if (token.kind == TokenKind::Integer) {  // `items.0` is items[0]
      advance();
      return make<GetItemExpr>(offset, std::move(node),
                               make<LiteralExpr>(token.offset, parse_integer(token)));
    }
    fail_at(token.offset, "expected a name or number after '.', got " + describe(token));
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const std::size_t offset = advance().offset;
    std::vector<ExprPtr> args;
    while (!at_operator("]")) {
      if (!args.empty()) expect_operator(",");
      args.push_back(parse_subscribed());
    }
    expect_operator("]");
    if (args.empty()) fail_at(offset, "expected an index inside '[]'");
    ExprPtr index;
    if (args.size() == 1) {
      index = std::move(args.front());
    } else {
      auto tuple = make<SequenceExpr>(ExprKind::TupleLiteral, offset);
      tuple->items = std::move(args);
      index = std::move(tuple);
    }
    return make<GetItemExpr>(offset, std::move(node), std::move(index));
  }

  // An index or a slice `start:stop:step` with optional parts.
  ExprPtr parse_subscribed() {
    const std::size_t offset = current().offset;
    ExprPtr start;
    if (!at_operator(":")) {
      start = parse_expression(true);
      if (!at_operator(":")) return start;
    }
    advance();
    auto slice = make<SliceExpr>(offset);
    slice->start = std::move(start);
    if (!at_operator(":") && !at_operator("]") && !at_operator(","))
      slice->stop = parse_expression(true);
    if (skip_operator(":")) {
      if (!at_operator("]") && !at_operator(",")) slice->step = parse_expression(true);
    }
    return slice;
  }

  CallArguments parse_call_arguments() {
    const std::size_t offset = current().offset;
    expect_operator("(");
    CallArguments args;
    const auto ensure = [&](bool ok) {
      if (!ok)
        fail_at(offset,
                "invalid syntax for a call: positional arguments must come first, then keywords");
    };
    bool need_comma = false;
    while (!at_operator(")")) {
      if (need_comma) {
        expect_operator(",");
        if (at_operator(")")) break;
      }
      if (skip_operator("*")) {
        ensure(!args.star_args && !args.star_kwargs);
        args.star_args = parse_expression(true);
      } else if (skip_operator("**")) {
        ensure(!args.star_kwargs);
        args.star_kwargs = parse_expression(true);
      } else if (current().kind == TokenKind::Name && peek().kind == TokenKind::Operator &&
                 peek().text == "=") {
        ensure(!args.star_kwargs);
        std::string key = advance().text;
        advance();
        args.keywords.emplace_back(std::move(key), parse_expression(true));
      } else {
        ensure(!args.star_args && !args.star_kwargs && args.keywords.empty());
        args.positional.push_back(parse_expression(true));
      }
      need_comma = true;
    }
    expect_operator(")");
    return args;
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto node = make<CallExpr>(current().offset, std::move(callee));
    node->args = parse_call_arguments();
    return node;
  }

  ExprPtr parse_filter_expression(ExprPtr node) {
    while (true) {
      if (at_operator("|")) {
        node = parse_filters(std::move(node), false);
      } else if (at_name("is")) {
        node = parse_test(std::move(node));
      } else if (at_operator("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  std::string parse_dotted_name() {
    std::string name = expect_name().text;
    while (skip_operator(".")) name += "." + expect_name().text;
    return name;
  }

  // One or more `| name(args)`; `start_inline` when the first has no '|'.
  ExprPtr parse_filters(ExprPtr node, bool start_inline) {
    while (at_operator("|") || start_inline) {
      if (!start_inline) advance();
      start_inline = false;
      const std::size_t offset = current().offset;
      std::string name = parse_dotted_name();
      const FilterFunction function = find_filter(name);
      if (!function) fail_at(offset, missing_filter_message(name));
      auto filter = make<FilterExpr>(offset, std::move(node), std::move(name), function);
      if (at_operator("(")) filter->args = parse_call_arguments();
      node = std::move(filter);
    }
    return node;
  }

  ExprPtr parse_test(ExprPtr node) {
    const std::size_t offset = advance().offset;
    const bool negated = skip_name("not");
    const std::size_t name_offset = current().offset;
    std::string name = parse_dotted_name();
    const TestFunction function = find_test(name);
    if (!function) fail_at(name_offset, missing_test_message(name));
    auto test = make<TestExpr>(offset, std::move(node), std::move(name), function);
    const Token& token = current();
    const bool starts_argument =
        token.kind == TokenKind::Name || token.kind == TokenKind::String ||
        token.kind == TokenKind::Integer || token.kind == TokenKind::Float ||
        (token.kind == TokenKind::Operator && (token.text == "[" || token.text == "{"));
    if (at_operator("(")) {
      test->args = parse_call_arguments();
    } else if (starts_argument && !at_name("else") && !at_name("or") && !at_name("and")) {
      if (at_name("is")) fail_at(token.offset, "tests cannot be chained with 'is'");
      test->args.positional.push_back(parse_postfix(parse_primary()));  // `x is divisibleby 3`
    }
    if (negated) return make<UnaryExpr>(ExprKind::Not, offset, std::move(test));
    return test;
  }

  struct OpenBlock {
    const Token* opener = nullptr;
    std::string expected;
  };

  struct MentionedNames {
    bool varargs = false;
    bool kwargs = false;
    bool caller = false;
  };

  std::vector<Token> tokens_;
  std::size_t index_ = 0;
  int loop_depth_ = 0;
  OpenBlock open_block_;
  MentionedNames mentioned_;
};

}  // namespace

Program parse(std::string_view source) {
  Program program;
  program.source = normalize_newlines(source);
  program.body = Parser(tokenize(program.source)).parse_template();
  return program;
}

}  // namespace wizard::jinja
