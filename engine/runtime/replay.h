// Replay: the engine core run offline over a JSON Lines file of events, with no Kafka.
//
// Deterministic: event time drives the clock ("now" is the largest event time seen so far,
// i.e. stream time), and a timer fires at its own time, before the first event later than it
// (an event at exactly a timer's time comes first, so "within 2h" includes the deadline).
// Actions are written as JSON Lines in processing order, and the same input always yields
// the same output byte for byte. Bad lines are reported with their line
// number and skipped (counted as dead letters), like the dead-letter topic in `run`.
//
// Housekeeping by stream time, before each event (and once after the last): with
// rfm.scoring quantiles the breakpoints are recomputed from the store whenever
// floor(stream time / rfm.refresh) changes; with state.retention the whole store is swept for
// expired customers whenever the stream-time day (UTC) changes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/config/config.h"
#include "engine/core/rule_runner.h"
#include "engine/ops/metrics.h"
#include "rules/rule.h"
#include "state/state_store.h"

namespace touchstream::engine {

struct ReplayOptions {
  std::string events_path;
  // JSON Lines of actions; required unless on_action is set.
  std::string actions_out;
  // JSON Lines of decisions; optional.
  std::string decisions_out;
  // When set, each action (its JSON line) goes here instead of to actions_out; a non-OK
  // status stops the replay with it.
  std::function<Status(std::string_view)> on_action;
  // When set, each decision (its JSON line) goes here instead of to decisions_out.
  std::function<Status(std::string_view)> on_decision;
  // When set, every rule run for customer `observe_customer` is told to it, condition false
  // included (RuleRunner::ObserveConditions).
  std::string observe_customer;
  ConditionObserver on_condition;
  // Where dead-letter lines are reported (file:line: reason); stderr when null.
  std::ostream* errors = nullptr;
  // After the last event, the clock advances to this time (ms since the epoch) and the timers
  // due by then fire; 0 = the last event's time.
  int64_t until_ms = 0;
};

struct ReplayStats {
  int64_t events = 0;
  int64_t timers_fired = 0;
  int64_t dead_letters = 0;
  int64_t actions = 0;
  int64_t decisions = 0;
};

// Replays events through `rules`, keeping state in `store` (in-memory or RocksDB).
Result<ReplayStats> Replay(const EngineConfig& config, std::shared_ptr<const rules::RuleSet> rules,
                           state::StateStore* store, EngineMetrics* metrics,
                           const ReplayOptions& options);

}  // namespace touchstream::engine
