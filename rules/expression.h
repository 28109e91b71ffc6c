// Compiling one expression that is not part of a rule file: the value of a YAML scalar of
// another file (the engine config's lifecycle-stage conditions and value-tier score). The
// engine's entry to the rules compiler; the phases behind it are internal to ts_rules.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "rules/environment.h"
#include "rules/program.h"
#include "rules/source.h"

namespace touchstream::rules {

// Parses, checks and compiles `text`, the value of the scalar whose YAML node starts at the
// 0-based (mark_line, mark_column) of `source`, as yaml-cpp reports it. The expression reads
// every field a rule condition reads, with `event` of any type. Returns the program, or null
// with every error appended to *errors, positioned in `source`.
std::shared_ptr<const Program> CompileScalarExpression(std::string_view text,
                                                       const SourceFile& source, int mark_line,
                                                       int mark_column, const RuleEnvironment& env,
                                                       std::vector<Diagnostic>* errors);

}  // namespace touchstream::rules
