// Routes of the web console (docs/console.md) that are not plain engine lookups:
//   POST /rules/check   the body is one rule file (YAML); it is compiled against the engine's
//                       rule environment and never loaded. 200 {"ok":true,"rules":N} when it
//                       compiles; 422 {"ok":false,"errors":[{"line","column","message","text"}]}
//                       otherwise, where "text" is the diagnostic exactly as `touchstream rules
//                       check` prints it (file:line:col: error: message, the line, a caret).
//   POST /rules/save?file=NAME.yaml
//                       only with admin.console_writes: true (else 403 saying so): the body is
//                       checked as by /rules/check (422 with the same errors), written to NAME in
//                       the first configured rules folder, and every rule file is reloaded
//                       through the engine's reload path, all or nothing: when the new set is
//                       refused (a duplicate rule id in another file, ...) the file's previous
//                       content is put back (or the new file removed) and the answer is 422
//                       {"saved":false,"error","diagnostics"}; else 200 {"saved":true,"file",
//                       "rules":N}.
//   POST /rules/try?file=NAME.yaml
//                       "try on history": the candidate rule set (every rule file as on disk,
//                       with NAME in the first rules folder replaced by the body, or added)
//                       and the rules on disk are replayed on admin.console_history, and the
//                       answer is the replay diff (engine/workbench/replay_diff.h,
//                       ReplayDiffToJson). 422 with the errors as /rules/check when the body or
//                       the candidate set does not load (a rule id another file has); 409
//                       without a history file. Changes nothing: the `read` role. Runs on the
//                       admin server's thread, which answers nothing else meanwhile: keep the
//                       history small (a day or a sample of customers).
//   GET /rules          RuleListJson: the loaded rules with their trigger, condition, channels
//                       and policy settings.
// A check reads nothing and changes nothing, so it needs the `read` role; a save needs `admin`
// (admin_auth.h).
//
// Thread safety: stateless; may be called from any thread (the admin server's). SaveRuleFile
// must not run twice at once for one folder (the admin server handles one request at a time).
#pragma once

#include <prometheus/registry.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/core/clock.h"
#include "engine/ops/admin_server.h"
#include "rules/customer_models.h"
#include "rules/environment.h"
#include "rules/loader.h"
#include "rules/rule.h"

namespace touchstream::engine {

// The name posted rule text carries in diagnostics ("console.yaml:3:14: error: ...").
inline constexpr std::string_view kConsoleRuleFileName = "console.yaml";
// The largest rule file POST /rules/check and /rules/save accept; a larger body is 413.
inline constexpr size_t kMaxConsoleRuleBytes = 256 * 1024;

// Re-reads every rule file and hands the set to the engine, all or nothing (AdminApi's
// ReloadRules): the rule count, or the error with the diagnostics written to the stream.
using ConsoleReload = std::function<Result<size_t>(std::ostream& diagnostics)>;

// What the console's routes need beyond the rule environment; the defaults turn them off.
struct ConsoleOptions {
  // admin.console_writes: POST /rules/save may write and reload. Default false (403).
  bool writes = false;
  // The folder POST /rules/save writes into: the first of the config's `rules:` paths that is a
  // folder (FirstRulesFolder). Empty: none, and a save answers 409.
  std::string rules_folder;
  // The engine's metrics (EngineMetrics::registry()), read by GET /rules/stats and GET /stats
  // (console_stats.h); must outlive the API. Null: those routes answer 503.
  const prometheus::Registry* registry = nullptr;
  // Writes the impact report as `touchstream report impact --json` does, from the engine's own
  // state store; called on the processing thread by GET /impact. Null: 503.
  std::function<Status(std::ostream& out)> impact_report;
  // The config's customer-value models (MakeCustomerModels) and the clock they are read at:
  // GET /customers/<id>?models=true adds CustomerModelsJson. Null (no clv: section): the query
  // adds "models": null. Without a clock the models are read at the customer's last event.
  std::shared_ptr<const rules::CustomerModels> models;
  const Clock* clock = nullptr;
  // The config's `rules:` paths, read by POST /rules/try.
  std::vector<std::string> rules_paths;
  // Replays admin.console_history with `before` and with `after` and returns the diff as JSON
  // (ReplayDiffToJson). Null (no admin.console_history): POST /rules/try answers 409.
  std::function<Result<std::string>(std::shared_ptr<const rules::RuleSet> before,
                                    std::shared_ptr<const rules::RuleSet> after)>
      replay_diff;
  // Explains `customer_id` (only `rule_id` when not empty) from admin.console_history with
  // `rules`, as `touchstream explain` does, and returns ExplanationToJson. Null (no
  // admin.console_history): GET /explain/<id> answers 409.
  std::function<Result<std::string>(std::shared_ptr<const rules::RuleSet> rules,
                                    const std::string& customer_id, const std::string& rule_id)>
      explain;
};

// {"p_alive","expected_purchases","expected_spend","predicted_clv"} of `customer` at `now_ms`
// (customer.clv.* of the rules; null before the first purchase), or null without models.
nlohmann::json CustomerModelsJson(const rules::CustomerModels* models,
                                  const v1::CustomerState& customer, int64_t now_ms);

// The first entry of `rules_paths` that is an existing folder; empty when none is.
std::string FirstRulesFolder(const std::vector<std::string>& rules_paths);

// Answers POST /rules/check for `rule_text` (the request body) against `environment`.
AdminResponse CheckRuleText(std::string_view rule_text, const rules::RuleEnvironment& environment);

// Answers POST /rules/save for `file_name` (the query's `file`), `rule_text` (the body), as
// described above; `reload` is the engine's reload path.
AdminResponse SaveRuleFile(std::string_view file_name, std::string_view rule_text,
                           const rules::RuleEnvironment& environment, const ConsoleOptions& options,
                           const ConsoleReload& reload);

// The rules of `rules_paths` without those loaded from `replaced_file`, plus the rules of
// `rule_text` (named kConsoleRuleFileName in diagnostics): every error of either, or a
// duplicate rule id, makes it fail with those diagnostics.
rules::LoadResult LoadCandidateRules(const std::vector<std::string>& rules_paths,
                                     const std::string& replaced_file, std::string_view rule_text,
                                     const rules::RuleEnvironment& environment);

// Answers POST /rules/try for `file_name` (the query's `file`) and `rule_text` (the body).
AdminResponse TryRuleFile(std::string_view file_name, std::string_view rule_text,
                          const rules::RuleEnvironment& environment, const ConsoleOptions& options);

// Answers GET /explain/<customer_id>[?rule=<rule_id>]: the customer's timeline from the history
// with the rules on disk (those the engine loaded unless a reload was refused). 409 without a
// history, 404 for a rule id not loaded, 422 when the rules on disk do not load.
AdminResponse ExplainFromHistory(const std::string& customer_id, const std::string& rule_id,
                                 const rules::RuleEnvironment& environment,
                                 const ConsoleOptions& options);

// GET /rules: [{"id","version","enabled","file","line","description","priority","tags",
// "trigger","condition","channels","kinds","conversion","policy"}] in load order. "condition" is
// the canonical text of the expression (null when the rule has none); "channels" the channels
// of its emit actions in order of preference; "conversion" {"event_type","within_ms"} or null;
// "policy" the rule's delivery policy (durations in ms, 0 = no limit).
nlohmann::json RuleListJson(const rules::RuleSet& rules);

}  // namespace touchstream::engine
