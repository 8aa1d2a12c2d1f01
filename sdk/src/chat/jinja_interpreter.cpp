#include "chat/jinja_interpreter.hpp"

#include <algorithm>

#include "chat/jinja_builtins.hpp"
#include "chat/jinja_methods.hpp"
#include "chat/jinja_operators.hpp"
#include "chat/jinja_python.hpp"

namespace wizard::jinja {

namespace {

constexpr int kMaxMacroDepth = 200;

// `loop` inside a for body. One object per loop, advanced each iteration, as
// Jinja's LoopContext is.
class LoopObject : public Object, public std::enable_shared_from_this<LoopObject> {
 public:
  explicit LoopObject(std::shared_ptr<const List> items) : items_(std::move(items)) {}

  const List& items() const { return *items_; }

  void advance_to(std::size_t index) { index_ = index; }

  std::string type_name() const override { return "LoopContext"; }

  Value attribute(const std::string& name) const override {
    const List& items = *items_;
    const auto n = static_cast<std::int64_t>(items.size());
    const auto i = static_cast<std::int64_t>(index_);
    if (name == "index") return Value::integer(i + 1);
    if (name == "index0") return Value::integer(i);
    if (name == "revindex") return Value::integer(n - i);
    if (name == "revindex0") return Value::integer(n - i - 1);
    if (name == "first") return Value::boolean(i == 0);
    if (name == "last") return Value::boolean(i == n - 1);
    if (name == "length") return Value::integer(n);
    if (name == "depth") return Value::integer(1);  // only recursive loops nest deeper
    if (name == "depth0") return Value::integer(0);
    if (name == "previtem")
      return i > 0 ? items[index_ - 1] : Value::undefined("there is no previous item");
    if (name == "nextitem")
      return i + 1 < n ? items[index_ + 1] : Value::undefined("there is no next item");
    if (name == "cycle" || name == "changed") {
      auto self = std::const_pointer_cast<LoopObject>(shared_from_this());
      return Value::object(std::make_shared<LoopMethod>(std::move(self), name));
    }
    return Object::attribute(name);
  }

  void repr(std::string& out) const override {
    out +=
        "<LoopContext " + std::to_string(index_ + 1) + "/" + std::to_string(items_->size()) + ">";
  }

 private:
  // loop.cycle(a, b, ...) and loop.changed(value).
  class LoopMethod : public Object {
   public:
    LoopMethod(std::shared_ptr<LoopObject> loop, std::string name)
        : loop_(std::move(loop)), name_(std::move(name)) {}
    std::string type_name() const override { return "method"; }
    bool is_callable() const override { return true; }
    Value call(Interpreter&, const Arguments& args) override {
      if (name_ == "cycle") {
        if (args.positional.empty()) fail("no items for cycling given");
        return args.positional[loop_->index_ % args.positional.size()];
      }
      const Value current = Value::list(args.positional);
      const bool changed = !loop_->has_changed_value_ || !equals(current, loop_->changed_value_);
      loop_->changed_value_ = current;
      loop_->has_changed_value_ = true;
      return Value::boolean(changed);
    }

   private:
    std::shared_ptr<LoopObject> loop_;
    std::string name_;
  };

