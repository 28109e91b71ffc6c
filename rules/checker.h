// Type checker: resolves names against the field catalog and template parameters, and
// assigns a static type to every node of an expression (annotating the AST in place).
//
// Mistakes (unknown fields with a did-you-mean, operators applied to the wrong types,
// wrong function arguments) are reported to the sink; checking continues after an error so
// one pass reports everything. Nodes that already failed to parse are skipped quietly.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rules/ast.h"
#include "rules/environment.h"
#include "rules/source.h"

namespace touchstream::rules {

struct CheckScope {
  // The rule's trigger event types ("*" = any), for typing event.properties.<name>.
  std::vector<std::string> event_types;
  // Template parameters by name (already checked), or null where there are none.
  const std::map<std::string, const Expr*, std::less<>>* params = nullptr;
};

// Checks `expr` (not null). Returns the number of errors reported.
int CheckExpression(Expr* expr, const CheckScope& scope, const RuleEnvironment& env,
                    const ExprLocation& location, DiagnosticSink* sink);

// Builtin function names, for documentation and suggestions.
std::vector<std::string_view> BuiltinFunctionNames();

}  // namespace touchstream::rules
