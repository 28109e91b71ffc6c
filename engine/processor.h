// EventProcessor: the engine core shared by `run` (Kafka) and `replay` (files).
//
// For each input message: decode and validate (bad input becomes a dead-letter message) →
// load the customer's state through the write-back cache → update the built-in aggregates →
// evaluate the rules listening to the event's type → render actions and decision records.
// Everything it wants produced is appended to an output vector of outbox entries; the caller
// commits those together with the state and the input offsets, then produces them. The
// processor itself performs no I/O beyond the cache's loads.
//
// Not thread-safe: one processor per processing thread. SetRules may be called between events.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connectors/codec.h"
#include "connectors/kafka_record.h"
#include "engine/config.h"
#include "engine/metrics.h"
#include "proto/status.h"
#include "rules/evaluator.h"
#include "rules/rule.h"
#include "state/customer_cache.h"
#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// Which clock is "now" for the rules.
enum class TimeMode {
  // The now_ms the caller passes (wall-clock time in `run`).
  kProcessingTime,
  // Stream time: the largest event time seen so far; now_ms arguments are ignored (`replay`).
  kStreamTime,
};

class EventProcessor {
 public:
  // `cache` and `metrics` must outlive the processor.
  EventProcessor(const EngineConfig& config, state::CustomerCache* cache, EngineMetrics* metrics,
                 TimeMode time_mode = TimeMode::kProcessingTime);

  // Rules used from the next event on. Null means no rules.
  void SetRules(std::shared_ptr<const rules::RuleSet> rules);
  const std::shared_ptr<const rules::RuleSet>& rules() const { return rules_; }

  // Decodes and validates one input message, then processes it as ProcessEvent does. A message
  // that is too large, undecodable, or lacks a customer id or type becomes a dead-letter entry
  // (headers name the reason and the source topic/partition/offset) and is counted. Missing
  // event ids are derived from topic/partition/offset; a missing event time is taken from the
  // message timestamp. Returns non-ok only for state-store failures (the caller must stop).
  Status ProcessRecord(const connectors::SourceRecord& record, int64_t now_ms,
                       std::vector<v1::OutboxEntry>* out);

  // Processes one valid event. now_ms is "now" for the rules in kProcessingTime mode.
  Status ProcessEvent(const v1::TouchpointEvent& event, int64_t now_ms,
                      std::vector<v1::OutboxEntry>* out);

 private:
  void DeadLetter(const connectors::SourceRecord& record, const std::string& reason,
                  const std::string& message, std::vector<v1::OutboxEntry>* out);
  void RunRule(const rules::Rule& rule, const rules::EvalContext& ctx, v1::CustomerState* state,
               std::vector<v1::OutboxEntry>* out);
  void EmitDecision(v1::Decision decision, std::vector<v1::OutboxEntry>* out);

  const EngineConfig& config_;
  state::CustomerCache* cache_;
  EngineMetrics* metrics_;
  std::shared_ptr<const rules::RuleSet> rules_;
  rules::Evaluator evaluator_;
  connectors::Format input_format_;
  bool input_format_auto_;
  connectors::Format output_format_;
  TimeMode time_mode_;
  int64_t stream_time_ms_ = 0;
};

}  // namespace touchstream::engine
