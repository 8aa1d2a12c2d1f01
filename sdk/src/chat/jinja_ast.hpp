// The parsed template: expression and statement nodes. Every node keeps the
// source offset it starts at, so runtime errors can name a line and column.
// The interpreter dispatches on `kind` and downcasts.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_value.hpp"

namespace wizard::jinja {

// Filters and tests are resolved while parsing, so an unknown name is an
// error before anything renders.
using FilterFunction = Value (*)(const Value& input, const Arguments& args);
using TestFunction = bool (*)(const Value& input, const Arguments& args);

enum class ExprKind {
  Literal,
  Name,
  GetAttr,
  GetItem,
  Slice,
  Call,
  Filter,
  Test,
  Negate,
  Plus,
  Binary,
  And,
  Or,
  Not,
  Compare,
  Condition,
  ListLiteral,
  TupleLiteral,
  DictLiteral,
  Concat,
};

struct Expr {
  Expr(ExprKind kind, std::size_t offset) : kind(kind), offset(offset) {}
  virtual ~Expr() = default;
  ExprKind kind;
  std::size_t offset;
};
using ExprPtr = std::unique_ptr<Expr>;

struct LiteralExpr : Expr {
  LiteralExpr(std::size_t offset, Value value)
      : Expr(ExprKind::Literal, offset), value(std::move(value)) {}
  Value value;
};

struct NameExpr : Expr {
  NameExpr(std::size_t offset, std::string name)
      : Expr(ExprKind::Name, offset), name(std::move(name)) {}
  std::string name;
};

struct GetAttrExpr : Expr {
  GetAttrExpr(std::size_t offset, ExprPtr object, std::string name)
      : Expr(ExprKind::GetAttr, offset), object(std::move(object)), name(std::move(name)) {}
  ExprPtr object;
  std::string name;
};

// `object[index]`; a SliceExpr as index means `object[start:stop:step]`.
struct GetItemExpr : Expr {
  GetItemExpr(std::size_t offset, ExprPtr object, ExprPtr index)
      : Expr(ExprKind::GetItem, offset), object(std::move(object)), index(std::move(index)) {}
  ExprPtr object;
  ExprPtr index;
};

struct SliceExpr : Expr {
  explicit SliceExpr(std::size_t offset) : Expr(ExprKind::Slice, offset) {}
  ExprPtr start, stop, step;  // each may be null
};

struct CallArguments {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
  ExprPtr star_args;    // *args
  ExprPtr star_kwargs;  // **kwargs
};

struct CallExpr : Expr {
  CallExpr(std::size_t offset, ExprPtr callee)
      : Expr(ExprKind::Call, offset), callee(std::move(callee)) {}
  ExprPtr callee;
  CallArguments args;
};

// `input | name(args)` (a filter) and `input is name(args)` (a test). In
// {% set x | f %} and {% filter f %} the innermost filter has no input: it
// applies to the block's text.
template <ExprKind Kind, typename Function>
struct NamedCallExpr : Expr {
  NamedCallExpr(std::size_t offset, ExprPtr input, std::string name, Function function)
      : Expr(Kind, offset), input(std::move(input)), name(std::move(name)), function(function) {}
  ExprPtr input;
  std::string name;
  Function function;
  CallArguments args;
};
using FilterExpr = NamedCallExpr<ExprKind::Filter, FilterFunction>;
using TestExpr = NamedCallExpr<ExprKind::Test, TestFunction>;

// Negate, Plus, Not.
struct UnaryExpr : Expr {
  UnaryExpr(ExprKind kind, std::size_t offset, ExprPtr operand)
      : Expr(kind, offset), operand(std::move(operand)) {}
  ExprPtr operand;
};

enum class BinaryOp { Add, Subtract, Multiply, Divide, FloorDivide, Modulo, Power };

struct BinaryExpr : Expr {
  BinaryExpr(std::size_t offset, BinaryOp op, ExprPtr left, ExprPtr right)
      : Expr(ExprKind::Binary, offset), op(op), left(std::move(left)), right(std::move(right)) {}
  BinaryOp op;
  ExprPtr left, right;
};

// And, Or: Python semantics, the deciding operand is the result.
struct LogicalExpr : Expr {
  LogicalExpr(ExprKind kind, std::size_t offset, ExprPtr left, ExprPtr right)
      : Expr(kind, offset), left(std::move(left)), right(std::move(right)) {}
  ExprPtr left, right;
};

enum class CompareOp { Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual, In, NotIn };

// A chain `a < b <= c` as Python evaluates it.
struct CompareExpr : Expr {
  CompareExpr(std::size_t offset, ExprPtr first)
      : Expr(ExprKind::Compare, offset), first(std::move(first)) {}
  ExprPtr first;
  std::vector<std::pair<CompareOp, ExprPtr>> rest;
};

// `then if test else otherwise`; without else, an undefined value.
struct ConditionExpr : Expr {
  explicit ConditionExpr(std::size_t offset) : Expr(ExprKind::Condition, offset) {}
  ExprPtr test, then, otherwise;
};

// ListLiteral, TupleLiteral, and Concat (`a ~ b ~ c`).
struct SequenceExpr : Expr {
  SequenceExpr(ExprKind kind, std::size_t offset) : Expr(kind, offset) {}
  std::vector<ExprPtr> items;
};

struct DictExpr : Expr {
  explicit DictExpr(std::size_t offset) : Expr(ExprKind::DictLiteral, offset) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> items;
};

// ---- statements ----

enum class StmtKind {
  Text,
  Output,
  If,
  For,
  Set,
  SetAttribute,
  SetBlock,
  Macro,
  CallBlock,
  FilterBlock,
  With,
  Break,
  Continue,
  Generation,
};

struct Stmt {
  Stmt(StmtKind kind, std::size_t offset) : kind(kind), offset(offset) {}
  virtual ~Stmt() = default;
  StmtKind kind;
  std::size_t offset;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct TextStmt : Stmt {
  TextStmt(std::size_t offset, std::string text)
      : Stmt(StmtKind::Text, offset), text(std::move(text)) {}
  std::string text;
};

struct OutputStmt : Stmt {
  OutputStmt(std::size_t offset, ExprPtr expr)
      : Stmt(StmtKind::Output, offset), expr(std::move(expr)) {}
  ExprPtr expr;
};

struct IfStmt : Stmt {
  explicit IfStmt(std::size_t offset) : Stmt(StmtKind::If, offset) {}
  std::vector<std::pair<ExprPtr, Body>> branches;  // if, then each elif
  Body otherwise;
};

// What a for loop, set or with binds: a name, or a (nested) tuple of names.
struct Target {
  std::string name;           // when not a tuple
  std::vector<Target> items;  // when a tuple
  bool is_tuple = false;
};

struct ForStmt : Stmt {
  explicit ForStmt(std::size_t offset) : Stmt(StmtKind::For, offset) {}
  Target target;
  ExprPtr iterable;
  ExprPtr condition;  // `for x in xs if cond`, may be null
  Body body;
  Body otherwise;
};

struct SetStmt : Stmt {
  explicit SetStmt(std::size_t offset) : Stmt(StmtKind::Set, offset) {}
  Target target;
  ExprPtr value;
};

// {% set ns.attribute = value %}
struct SetAttributeStmt : Stmt {
  explicit SetAttributeStmt(std::size_t offset) : Stmt(StmtKind::SetAttribute, offset) {}
  std::string object;
  std::string attribute;
  ExprPtr value;
};

// {% set x %}...{% endset %}, optionally through filters.
struct SetBlockStmt : Stmt {
  explicit SetBlockStmt(std::size_t offset) : Stmt(StmtKind::SetBlock, offset) {}
  Target target;
  ExprPtr filter;  // may be null
  Body body;
};

struct Parameter {
  std::string name;
  ExprPtr default_value;  // may be null
};

// What a macro (or a call block's body) accepts. Like Jinja, surplus
// positional or keyword arguments and a `caller` are accepted only when the
// body mentions `varargs`, `kwargs` or `caller`.
struct Signature {
  std::vector<Parameter> params;
  bool varargs = false;
  bool kwargs = false;
  bool caller = false;
};

struct MacroStmt : Stmt {
  explicit MacroStmt(std::size_t offset) : Stmt(StmtKind::Macro, offset) {}
  std::string name;
  Signature signature;
  Body body;
};

// {% call(params) macro(args) %}body{% endcall %}: body becomes `caller`.
struct CallBlockStmt : Stmt {
  explicit CallBlockStmt(std::size_t offset) : Stmt(StmtKind::CallBlock, offset) {}
  Signature signature;
  std::unique_ptr<CallExpr> call;
  Body body;
};

struct FilterBlockStmt : Stmt {
  explicit FilterBlockStmt(std::size_t offset) : Stmt(StmtKind::FilterBlock, offset) {}
  ExprPtr filter;
  Body body;
};

struct WithStmt : Stmt {
  explicit WithStmt(std::size_t offset) : Stmt(StmtKind::With, offset) {}
  std::vector<std::pair<Target, ExprPtr>> assignments;
  Body body;
};

// Break, Continue (no payload) and Generation (transformers' {% generation %},
// which only marks assistant text and renders its body unchanged).
struct BlockStmt : Stmt {
  BlockStmt(StmtKind kind, std::size_t offset) : Stmt(kind, offset) {}
  Body body;
};

// A parsed template: the normalized source (for positions) and its statements.
struct Program {
  std::string source;
  Body body;
};

}  // namespace wizard::jinja
