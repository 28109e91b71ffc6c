// Abstract syntax tree of one expression, produced by the parser and annotated in place by
// the checker (types, resolved fields). Built at load time only; evaluation never sees it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rules/lexer.h"
#include "rules/value_type.h"

namespace touchstream::rules {

struct FieldDef;

struct Expr {
  enum class Kind {
    kNull,
    kBool,
    kInt,
    kDouble,
    kString,
    kDuration,  // literals
    kIdent,     // name: a root (event, customer, rule, now) or a template parameter
    kSelect,    // args[0].name
    kIndex,     // args[0][args[1]]
    kCall,      // name(args...), or args[0].name(args[1...]) when receiver_call
    kList,      // [args...]
    kUnary,     // op args[0]
    kBinary,    // args[0] op args[1]
    kTernary,   // args[0] ? args[1] : args[2]
    kError,     // a syntax error (already reported)
  };

  Kind kind = Kind::kError;
  int offset = 0;  // byte offset of the expression's first token
  TokenKind op = TokenKind::kEnd;
  bool bool_value = false;
  int64_t int_value = 0;  // kInt; kDuration in milliseconds
  double double_value = 0;
  std::string text;  // kString value; kIdent/kSelect/kCall name
  bool receiver_call = false;
  std::vector<std::unique_ptr<Expr>> args;

  // Set by the checker.
  ValueType type = ValueType::kDyn;
  // When this node (an Ident/Select/Index chain) names a catalog field.
  const FieldDef* field = nullptr;
  std::string field_key;   // the <name> part of a parameterized field
  std::string field_path;  // the path as written, e.g. "event.properties.amount"
  // When this node names a template parameter: that parameter's checked expression.
  const Expr* param = nullptr;
};

using ExprPtr = std::unique_ptr<Expr>;

// Canonical text of an expression: fully parenthesized binary and ternary operators (except
// at the top), single spaces around operators, strings in double quotes.
std::string CanonicalText(const Expr& expr);

}  // namespace touchstream::rules
