#include "rules/template.h"

#include "rules/compiler.h"

namespace touchstream::rules {

std::optional<Template> CompileTemplate(std::string_view text, const ExprLocation& location,
                                        const CheckScope& scope, const RuleEnvironment& env,
                                        DiagnosticSink* sink) {
  Template result;
  result.source = std::string(text);
  const size_t errors_before = sink->error_count();
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open != pos) {
      const size_t end = open == std::string_view::npos ? text.size() : open;
      result.segments.push_back({std::string(text.substr(pos, end - pos)), nullptr});
      if (open == std::string_view::npos) break;
    }
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      sink->ErrorAt(location, static_cast<int>(open), "'{{' without a closing '}}'");
      return std::nullopt;
    }
    const size_t start = open + 2;
    const std::string_view inner = text.substr(start, close - start);
    if (inner.find_first_not_of(" \t\n") == std::string_view::npos) {
      sink->ErrorAt(location, static_cast<int>(open), "empty placeholder '{{ }}'");
    } else {
      std::shared_ptr<const Program> program =
          CompileExpression(inner, location.Sub(static_cast<int>(start)), scope, env, sink);
      if (program != nullptr) result.segments.push_back({std::string(), std::move(program)});
    }
    pos = close + 2;
  }
  if (sink->error_count() != errors_before) return std::nullopt;
  return result;
}

}  // namespace touchstream::rules
