// Explain: why a customer did or didn't get a rule's message, told from a replay of their
// history (engine/runtime/replay.h) with the configured rules.
//
// The timeline lists each of the customer's events, each rule that listened with whether its
// condition held and the values the deciding comparisons read
// ("customer.aggregates.total_spend = 182.4 >= 200: false"), and for a rule whose condition
// held the delivery policy's decision (eligibility, consent and channel, caps, arbitration,
// quiet hours, holdout) in words. Rules that the event's own properties rule out before
// evaluation (rules/rule_index.h) do not listen and are not listed.
//
// Only the explained customer's rule runs are observed (RuleRunner::ObserveConditions); the
// replay is otherwise the plain one, so the decisions are exactly those of `replay`.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/config/config.h"
#include "rules/rule.h"

namespace touchstream::engine {

struct ExplainOptions {
  std::string events_path;
  std::string customer_id;
  // Only this rule's runs and decisions; empty = every rule.
  std::string rule_id;
  // As ReplayOptions::until_ms.
  int64_t until_ms = 0;
  // Where rejected input lines are reported; stderr when null.
  std::ostream* errors = nullptr;
};

// One line of the timeline: an event of the customer, or one rule's run on it.
struct ExplainedStep {
  int64_t ts_ms = 0;
  // "event": event_id and event_type are set. "rule": the rest.
  std::string kind;
  std::string event_id;
  std::string event_type;
  std::string rule_id;
  std::string trigger;  // what made the rule run, e.g. "event:purchase", "timer:reminder"
  bool condition_held = false;
  std::vector<std::string> comparisons;
  // The decision (empty outcome when the condition did not hold: no decision is made).
  std::string outcome;
  std::string reason;
  std::string channel;
  std::string message;
  std::string experiment_arm;
  // The whole step in words a marketer reads.
  std::string words;
};

struct Explanation {
  std::string customer_id;
  std::string rule_id;  // as asked; empty = every rule
  std::vector<ExplainedStep> timeline;
  // The ending: what the customer got from the rule (or from the rules), in words.
  std::string verdict;
};

// Replays options.events_path through `rules` with `config` and explains options.customer_id.
// Errors: those of Replay; NotFound when the rule id is not in `rules`.
Result<Explanation> ExplainCustomer(const EngineConfig& config,
                                    std::shared_ptr<const rules::RuleSet> rules,
                                    const ExplainOptions& options);

// The explanation as one JSON object: {"customer_id", "rule_id", "timeline": [...], "verdict"}.
// Text that is not UTF-8 (a customer id typed on the command line) is written with U+FFFD.
std::string ExplanationToJson(const Explanation& explanation);

// The explanation as text: one line per event, indented lines per rule run, then the verdict.
void PrintExplanation(const Explanation& explanation, std::ostream& out);

// A decision's reason code in words, e.g. "cap:weekly" -> "not sent: the weekly cap was full".
std::string ReasonInWords(const std::string& outcome, const std::string& reason);

}  // namespace touchstream::engine
