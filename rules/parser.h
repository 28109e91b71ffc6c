// Pratt parser of the rule expression language: tokens -> AST. Driven by a table of prefix
// and infix handlers with precedences (lowest first): ?:, ||, &&, relations (== != < <= > >=
// in), + -, * / %, unary ! -, postfix . [] ().
//
// Syntax errors are data: each is reported to the sink with its position, and the parser
// resynchronizes at the next operator or delimiter so one pass reports all of them. The
// returned tree then contains kError nodes; it is null only for an empty expression.
#pragma once

#include <string_view>

#include "rules/ast.h"
#include "rules/source.h"

namespace touchstream::rules {

struct ParserLimits {
  // Deepest nesting of sub-expressions accepted.
  int max_depth = 64;
  // Most elements in one list literal.
  size_t max_list_size = 1000;
  LexerLimits lexer;
};

// Parses `text`, reporting errors to `sink` at positions mapped through `location`.
ExprPtr ParseExpression(std::string_view text, const ExprLocation& location,
                        const ParserLimits& limits, DiagnosticSink* sink);

}  // namespace touchstream::rules
