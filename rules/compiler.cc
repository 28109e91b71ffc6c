#include "rules/compiler.h"

#include "base/duration.h"
#include "base/time_format.h"
#include "rules/builtins.h"
#include "rules/interpreter.h"
#include "rules/parser.h"

namespace touchstream::rules {

namespace {

class Compiler {
 public:
  Compiler(const ExprLocation& location, Program* program)
      : location_(location), program_(program) {}

  uint32_t Emit(const Expr& e) {
    if (e.param != nullptr) return Emit(*e.param);
    if (e.field != nullptr) {
      ProgramNode node = Node(e, OpCode::kField);
      node.accessor = e.field->accessor;
      node.key = Intern(e.field_key);
      Reference(e);
      return Add(node, {});
    }
    switch (e.kind) {
      case Expr::Kind::kNull:
        return Constant(e, RtValue::Null());
      case Expr::Kind::kBool:
        return Constant(e, RtValue::Bool(e.bool_value));
      case Expr::Kind::kInt:
        return Constant(e, RtValue::Int(e.int_value));
      case Expr::Kind::kDouble:
        return Constant(e, RtValue::Double(e.double_value));
      case Expr::Kind::kString:
        return Constant(e, RtValue::String(Intern(e.text)));
      case Expr::Kind::kDuration:
        return Constant(e, RtValue::Duration(e.int_value));
      case Expr::Kind::kList:
        return List(e);
      case Expr::Kind::kUnary:
        return Add(Node(e, e.op == TokenKind::kNot ? OpCode::kNot : OpCode::kNeg), Children(e));
      case Expr::Kind::kBinary:
        return Add(Node(e, BinaryOp(e.op)), Children(e));
      case Expr::Kind::kTernary:
        return Add(Node(e, OpCode::kTernary), Children(e));
      case Expr::Kind::kIndex:
        return Add(Node(e, OpCode::kIndex), Children(e));
      case Expr::Kind::kCall:
        return Call(e);
      case Expr::Kind::kIdent:
      case Expr::Kind::kSelect:
      case Expr::Kind::kError:
        break;  // resolved as fields above; the checker rejects anything else
    }
    return Constant(e, RtValue::Null());
  }

 private:
  ProgramNode Node(const Expr& e, OpCode op) const {
    ProgramNode node;
    node.op = op;
    location_.Map(e.offset, &node.line, &node.column);
    return node;
  }

  std::string_view Intern(std::string_view text) {
    if (text.empty()) return {};
    return program_->strings.emplace_front(text);
  }

  void Reference(const Expr& e) {
    for (const Program::FieldRef& ref : program_->fields) {
      if (ref.path == e.field_path) return;
    }
    program_->fields.push_back({e.field_path, e.field->accessor, e.field_key});
  }

  std::vector<uint32_t> Children(const Expr& e) {
    std::vector<uint32_t> children;
    for (const auto& arg : e.args) children.push_back(Emit(*arg));
    return children;
  }

  // Appends the node and returns its index, or the index of the constant it folds to.
  uint32_t Add(ProgramNode node, const std::vector<uint32_t>& children) {
    node.first_arg = static_cast<uint32_t>(program_->args.size());
    node.arg_count = static_cast<uint32_t>(children.size());
    program_->args.insert(program_->args.end(), children.begin(), children.end());
    program_->nodes.push_back(node);
    return Fold(static_cast<uint32_t>(program_->nodes.size() - 1));
  }

  // Whether node `index` computes a constant: an operation (not a field, and not a function
  // of `now` or the customer's time zone) whose operands are all constants.
  bool Foldable(uint32_t index) const {
    const ProgramNode& node = program_->nodes[index];
    switch (node.op) {
      case OpCode::kConst:
      case OpCode::kFolded:
      case OpCode::kField:
      case OpCode::kHas:
        return false;
      case OpCode::kCall:
        if (!GetBuiltin(node.builtin).pure) return false;
        break;
      default:
        break;
    }
    for (uint32_t i = 0; i < node.arg_count; ++i) {
      const OpCode op = program_->nodes[program_->args[node.first_arg + i]].op;
      if (op != OpCode::kConst && op != OpCode::kFolded) return false;
    }
    return true;
  }

