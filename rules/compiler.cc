#include "rules/compiler.h"

#include "proto/time_format.h"
#include "rules/builtins.h"
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

  std::string_view Intern(const std::string& text) {
    if (text.empty()) return {};
    return program_->strings.emplace_back(text);
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

  uint32_t Add(ProgramNode node, const std::vector<uint32_t>& children) {
    node.first_arg = static_cast<uint32_t>(program_->args.size());
    node.arg_count = static_cast<uint32_t>(children.size());
    program_->args.insert(program_->args.end(), children.begin(), children.end());
    program_->nodes.push_back(node);
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
    std::vector<RtValue>& items = program_->constant_lists.emplace_back();
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
      int64_t ms = 0;
      ParseDurationMs(first.text, &ms);
      return Constant(e, RtValue::Duration(ms));
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
};

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

}  // namespace touchstream::rules
