#include "engine/ops/console_routes.h"

#include <nlohmann/json.hpp>
#include <string>

#include "rules/loader.h"

namespace touchstream::engine {

AdminResponse CheckRuleText(std::string_view rule_text, const rules::RuleEnvironment& environment) {
  auto json = [](int status, const nlohmann::json& body) {
    return AdminResponse{status, body.dump() + "\n", "application/json"};
  };
  if (rule_text.size() > kMaxConsoleRuleBytes) {
    return json(413, {{"ok", false},
                      {"error", "the rule file is " + std::to_string(rule_text.size()) +
                                    " bytes; at most " + std::to_string(kMaxConsoleRuleBytes) +
                                    " are checked"}});
  }
  rules::LoadResult loaded =
      rules::LoadRulesFromString(rule_text, kConsoleRuleFileName, environment);
  if (loaded.ok()) return json(200, {{"ok", true}, {"rules", loaded.rule_set->size()}});
  nlohmann::json errors = nlohmann::json::array();
  for (const rules::Diagnostic& d : loaded.errors) {
    errors.push_back(
        {{"line", d.line}, {"column", d.column}, {"message", d.message}, {"text", d.ToString()}});
  }
  return json(422, {{"ok", false}, {"errors", errors}});
}

}  // namespace touchstream::engine