  // Constant folding: when node `index` is Foldable and evaluates without error, appends a
  // kFolded node with its value and returns that node's index; otherwise returns `index`.
  // The original node stays in the program as the folded node's operand (see Folded in
  // interpreter.cc); an error stays a run-time error, at its position.
  uint32_t Fold(uint32_t index) {
    if (!Foldable(index)) return index;
    RtValue value;
    int64_t steps = 0;
    if (!EvaluateConstant(*program_, index, &scratch_, &value, &steps)) return index;
    // Move what the value points into out of the scratch memory, into the program.
    if (value.type == ValueType::kString) {
      value = RtValue::String(Intern(value.s()));
    } else if (value.type == ValueType::kList &&
               static_cast<ListKind>(value.kind) == ListKind::kValues) {
      // Elements are constants of the program already (a list of constants is one).
      std::vector<RtValue>& items =
          program_->constant_lists.emplace_front(value.items, value.items + value.size);
      value = RtValue::List(items.data(), items.size());
    }
    ProgramNode folded = program_->nodes[index];  // same source position
    folded.op = OpCode::kFolded;
    folded.constant = value;
    folded.weight = static_cast<int32_t>(steps);
    folded.first_arg = static_cast<uint32_t>(program_->args.size());
    folded.arg_count = 1;
    program_->args.push_back(index);
    program_->nodes.push_back(folded);
    return static_cast<uint32_t>(program_->nodes.size() - 1);
  }

  uint32_t Constant(const Expr& e, RtValue value) {
    ProgramNode node = Node(e, OpCode::kConst);
    node.constant = value;
    return Add(node, {});
  }

  uint32_t List(const Expr& e) {
    const std::vector<uint32_t> children = Children(e);
    bool constant = true;
    for (uint32_t child : children)
      constant = constant && program_->nodes[child].op == OpCode::kConst;
    if (!constant) {
      program_->max_list_elements += children.size();
      return Add(Node(e, OpCode::kList), children);
    }
    std::vector<RtValue>& items = program_->constant_lists.emplace_front();
    for (uint32_t child : children) items.push_back(program_->nodes[child].constant);
    return Constant(e, RtValue::List(items.data(), items.size()));
  }

  uint32_t Call(const Expr& e) {
    if (e.text == "has" && !e.receiver_call) {
      const Expr& arg = *e.args[0];
      ProgramNode node = Node(e, OpCode::kHas);
      node.accessor = arg.field->accessor;
      node.key = Intern(arg.field_key);
      Reference(arg);
      return Add(node, {});
    }
    const BuiltinInfo* builtin = FindBuiltin(e.text);
    const Expr& first = *e.args[0];
    if (builtin->id == Builtin::kDuration && first.kind == Expr::Kind::kString) {
      // The checker accepted the literal, so it parses.
      return Constant(e, RtValue::Duration(ParseDuration(first.text).value()));
    }
    if (builtin->id == Builtin::kTimestamp && first.kind == Expr::Kind::kString) {
      return Constant(e, RtValue::Timestamp(ParseRfc3339Ms(first.text).value_or(0)));
    }
    ProgramNode node = Node(e, OpCode::kCall);
    node.builtin = builtin->id;
    return Add(node, Children(e));
  }

  static OpCode BinaryOp(TokenKind op) {
    switch (op) {
      case TokenKind::kAnd:
        return OpCode::kAnd;
      case TokenKind::kOr:
        return OpCode::kOr;
      case TokenKind::kEq:
        return OpCode::kEq;
      case TokenKind::kNe:
        return OpCode::kNe;
      case TokenKind::kLt:
        return OpCode::kLt;
      case TokenKind::kLe:
        return OpCode::kLe;
      case TokenKind::kGt:
        return OpCode::kGt;
      case TokenKind::kGe:
        return OpCode::kGe;
      case TokenKind::kIn:
        return OpCode::kIn;
      case TokenKind::kPlus:
        return OpCode::kAdd;
      case TokenKind::kMinus:
        return OpCode::kSub;
      case TokenKind::kStar:
        return OpCode::kMul;
      case TokenKind::kSlash:
        return OpCode::kDiv;
      default:
        return OpCode::kMod;
    }
  }

