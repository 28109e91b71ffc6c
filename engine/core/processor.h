// EventProcessor: the engine core shared by `run` (Kafka) and `replay` (files).
//
// For each input message: decode and validate (bad input becomes a dead-letter message) →
// load the customer's state through the write-back cache → update the built-in aggregates,
// windows, satisfaction, loyalty, history, value tier and the lifecycle stage → run the rules
// listening to the event's type by trigger kind → render actions and decision records. Timed
// triggers arm per-customer timers; the caller reads due timers from the store and hands them to
// FireTimer. Everything to produce is appended to an output vector of outbox entries, and timer
// changes are collected for AddChangesTo; the caller commits both with the states and input
// offsets, then produces. The processor itself performs no I/O beyond the cache's loads.
//
// Not thread-safe: one processor per processing thread. SetRules may be called between events.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "connectors/codec.h"
#include "connectors/kafka_record.h"
#include "engine/config/config.h"
#include "engine/core/customer_timers.h"
#include "engine/core/rule_runner.h"
#include "engine/customer/value_tiers.h"
#include "engine/ops/metrics.h"
#include "engine/policy/delivery_policy.h"
#include "rules/evaluator.h"
#include "rules/rule.h"
#include "state/customer_analytics.h"
#include "state/customer_cache.h"
#include "state/customer_erasure.h"
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

  // The input partition a customer id belongs to (kafka.partitioner over the input's partition
  // count), when the caller knows it: a message keyed by its customer id that arrived on another
  // partition (its producer used another partitioner) is then a key mismatch too (reason
  // `partition_mismatch`). Without it, only the key is compared.
  void SetPartitionOfCustomer(std::function<int32_t(std::string_view)> partition_of) {
    partition_of_customer_ = std::move(partition_of);
  }
  const std::shared_ptr<const rules::RuleSet>& rules() const { return rules_; }

  // Decodes and validates one input message, then processes it as ProcessEvent does. A message
  // that is too large, undecodable, or lacks a customer id or type becomes a dead-letter entry
  // (headers name the reason and the source topic/partition/offset) and is counted. Missing
  // event ids are derived from topic/partition/offset; a missing event time is taken from the
  // message timestamp. A record the customer's state already applied (an offset at or below its
  // last_input on the same topic partition) is skipped and counted; otherwise the record becomes
  // the state's last_input (except for an erasure). A Kafka key other than the customer id is
  // counted (touchstream_input_key_mismatch_total); the event is then processed all the same,
  // or dead-lettered (reason key_mismatch) with processing.key_mismatch: dead_letter.
  // Returns non-ok only for state-store failures (the caller must stop).
  Status ProcessRecord(const connectors::SourceRecord& record, int64_t now_ms,
                       std::vector<v1::OutboxEntry>* out);

  // The decoding and validation half of ProcessRecord: the event, or nullopt after appending
  // a dead-letter entry to *out.
  std::optional<v1::TouchpointEvent> DecodeRecord(const connectors::SourceRecord& record,
                                                  std::vector<v1::OutboxEntry>* out);

  // Processes one valid event. An event of type config.state.erase_event_type erases its
  // customer (EraseCustomer; counted, nothing else happens). A customer whose last activity is
  // older than config.state.retention as of "now" is expired first (erased and counted), so the
  // event starts a fresh state. Then: built-in aggregates and lifecycle, then every rule
  // listening to its type by trigger kind (event and sequence rules fire, absence / inactivity /
  // schedule / date rules arm or cancel timers, threshold rules test their edge), then the events
  // rules raised and the stage / tier transitions, each dispatched the same way. now_ms is "now" in
  // kProcessingTime mode.
  Status ProcessEvent(const v1::TouchpointEvent& event, int64_t now_ms,
                      std::vector<v1::OutboxEntry>* out);

  // Fires one timer read from the store (StateStore::DueTimers). In kStreamTime mode "now" is
  // the timer's fire time. A timer the customer's state no longer holds at that time (replaced
  // or cancelled), or whose rule is gone or inactive, is dropped and counted; so is the timer of
  // a customer expired by retention at that time (who is then erased). A timer holding actions
  // deferred by quiet hours sends them (DeliveryPolicy::SendDeferred).
  Status FireTimer(const v1::Timer& timer, int64_t now_ms, std::vector<v1::OutboxEntry>* out);

  // Erases every trace of a customer (right to be forgotten, retention): the state through the
  // write-back cache (deleted by the next commit; a later event starts afresh), every armed
  // timer (deleted in the same commit), and the entries of *out keyed by the customer (produced
  // since the last commit). Committed but unacknowledged outbox entries are the caller's: it
  // learns the erased customers from TakeErasedCustomers. Counts nothing in the metrics.
  // Errors: the store's (loading the state).
  Result<state::ErasureCounts> EraseCustomer(std::string_view customer_id,
                                             std::vector<v1::OutboxEntry>* out);
  // The customers erased since the last call (by event, EraseCustomer or retention), in order.
  std::vector<std::string> TakeErasedCustomers() { return std::exchange(erased_, {}); }

  // RFM breakpoints computed from the whole store (quantile scoring), used from the next
  // event on.
  // Every rule run for `customer_id` is also told to `observer` (RuleRunner::ObserveConditions).
  void ObserveConditions(std::string customer_id, ConditionObserver observer) {
    runner_.ObserveConditions(std::move(customer_id), std::move(observer));
  }
  void SetRfmBreakpoints(const state::RfmBreakpoints& breakpoints) {
    analytics_.SetRfmBreakpoints(breakpoints);
  }

  // Adds every change made since the last ChangesCommitted to `batch`: the cache's dirty
  // states, the timer changes and the impact counter changes, so that they commit together
  // (with the caller's offsets and outbox entries). Nothing is forgotten until
  // ChangesCommitted: after a failed commit the next AddChangesTo adds the same changes again
  // with any made since. Erased customers are reported separately (TakeErasedCustomers).
  void AddChangesTo(state::CommitBatch* batch) const;
  // The batch of the last AddChangesTo was durably committed: the changes are forgotten and
  // the cache trimmed.
  void ChangesCommitted();
  // The earliest fire time armed since the last ResetEarliestArmedTimer (max int64 when none).
  int64_t earliest_armed_timer_ms() const { return timers_.earliest_armed_ms(); }
  // Forgets it: call after reading the earliest timer from the store once every change has
  // been committed (TimerDriver::Refresh).
  void ResetEarliestArmedTimer() { timers_.ResetEarliestArmed(); }

 private:
  // ProcessEvent with the trigger time freshness counts from (Step::trigger_ms).
  Status Process(const v1::TouchpointEvent& event, int64_t now_ms, int64_t trigger_ms,
                 std::vector<v1::OutboxEntry>* out);
  void Dispatch(const v1::TouchpointEvent& event, int depth, std::string_view reference,
                Step* step);
  // Dispatches the step's internal events, then stage and tier transitions, until quiet.
  void Settle(std::string_view cause, const std::string& tier_before, Step* step);
  void AdvanceSequence(const rules::Rule& rule, const rules::SequenceTrigger& trigger,
                       const v1::TouchpointEvent& event, const TriggerRef& ref, Step* step);
  void ArmRuleTimer(const rules::Rule& rule, const std::string& name, int64_t fire_ms,
                    const v1::TouchpointEvent& event, Step* step);
  void ArmDate(const rules::Rule& rule, const rules::DateTrigger& trigger,
               const v1::TouchpointEvent& event, Step* step, bool force);
  void ArmLifecycleTimer(const v1::TouchpointEvent& cause, Step* step);
  // Erases the customer when its last activity is older than the retention as of now_ms.
  Result<bool> ExpireIfStale(const v1::CustomerState& state, int64_t now_ms,
                             std::vector<v1::OutboxEntry>* out);
  void DeadLetter(const connectors::SourceRecord& record, const std::string& reason,
                  const std::string& message, std::vector<v1::OutboxEntry>* out);

  const EngineConfig& config_;
  state::CustomerCache* cache_;
  EngineMetrics* metrics_;
  std::shared_ptr<const rules::RuleSet> rules_;
  // Dispatch's candidate rules for the event it dispatches (Dispatch does not nest).
  rules::RuleCandidates candidates_;
  state::CustomerAnalytics analytics_;
  RuleRunner runner_;
  ValueTiers value_tiers_;
  CustomerTimers timers_;
  DeliveryPolicy policy_;
  connectors::Format input_format_;
  bool input_format_auto_;
  bool dead_letter_key_mismatch_;
  std::function<int32_t(std::string_view)> partition_of_customer_;
  TimeMode time_mode_;
  int64_t stream_time_ms_ = 0;
  // Lifecycle timers are armed only when some rule listens to stage changes.
  bool has_stage_rules_ = false;
  std::vector<std::string> erased_;
};

}  // namespace touchstream::engine
