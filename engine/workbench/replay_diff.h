// Replay diff: what a rule change would do to who gets what, measured by replaying the same
// history twice through the same engine (engine/runtime/replay.h), once with the current
// rules and once with the candidate ones, each on a fresh in-memory store.
//
// Exact, not an estimate: both replays are deterministic (stream time drives the clock), so
// every difference comes from the rules, directly (a changed condition or message) or through
// the delivery policy (a new rule taking a weekly cap slot suppresses another rule's send:
// the other rule shows the change, with the reason `cap:weekly`).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/config/config.h"
#include "engine/runtime/replay.h"
#include "rules/rule.h"

namespace touchstream::engine {

struct ReplayDiffOptions {
  std::string events_path;
  // After the last event the clock advances to this time (ms since the epoch); 0 = the last
  // event's time. As ReplayOptions::until_ms.
  int64_t until_ms = 0;
  // Affected customers kept per rule as a sample (the first ones by customer id).
  size_t sample_size = 10;
  // Where rejected input lines are reported (once, from the first replay); stderr when null.
  std::ostream* errors = nullptr;
  // Run the two replays on two threads (default true; each has its own store and metrics).
  bool concurrent = true;
};

// One decision of a rule for a customer, as a marketer reads it.
struct DiffDecision {
  int64_t ts_ms = 0;
  std::string outcome;  // FIRED, SUPPRESSED, HELD_OUT, NOT_MATCHED
  std::string reason;   // the reason code: fired, cap:weekly, holdout, ...
  std::string channel;  // of the action sent; empty unless FIRED
  std::string message;  // of the action sent; empty unless FIRED
};

// A customer whose decisions by one rule differ between the two replays: the first decision
// that differs, before and after (nullopt-like: has_* false when there is none on that side).
struct AffectedCustomer {
  std::string customer_id;
  // "newly gets it", "no longer gets it", "gets it differently" (time, channel or message
  // of a send), or "decided differently" (same sends, other decisions).
  std::string change;
  bool has_before = false;
  DiffDecision before;
  bool has_after = false;
  DiffDecision after;
};

// The difference for one rule id.
struct RuleDiff {
  std::string rule_id;
  // "added", "removed", "changed" (another version) or "unchanged" (affected, if at all,
  // through the policy only).
  std::string status;
  std::string version_before;  // empty when added
  std::string version_after;   // empty when removed
  int64_t actions_before = 0;
  int64_t actions_after = 0;
  // Decisions by "OUTCOME reason", e.g. "SUPPRESSED cap:weekly".
  std::map<std::string, int64_t> decisions_before;
  std::map<std::string, int64_t> decisions_after;
  int64_t customers_new = 0;        // got no send before, get one now
  int64_t customers_lost = 0;       // got one before, get none now
  int64_t customers_changed = 0;    // sends at another time, channel or message
  int64_t customers_redecided = 0;  // same sends, other decisions (e.g. held out vs suppressed)
  std::vector<AffectedCustomer> sample;  // at most ReplayDiffOptions::sample_size

  // True when anything differs (status, counts or customers).
  bool Differs() const;
};

struct ReplayDiff {
  ReplayStats before;
  ReplayStats after;
  // Every rule id of either rule set, sorted by id.
  std::vector<RuleDiff> rules;
};

// Replays options.events_path through `before` and through `after` with `config` and diffs
// the results. Errors: those of Replay (an unreadable events file, a failing store).
Result<ReplayDiff> DiffReplays(const EngineConfig& config,
                               std::shared_ptr<const rules::RuleSet> before,
                               std::shared_ptr<const rules::RuleSet> after,
                               const ReplayDiffOptions& options);

// The whole diff as one JSON object (the form `touchstream replay --diff-rules --json`
// prints and the console reads): {"events", "rules": [{"rule_id", "status", ...}]}. Text that
// is not UTF-8 is written with U+FFFD.
std::string ReplayDiffToJson(const ReplayDiff& diff);

// The diff as text for a terminal: the rules that differ, each with its counts and sample,
// then one line naming the rules with no difference.
void PrintReplayDiff(const ReplayDiff& diff, std::ostream& out);

// "FIRED fired 2026-01-05T10:00:00Z email: \"Thanks…\"", the way both outputs name a decision.
std::string DescribeDiffDecision(const DiffDecision& d);

}  // namespace touchstream::engine