  const ExprLocation& location_;
  Program* program_;
  EvalScratch scratch_;  // for constant folding
};

// Gives a cache slot to each field that is looked up in a map (it has a key: an event
// property, a profile attribute, an event type's activity, a rule's history) and read more
// than once, as in `has(customer.profile.tier) && customer.profile.tier == "gold"`: one
// evaluation then looks it up once. Plain fields are cheaper to read than to cache.
void AssignFieldSlots(Program* program) {
  struct Use {
    FieldAccessor accessor;
    std::string_view key;
    int count = 0;
    uint16_t slot = kNoFieldSlot;
  };
  std::vector<Use> uses;
  auto find = [&](const ProgramNode& node) -> Use& {
    for (Use& use : uses) {
      if (use.accessor == node.accessor && use.key == node.key) return use;
    }
    return uses.emplace_back(Use{node.accessor, node.key});
  };
  auto cacheable = [](const ProgramNode& node) {
    return (node.op == OpCode::kField || node.op == OpCode::kHas) && !node.key.empty();
  };
  for (const ProgramNode& node : program->nodes) {
    if (cacheable(node)) ++find(node).count;
  }
  for (Use& use : uses) {
    if (use.count > 1 && program->field_slots < kNoFieldSlot) use.slot = program->field_slots++;
  }
  for (ProgramNode& node : program->nodes) {
    if (cacheable(node)) node.field_slot = find(node).slot;
  }
}

}  // namespace

std::shared_ptr<const Program> CompileChecked(const Expr& expr, const ExprLocation& location,
                                              const RuleEnvironment& env, std::string_view file) {
  auto program = std::make_shared<Program>();
  program->file = std::string(file);
  program->type = expr.type;
  program->canonical = CanonicalText(expr);
  program->max_steps = env.max_eval_steps;
  program->max_string_bytes = env.max_string_bytes;
  Compiler compiler(location, program.get());
  program->root = compiler.Emit(expr);
  AssignFieldSlots(program.get());
  // A pack holds tens of thousands of programs for the engine's lifetime: drop the slack of
  // vector growth (up to half of each array).
  program->nodes.shrink_to_fit();
  program->args.shrink_to_fit();
  program->fields.shrink_to_fit();
  return program;
}

std::shared_ptr<const Program> CompileExpression(std::string_view text,
                                                 const ExprLocation& location,
                                                 const CheckScope& scope,
                                                 const RuleEnvironment& env, DiagnosticSink* sink,
                                                 ExprPtr* ast) {
  const size_t errors_before = sink->error_count();
  if (text.size() > env.max_expression_bytes) {
    sink->ErrorAt(location, 0,
                  "expression is " + std::to_string(text.size()) + " bytes long; the limit is " +
                      std::to_string(env.max_expression_bytes));
    return nullptr;
  }
  ParserLimits limits;
  limits.max_depth = env.max_expression_depth;
  limits.max_list_size = env.max_list_size;
  limits.lexer.max_string_literal_bytes = env.max_string_literal_bytes;
  ExprPtr expr = ParseExpression(text, location, limits, sink);
  if (expr == nullptr) return nullptr;
  CheckExpression(expr.get(), scope, env, location, sink);
  std::shared_ptr<const Program> program;
  if (sink->error_count() == errors_before) {
    program = CompileChecked(*expr, location, env, sink->file().name());
  }
  if (ast != nullptr) *ast = std::move(expr);
  return program;
}

std::shared_ptr<const Program> CompileScalarExpression(std::string_view text,
                                                       const SourceFile& source, int mark_line,
                                                       int mark_column, const RuleEnvironment& env,
                                                       std::vector<Diagnostic>* errors) {
  DiagnosticSink sink(&source, errors);
  const ExprLocation location = ExprLocation::ForScalar(source, mark_line, mark_column, text);
  CheckScope scope;
  scope.event_types = {"*"};
  const size_t errors_before = errors->size();
  std::shared_ptr<const Program> program = CompileExpression(text, location, scope, env, &sink);
  return errors->size() == errors_before ? program : nullptr;
}

}  // namespace touchstream::rules
