// Message templates: text with {{ expr }} placeholders, e.g.
//   "Hi {{ customer.profile.first_name }}, take {{ discount }}% off"
// Each placeholder is an expression of the rule language, compiled at load time; inside a
// template a bare name may also refer to one of the action's params.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/checker.h"
#include "rules/program.h"

namespace touchstream::rules {

struct Template {
  struct Segment {
    std::string text;                     // literal text, when expr is null
    std::shared_ptr<const Program> expr;  // a placeholder
  };
  std::vector<Segment> segments;
  std::string source;  // the template as written

  bool empty() const { return segments.empty(); }
};

// Compiles `text`. Errors (an unclosed "{{", an empty placeholder, any error in a placeholder
// expression) are reported to the sink at their file positions; returns nullopt then.
std::optional<Template> CompileTemplate(std::string_view text, const ExprLocation& location,
                                        const CheckScope& scope, const RuleEnvironment& env,
                                        DiagnosticSink* sink);

}  // namespace touchstream::rules
