#include "engine/cli/admin_setup.h"

#include <cstdlib>
#include <sstream>
#include <utility>

#include "engine/customer/clv_fields.h"
#include "engine/impact/impact_report.h"
#include "engine/workbench/explain.h"
#include "engine/workbench/replay_diff.h"

namespace touchstream::engine {

Result<AdminAccessSetup> SetUpAdminAccess(const EngineConfig& config, Logger* log) {
  auto tokens = LoadAdminTokens(config.admin.tokens_file, std::getenv("TOUCHSTREAM_ADMIN_TOKENS"));
  if (!tokens.ok()) return tokens.status();
  AdminAccessSetup setup;
  setup.have_tokens = !tokens->empty();
  const bool loopback = IsLoopbackAddress(config.admin.address);
  setup.access = std::make_unique<AdminAccess>(
      std::move(*tokens),
      loopback ? AdminAccess::WithoutTokens::kOpen : AdminAccess::WithoutTokens::kClosed, log);
  if (!setup.have_tokens && !config.admin.address.empty()) {
    log->Warn("run",
              loopback ? "admin API without tokens: every route is open to local users"
                       : "admin API without tokens: only /healthz and /readyz answer",
              {{"address", config.admin.address}});
  }
  return setup;
}

ConsoleOptions MakeConsoleOptions(const EngineConfig& config, const EngineMetrics& metrics,
                                  state::StateStore* impact_store, const Clock* clock,
                                  const std::string& history) {
  ConsoleOptions console;
  console.writes = config.admin.console_writes;
  console.rules_folder = FirstRulesFolder(config.rules_paths);
  console.registry = metrics.registry().get();
  console.impact_report = [impact_store](std::ostream& out) {
    return WriteImpactReport(impact_store, /*json=*/true, out);
  };
  console.models = MakeCustomerModels(config);
  console.clock = clock;
  console.rules_paths = config.rules_paths;
  if (!history.empty()) {
    console.replay_diff = [config, history](
                              std::shared_ptr<const rules::RuleSet> before,
                              std::shared_ptr<const rules::RuleSet> after) -> Result<std::string> {
      ReplayDiffOptions options;
      options.events_path = history;
      std::ostringstream rejected;  // counted in the diff's rejected_lines
      options.errors = &rejected;
      auto diff = DiffReplays(config, std::move(before), std::move(after), options);
      if (!diff.ok()) return diff.status();
      return ReplayDiffToJson(*diff);
    };
    console.explain = [config, history](std::shared_ptr<const rules::RuleSet> rules,
                                        const std::string& customer_id,
                                        const std::string& rule_id) -> Result<std::string> {
      ExplainOptions options;
      options.events_path = history;
      options.customer_id = customer_id;
      options.rule_id = rule_id;
      std::ostringstream rejected;  // lines the replay skips, as in the diff
      options.errors = &rejected;
      auto explanation = ExplainCustomer(config, std::move(rules), options);
      if (!explanation.ok()) return explanation.status();
      return ExplanationToJson(*explanation);
    };
  }
  return console;
}

}  // namespace touchstream::engine