  std::shared_ptr<const List> items_;  // shared: `loop` may outlive the for statement
  std::size_t index_ = 0;
  Value changed_value_;
  bool has_changed_value_ = false;
};

[[noreturn]] void fail_unpack(std::size_t expected, std::size_t got) {
  if (got > expected) fail("too many values to unpack (expected " + std::to_string(expected) + ")");
  fail("not enough values to unpack (expected " + std::to_string(expected) + ", got " +
       std::to_string(got) + ")");
}

}  // namespace

Scope::Scope(std::shared_ptr<Scope> parent, const Dict& variables) : parent_(std::move(parent)) {
  variables_.assign(variables.begin(), variables.end());
}

const Value* Scope::find(std::string_view name) const {
  for (const Scope* scope = this; scope; scope = scope->parent_.get()) {
    for (const auto& [key, value] : scope->variables_) {
      if (key == name) return &value;
    }
  }
  return nullptr;
}

void Scope::set(const std::string& name, Value value) {
  for (auto& [key, existing] : variables_) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  variables_.emplace_back(name, std::move(value));
}

std::string Interpreter::render(const Dict& variables) {
  root_ = std::make_shared<Scope>(nullptr, variables);
  std::string out;
  out.reserve(program_.source.size() * 2);
  execute(program_.body, root_, out);
  root_.reset();
  return out;
}

// ---- statements ----

Interpreter::Flow Interpreter::execute(const Body& body, const std::shared_ptr<Scope>& scope,
                                       std::string& out) {
  for (const StmtPtr& stmt : body) {
    const Flow flow = execute(*stmt, scope, out);
    if (flow != Flow::Normal) return flow;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::execute(const Stmt& stmt, const std::shared_ptr<Scope>& scope,
                                       std::string& out) {
  try {
    return execute_node(stmt, scope, out);
  } catch (Fault& fault) {
    if (!fault.has_offset()) fault.set_offset(stmt.offset);
    throw;
  }
}

std::string Interpreter::render_body(const Body& body, const std::shared_ptr<Scope>& scope) {
  std::string text;
  execute(body, scope, text);
  return text;
}

Interpreter::Flow Interpreter::execute_node(const Stmt& stmt, const std::shared_ptr<Scope>& scope,
                                            std::string& out) {
  switch (stmt.kind) {
    case StmtKind::Text:
      out += static_cast<const TextStmt&>(stmt).text;
      return Flow::Normal;
    case StmtKind::Output: {
      const Value value = evaluate(*static_cast<const OutputStmt&>(stmt).expr, scope);
      append_str(out, value);
      return Flow::Normal;
    }
    case StmtKind::If: {
      const auto& node = static_cast<const IfStmt&>(stmt);
      for (const auto& [test, body] : node.branches) {
        if (evaluate(*test, scope).truthy()) return execute(body, scope, out);
      }
      return execute(node.otherwise, scope, out);
    }
    case StmtKind::For:
      return execute_for(static_cast<const ForStmt&>(stmt), scope, out);
    case StmtKind::Set: {
      const auto& node = static_cast<const SetStmt&>(stmt);
      assign(node.target, evaluate(*node.value, scope), *scope);
      return Flow::Normal;
    }
    case StmtKind::SetAttribute: {
      const auto& node = static_cast<const SetAttributeStmt&>(stmt);
      const Value target = lookup(node.object, *scope);
      if (!target.is_object() || !target.as_object().is_namespace()) {
        fail("cannot assign attribute on non-namespace object ('" + node.object + "' is " +
             target.type_name() + "; create it with namespace())");
      }
      target.as_object().set_attribute(node.attribute, evaluate(*node.value, scope));
      return Flow::Normal;
    }
    case StmtKind::SetBlock: {
      const auto& node = static_cast<const SetBlockStmt&>(stmt);
      // The block's body has a scope of its own, as in Jinja.
      Value text = Value::string(render_body(node.body, std::make_shared<Scope>(scope)));
      if (node.filter) text = apply_filters(*node.filter, scope, &text);
      assign(node.target, std::move(text), *scope);
      return Flow::Normal;
    }
    case StmtKind::Macro: {
      const auto& node = static_cast<const MacroStmt&>(stmt);
      scope->set(node.name, Value::object(std::make_shared<Macro>(node.name, node.signature,
                                                                  node.body, scope)));
      return Flow::Normal;
    }
    case StmtKind::CallBlock:
      execute_call_block(static_cast<const CallBlockStmt&>(stmt), scope, out);
      return Flow::Normal;
    case StmtKind::FilterBlock: {
      const auto& node = static_cast<const FilterBlockStmt&>(stmt);
      const Value text = Value::string(render_body(node.body, std::make_shared<Scope>(scope)));
      append_str(out, apply_filters(*node.filter, scope, &text));
      return Flow::Normal;
    }
    case StmtKind::With: {
      const auto& node = static_cast<const WithStmt&>(stmt);
      auto inner = std::make_shared<Scope>(scope);
      for (const auto& [target, value] : node.assignments)
        assign(target, evaluate(*value, scope), *inner);
      return execute(node.body, inner, out);
    }
    case StmtKind::Break:
      return Flow::Break;
    case StmtKind::Continue:
      return Flow::Continue;
    case StmtKind::Generation:
      return execute(static_cast<const BlockStmt&>(stmt).body, scope, out);
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::execute_for(const ForStmt& loop, const std::shared_ptr<Scope>& scope,
                                           std::string& out) {
  List items = iterate(evaluate(*loop.iterable, scope));
  if (loop.condition) {
    // `for x in xs if cond`: the condition sees the loop variable, not `loop`.
    List kept;
    for (Value& item : items) {
      auto probe = std::make_shared<Scope>(scope);
      assign(loop.target, item, *probe);
      // Jinja's filtered iterator yields the target re-packed, so a tuple
      // target turns each kept item into a tuple (visible in loop.previtem).
      if (evaluate(*loop.condition, probe).truthy()) kept.push_back(pack(loop.target, *probe));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    execute(loop.otherwise, std::make_shared<Scope>(scope), out);
    return Flow::Normal;
  }
  auto state = std::make_shared<LoopObject>(std::make_shared<const List>(std::move(items)));
  const Value loop_value = Value::object(state);
  const List& elements = state->items();
  // Jinja runs `else` unless some iteration reached the end of the body, so
  // iterations left by `continue` or `break` do not count.
  bool completed_an_iteration = false;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    state->advance_to(i);
    auto iteration = std::make_shared<Scope>(scope);
    iteration->set("loop", loop_value);
    assign(loop.target, elements[i], *iteration);
    const Flow flow = execute(loop.body, iteration, out);
    if (flow == Flow::Break) break;
    if (flow == Flow::Normal) completed_an_iteration = true;
  }
  if (!completed_an_iteration) execute(loop.otherwise, std::make_shared<Scope>(scope), out);
  return Flow::Normal;
}

void Interpreter::execute_call_block(const CallBlockStmt& block,
                                     const std::shared_ptr<Scope>& scope, std::string& out) {
  Arguments args = evaluate_arguments(block.call->args, scope);
  args.keywords.emplace_back("caller", Value::object(std::make_shared<Macro>(
                                           "caller", block.signature, block.body, scope)));
  append_str(out, evaluate_call(*block.call, scope, std::move(args)));
}

Value Interpreter::call_macro(const Macro& macro, const Arguments& args) {
  if (macro_depth_ >= kMaxMacroDepth) {
    fail("macro '" + macro.name() + "' nests deeper than " + std::to_string(kMaxMacroDepth) +
         " calls (endless recursion?)");
  }
  std::shared_ptr<Scope> parent = macro.scope();
  auto scope = std::make_shared<Scope>(parent ? parent : root_);
  const Signature& signature = macro.signature();
  const auto& params = signature.params;
  // Jinja's Macro.__call__: positional arguments first, then keywords for the
  // parameters left; the rest only when the body asked for it.
  const std::size_t positional = std::min(args.positional.size(), params.size());
  for (std::size_t i = 0; i < positional; ++i) scope->set(params[i].name, args.positional[i]);
  Dict extra_keywords;
  for (const auto& [name, value] : args.keywords) extra_keywords.set(name, value);
  Dict remaining;
  for (std::size_t i = positional; i < params.size(); ++i) {
    if (const Value* given = extra_keywords.find(params[i].name)) {
      scope->set(params[i].name, *given);
      continue;
    }
    scope->set(params[i].name,
               params[i].default_value
                   ? evaluate(*params[i].default_value, scope)
                   : Value::undefined("parameter '" + params[i].name + "' was not provided"));
  }
  for (const auto& keyword : extra_keywords) {
    const std::string& name = keyword.first;
    const bool is_param =
        std::any_of(params.begin() + static_cast<std::ptrdiff_t>(positional), params.end(),
                    [&](const Parameter& p) { return p.name == name; });
    if (!is_param) remaining.set(name, keyword.second);
  }
  if (signature.caller) {
    const Value* caller = remaining.find("caller");
    scope->set("caller", caller ? *caller : Value::undefined("No caller defined"));
    Dict without_caller;
    for (const auto& [name, value] : remaining) {
      if (name != "caller") without_caller.set(name, value);
    }
    remaining = std::move(without_caller);
  }
  if (signature.kwargs) {
    scope->set("kwargs", Value::dict(std::move(remaining)));
  } else if (!remaining.empty()) {
    const std::string first = remaining.begin()->first;
    if (remaining.find("caller")) {
      fail("macro '" + macro.name() +
           "' takes no keyword argument 'caller' (its body never calls caller())");
    }
    fail("macro '" + macro.name() + "' takes no keyword argument '" + first + "'");
  }
  if (signature.varargs) {
    scope->set("varargs",
               Value::tuple(List(args.positional.begin() + static_cast<std::ptrdiff_t>(positional),
                                 args.positional.end())));
  } else if (args.positional.size() > params.size()) {
    fail("macro '" + macro.name() + "' takes not more than " + std::to_string(params.size()) +
         " argument(s)");
  }
  ++macro_depth_;
  std::string text;
  try {
    execute(macro.body(), scope, text);
  } catch (...) {
    --macro_depth_;
    throw;
  }
  --macro_depth_;
  return Value::string(std::move(text));
}

Value Interpreter::pack(const Target& target, const Scope& scope) const {
  if (!target.is_tuple) return lookup(target.name, scope);
  List items;
  for (const Target& item : target.items) items.push_back(pack(item, scope));
  return Value::tuple(std::move(items));
}

void Interpreter::assign(const Target& target, Value value, Scope& scope) {
  if (!target.is_tuple) {
    scope.set(target.name, std::move(value));
    return;
  }
  if (!value.is_sequence() && !value.is_string() && !value.is_dict() && !value.is_undefined()) {
    fail("cannot unpack non-iterable " + value.type_name() + " object");
  }
  const List items = iterate(value);
  if (items.size() != target.items.size()) fail_unpack(target.items.size(), items.size());
  for (std::size_t i = 0; i < items.size(); ++i) assign(target.items[i], items[i], scope);
}

Value Interpreter::lookup(const std::string& name, const Scope& scope) const {
  if (const Value* value = scope.find(name)) return *value;
  return find_global(name);
}

// ---- expressions ----

Value Interpreter::evaluate(const Expr& expr, const std::shared_ptr<Scope>& scope) {
  try {
    return evaluate_node(expr, scope);
  } catch (Fault& fault) {
    if (!fault.has_offset()) fault.set_offset(expr.offset);
    throw;
  }
}

Value Interpreter::evaluate_node(const Expr& expr, const std::shared_ptr<Scope>& scope) {
  switch (expr.kind) {
    case ExprKind::Literal:
      return static_cast<const LiteralExpr&>(expr).value;
    case ExprKind::Name:
      return lookup(static_cast<const NameExpr&>(expr).name, *scope);
    case ExprKind::GetAttr: {
      const auto& node = static_cast<const GetAttrExpr&>(expr);
      return get_attribute(evaluate(*node.object, scope), node.name);
    }
    case ExprKind::GetItem: {
      const auto& node = static_cast<const GetItemExpr&>(expr);
      const Value object = evaluate(*node.object, scope);
      if (node.index->kind == ExprKind::Slice) {
        const auto& slice = static_cast<const SliceExpr&>(*node.index);
        const auto bound = [&](const ExprPtr& part) {
          return part ? evaluate(*part, scope) : Value::none();
        };
        return get_slice(object, bound(slice.start), bound(slice.stop), bound(slice.step));
      }
      return get_item(object, evaluate(*node.index, scope));
    }
    case ExprKind::Slice:
      fail("a slice can only be used inside []");
    case ExprKind::Call: {
      const auto& node = static_cast<const CallExpr&>(expr);
      return evaluate_call(node, scope, evaluate_arguments(node.args, scope));
    }
    case ExprKind::Filter:
      return apply_filters(expr, scope, nullptr);
    case ExprKind::Test: {
      const auto& node = static_cast<const TestExpr&>(expr);
      const Value input = evaluate(*node.input, scope);
      return Value::boolean(node.function(input, evaluate_arguments(node.args, scope)));
    }
    case ExprKind::Negate:
      return negate(evaluate(*static_cast<const UnaryExpr&>(expr).operand, scope));
    case ExprKind::Plus:
      return unary_plus(evaluate(*static_cast<const UnaryExpr&>(expr).operand, scope));
    case ExprKind::Not:
      return Value::boolean(
          !evaluate(*static_cast<const UnaryExpr&>(expr).operand, scope).truthy());
    case ExprKind::Binary: {
      const auto& node = static_cast<const BinaryExpr&>(expr);
      const Value left = evaluate(*node.left, scope);
      return binary_operation(node.op, left, evaluate(*node.right, scope));
    }
    case ExprKind::And:
    case ExprKind::Or: {
      const auto& node = static_cast<const LogicalExpr&>(expr);
      Value left = evaluate(*node.left, scope);
      if (left.truthy() == (expr.kind == ExprKind::Or)) return left;
      return evaluate(*node.right, scope);
    }
    case ExprKind::Compare:
      return evaluate_compare(static_cast<const CompareExpr&>(expr), scope);
    case ExprKind::Condition: {
      const auto& node = static_cast<const ConditionExpr&>(expr);
      if (evaluate(*node.test, scope).truthy()) return evaluate(*node.then, scope);
      if (node.otherwise) return evaluate(*node.otherwise, scope);
      return Value::undefined(
          "the inline if-expression evaluated to false and has no else section");
    }
    case ExprKind::ListLiteral:
    case ExprKind::TupleLiteral:
    case ExprKind::DictLiteral:
    case ExprKind::Concat:
      return evaluate_literal(expr, scope);
  }
  fail("unknown expression");
}

Value Interpreter::evaluate_literal(const Expr& expr, const std::shared_ptr<Scope>& scope) {
  if (expr.kind == ExprKind::DictLiteral) {
    Dict entries;
    for (const auto& [key_expr, value_expr] : static_cast<const DictExpr&>(expr).items) {
      const Value key = evaluate(*key_expr, scope);
      if (!key.is_string()) {
        fail("dict keys must be strings in wizard's chat templates, not " + key.type_name());
      }
      entries.set(key.as_string(), evaluate(*value_expr, scope));
    }
    return Value::dict(std::move(entries));
  }
  const auto& node = static_cast<const SequenceExpr&>(expr);
  if (expr.kind == ExprKind::Concat) {
    std::string text;
    for (const ExprPtr& part : node.items) append_str(text, evaluate(*part, scope));
    return Value::string(std::move(text));
  }
  List items;
  items.reserve(node.items.size());
  for (const ExprPtr& item : node.items) items.push_back(evaluate(*item, scope));
  return expr.kind == ExprKind::TupleLiteral ? Value::tuple(std::move(items))
                                             : Value::list(std::move(items));
}

Value Interpreter::evaluate_compare(const CompareExpr& node, const std::shared_ptr<Scope>& scope) {
  Value left = evaluate(*node.first, scope);
  for (const auto& [op, right_expr] : node.rest) {
    Value right = evaluate(*right_expr, scope);
    if (!compare(op, left, right)) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

Arguments Interpreter::evaluate_arguments(const CallArguments& args,
                                          const std::shared_ptr<Scope>& scope) {
  Arguments out;
  out.positional.reserve(args.positional.size());
  for (const ExprPtr& arg : args.positional) out.positional.push_back(evaluate(*arg, scope));
  if (args.star_args) {
    for (Value& item : iterate(evaluate(*args.star_args, scope)))
      out.positional.push_back(std::move(item));
  }
  for (const auto& [name, arg] : args.keywords)
    out.keywords.emplace_back(name, evaluate(*arg, scope));
  if (args.star_kwargs) {
    const Value mapping = evaluate(*args.star_kwargs, scope);
    if (!mapping.is_dict()) fail("argument after ** must be a mapping, not " + mapping.type_name());
    for (const auto& [name, value] : mapping.as_dict()) out.keywords.emplace_back(name, value);
  }
  return out;
}

Value Interpreter::evaluate_call(const CallExpr& call, const std::shared_ptr<Scope>& scope,
                                 Arguments args) {
  // `text.strip()`: call Python methods directly instead of binding them first.
  if (call.callee->kind == ExprKind::GetAttr) {
    const auto& attr = static_cast<const GetAttrExpr&>(*call.callee);
    const Value object = evaluate(*attr.object, scope);
    const bool builtin = object.is_string() || object.is_dict() || object.is_sequence();
    if (builtin && attr.name[0] != '_' &&
        method_status(object, attr.name) != MethodStatus::Missing) {
      return call_method(object, attr.name, args);
    }
    const Value callee = get_attribute(object, attr.name);
    if (callee.is_undefined()) fail_undefined(callee);
    if (!callee.is_object() || !callee.as_object().is_callable())
      fail("'" + callee.type_name() + "' object is not callable");
    return callee.as_object().call(*this, args);
  }
  const Value callee = evaluate(*call.callee, scope);
  if (callee.is_undefined()) fail_undefined(callee);
  if (!callee.is_object() || !callee.as_object().is_callable())
    fail("'" + callee.type_name() + "' object is not callable");
  return callee.as_object().call(*this, args);
}

Value Interpreter::apply_filters(const Expr& expr, const std::shared_ptr<Scope>& scope,
                                 const Value* block_text) {
  const auto& filter = static_cast<const FilterExpr&>(expr);
  Value input;
  if (!filter.input) {
    input = *block_text;
  } else if (filter.input->kind == ExprKind::Filter && block_text) {
    input = apply_filters(*filter.input, scope, block_text);
  } else {
    input = evaluate(*filter.input, scope);
  }
  try {
    return filter.function(input, evaluate_arguments(filter.args, scope));
  } catch (Fault& fault) {
    if (!fault.has_offset()) fault.set_offset(filter.offset);
    throw;
  }
}

}  // namespace wizard::jinja
