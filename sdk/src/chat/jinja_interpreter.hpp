// Renders a parsed Program: evaluates expressions and runs statements with
// Jinja's scoping (each loop iteration and macro call has its own scope;
// `if` has none) and Python's value semantics.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/jinja_ast.hpp"
#include "chat/jinja_value.hpp"

namespace wizard::jinja {

// Variables visible at one level; lookups continue in the parent.
class Scope {
 public:
  explicit Scope(std::shared_ptr<Scope> parent) : parent_(std::move(parent)) {}
  Scope(std::shared_ptr<Scope> parent, const Dict& variables);

  const Value* find(std::string_view name) const;
  void set(const std::string& name, Value value);

 private:
  std::shared_ptr<Scope> parent_;
  std::vector<std::pair<std::string, Value>> variables_;
};

class Macro;

class Interpreter {
 public:
  explicit Interpreter(const Program& program) : program_(program) {}

  // Renders the template with `variables` as its top-level names.
  std::string render(const Dict& variables);

  Value call_macro(const Macro& macro, const Arguments& args);

 private:
  enum class Flow { Normal, Break, Continue };

  Flow execute(const Body& body, const std::shared_ptr<Scope>& scope, std::string& out);
  Flow execute(const Stmt& stmt, const std::shared_ptr<Scope>& scope, std::string& out);
  Flow execute_node(const Stmt& stmt, const std::shared_ptr<Scope>& scope, std::string& out);
  Flow execute_for(const ForStmt& loop, const std::shared_ptr<Scope>& scope, std::string& out);
  void execute_call_block(const CallBlockStmt& block, const std::shared_ptr<Scope>& scope,
                          std::string& out);
  std::string render_body(const Body& body, const std::shared_ptr<Scope>& scope);

  Value evaluate(const Expr& expr, const std::shared_ptr<Scope>& scope);
  Value evaluate_node(const Expr& expr, const std::shared_ptr<Scope>& scope);
  Value evaluate_call(const CallExpr& call, const std::shared_ptr<Scope>& scope, Arguments args);
  Value evaluate_compare(const CompareExpr& compare, const std::shared_ptr<Scope>& scope);
  Value evaluate_literal(const Expr& expr, const std::shared_ptr<Scope>& scope);
  Arguments evaluate_arguments(const CallArguments& args, const std::shared_ptr<Scope>& scope);
  // A filter chain whose innermost filter has no input applies to `block_text`.
  Value apply_filters(const Expr& filter, const std::shared_ptr<Scope>& scope,
                      const Value* block_text);

  void assign(const Target& target, Value value, Scope& scope);
  // The value `target` holds in `scope`, tuples rebuilt.
  Value pack(const Target& target, const Scope& scope) const;
  Value lookup(const std::string& name, const Scope& scope) const;

  const Program& program_;
  std::shared_ptr<Scope> root_;
  int macro_depth_ = 0;
};

// A macro (or a call block's body, bound as `caller`) as a callable value.
class Macro : public Object {
 public:
  Macro(std::string name, const Signature& signature, const Body& body, std::weak_ptr<Scope> scope)
      : name_(std::move(name)), signature_(signature), body_(body), scope_(std::move(scope)) {}

  std::string type_name() const override { return "Macro"; }
  bool is_callable() const override { return true; }
  Value call(Interpreter& interpreter, const Arguments& args) override {
    return interpreter.call_macro(*this, args);
  }
  void repr(std::string& out) const override { out += "<Macro '" + name_ + "'>"; }

  const std::string& name() const { return name_; }
  const Signature& signature() const { return signature_; }
  const Body& body() const { return body_; }
  std::shared_ptr<Scope> scope() const { return scope_.lock(); }

 private:
  std::string name_;
  const Signature& signature_;
  const Body& body_;
  std::weak_ptr<Scope> scope_;  // weak: the scope holds the macro
};

}  // namespace wizard::jinja
