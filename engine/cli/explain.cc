// touchstream explain --config FILE --events FILE.jsonl CUSTOMER [RULE] [--json]
#include "engine/workbench/explain.h"

#include <iostream>

#include "base/time_format.h"
#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/runtime/engine_setup.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int ExplainCommand(int argc, char** argv) {
  std::string config_path, until;
  ExplainOptions explain;
  po::options_description options("explain options");
  options.add_options()("config,c", po::value(&config_path)->required(),
                        "engine configuration (YAML)")(
      "events,e", po::value(&explain.events_path)->required(), "the history to replay, JSON Lines")(
      "customer", po::value(&explain.customer_id)->required(),
      "the customer to explain (first positional argument)")(
      "rule", po::value(&explain.rule_id), "only this rule (second positional argument)")(
      "until", po::value(&until),
      "after the last event, advance the clock to this RFC 3339 time and fire the timers due")(
      "json", "print the explanation as one JSON object");
  po::positional_options_description positional;
  positional.add("customer", 1).add("rule", 1);
  po::variables_map vm;
  if (auto exit = ParseCommandLine(
          argc, argv, "touchstream explain --config FILE --events F.jsonl CUSTOMER [RULE] [--json]",
          options, &positional, &vm)) {
    return *exit;
  }
  if (!until.empty()) {
    const std::optional<int64_t> parsed = ParseRfc3339Ms(until);
    if (!parsed) {
      std::cerr << "touchstream: --until: expected an RFC 3339 time such as "
                   "2026-03-01T00:00:00Z, got '"
                << until << "'\n";
      return 2;
    }
    explain.until_ms = *parsed;
  }
  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
  auto rules = LoadRuleSet(*config, std::cerr);
  if (!rules.ok()) {
    std::cerr << "touchstream: " << rules.status().message() << "\n";
    return 1;
  }
  auto explanation = ExplainCustomer(*config, *rules, explain);
  if (!explanation.ok()) {
    std::cerr << "touchstream: " << explanation.status().ToString() << "\n";
    return 1;
  }
  if (vm.count("json")) {
    std::cout << ExplanationToJson(*explanation) << "\n";
  } else {
    PrintExplanation(*explanation, std::cout);
  }
  return 0;
}

}  // namespace touchstream::engine
