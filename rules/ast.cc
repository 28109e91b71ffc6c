#include "rules/ast.h"

#include "rules/runtime_value.h"

namespace touchstream::rules {

namespace {

std::string OperatorText(TokenKind op) {
  std::string name = TokenKindName(op);
  return name.size() > 2 && name.front() == '\'' ? name.substr(1, name.size() - 2) : name;
}

void Append(const Expr& e, bool top, std::string* out) {
  switch (e.kind) {
    case Expr::Kind::kNull:
      *out += "null";
      return;
    case Expr::Kind::kBool:
      *out += e.bool_value ? "true" : "false";
      return;
    case Expr::Kind::kInt:
      *out += std::to_string(e.int_value);
      return;
    case Expr::Kind::kDouble:
      AppendDouble(e.double_value, out);
      return;
    case Expr::Kind::kString:
      AppendQuoted(e.text, out);
      return;
    case Expr::Kind::kDuration:
      AppendDuration(e.int_value, out);
      return;
    case Expr::Kind::kIdent:
      *out += e.text;
      return;
    case Expr::Kind::kError:
      *out += "<error>";
      return;
    case Expr::Kind::kSelect:
      Append(*e.args[0], false, out);
      *out += "." + e.text;
      return;
    case Expr::Kind::kIndex:
      Append(*e.args[0], false, out);
      *out += "[";
      Append(*e.args[1], true, out);
      *out += "]";
      return;
    case Expr::Kind::kCall: {
      size_t first = 0;
      if (e.receiver_call) {
        Append(*e.args[0], false, out);
        *out += ".";
        first = 1;
      }
      *out += e.text + "(";
      for (size_t i = first; i < e.args.size(); ++i) {
        if (i > first) *out += ", ";
        Append(*e.args[i], true, out);
      }
      *out += ")";
      return;
    }
    case Expr::Kind::kList:
      *out += "[";
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) *out += ", ";
        Append(*e.args[i], true, out);
      }
      *out += "]";
      return;
    case Expr::Kind::kUnary:
      *out += OperatorText(e.op);
      Append(*e.args[0], false, out);
      return;
    case Expr::Kind::kBinary:
      if (!top) *out += "(";
      Append(*e.args[0], false, out);
      *out += " " + OperatorText(e.op) + " ";
      Append(*e.args[1], false, out);
      if (!top) *out += ")";
      return;
    case Expr::Kind::kTernary:
      if (!top) *out += "(";
      Append(*e.args[0], false, out);
      *out += " ? ";
      Append(*e.args[1], false, out);
      *out += " : ";
      Append(*e.args[2], false, out);
      if (!top) *out += ")";
      return;
  }
}

}  // namespace

std::string CanonicalText(const Expr& expr) {
  std::string out;
  Append(expr, true, &out);
  return out;
}

}  // namespace touchstream::rules
