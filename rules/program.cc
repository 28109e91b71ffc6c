#include "rules/program.h"

namespace touchstream::rules {

std::string_view OpCodeText(OpCode op) {
  switch (op) {
    case OpCode::kNot:
      return "!";
    case OpCode::kNeg:
      return "-";
    case OpCode::kAnd:
      return "&&";
    case OpCode::kOr:
      return "||";
    case OpCode::kEq:
      return "==";
    case OpCode::kNe:
      return "!=";
    case OpCode::kLt:
      return "<";
    case OpCode::kLe:
      return "<=";
    case OpCode::kGt:
      return ">";
    case OpCode::kGe:
      return ">=";
    case OpCode::kIn:
      return "in";
    case OpCode::kAdd:
      return "+";
    case OpCode::kSub:
      return "-";
    case OpCode::kMul:
      return "*";
    case OpCode::kDiv:
      return "/";
    case OpCode::kMod:
      return "%";
    default:
      return "?";
  }
}

}  // namespace touchstream::rules
