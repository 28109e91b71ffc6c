// Compiler: turns a checked AST into a Program (flat nodes, resolved accessors, folded
// constants), and the whole parse -> check -> compile pipeline for one expression.
#pragma once

#include <memory>
#include <string_view>

#include "rules/checker.h"
#include "rules/program.h"

namespace touchstream::rules {

// Compiles `expr`, which CheckExpression accepted without errors. `location` gives run-time
// error messages their file positions.
std::shared_ptr<const Program> CompileChecked(const Expr& expr, const ExprLocation& location,
                                              const RuleEnvironment& env, std::string_view file);

// Parses, checks and compiles `text`. Returns null when any error was reported to the sink.
// When `ast` is not null it receives the checked tree (for template parameters).
std::shared_ptr<const Program> CompileExpression(std::string_view text,
                                                 const ExprLocation& location,
                                                 const CheckScope& scope,
                                                 const RuleEnvironment& env, DiagnosticSink* sink,
                                                 ExprPtr* ast = nullptr);

}  // namespace touchstream::rules
