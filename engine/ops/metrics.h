// EngineMetrics: the Prometheus metrics of one engine instance (all named touchstream_*, and the
// standard process_* ones of ProcessCollector).
//
// Owns a prometheus::Registry and the process collector; serving them over HTTP is
// MetricsServer's job (collectables()), so replay and tests can count without a port. Label lookups
// are cached: per-event calls cost a hash lookup and an atomic add. Not thread-safe for the cached
// lookups: call from the processing thread; the registry itself may be scraped concurrently.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/ops/lag_metrics.h"
#include "engine/ops/process_metrics.h"
#include "engine/ops/store_metrics.h"
#include "state/store_stats.h"

namespace touchstream::engine {

class EngineMetrics {
 public:
  EngineMetrics();

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  // What a scrape serves: the registry and the process collector.
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables() const {
    return {registry_, process_};
  }

  void EventConsumed(std::string_view type) {
    Cached(consumed_by_type_, *consumed_, "type", type).Increment();
  }
  void EventRejected(std::string_view reason) {
    Cached(rejected_by_reason_, *rejected_, "reason", reason).Increment();
  }
  void RuleEvaluated(std::string_view rule) {
    Cached(evaluated_by_rule_, *evaluated_, "rule", rule).Increment();
  }
  void RuleFired(std::string_view rule) {
    Cached(fired_by_rule_, *fired_, "rule", rule).Increment();
  }
  void RuleError(std::string_view rule) {
    Cached(errors_by_rule_, *rule_errors_, "rule", rule).Increment();
  }
  void TimerFired(std::string_view kind) {
    Cached(timers_fired_by_kind_, *timers_fired_, "kind", kind).Increment();
  }
  void TimerDropped(std::string_view reason) {
    Cached(timers_dropped_by_reason_, *timers_dropped_, "reason", reason).Increment();
  }
  void RaiseRefused(std::string_view rule) {
    Cached(raises_refused_by_rule_, *raises_refused_, "rule", rule).Increment();
  }
  void ActionProduced(std::string_view channel) {
    Cached(actions_by_channel_, *actions_, "channel", channel).Increment();
  }
  // An event a windowed aggregate ignored because it was older than the lateness allows
  // (aggregate: the declared name, or "rfm" for RFM's purchase window).
  void WindowLateEvent(std::string_view aggregate) {
    Cached(late_by_aggregate_, *window_late_, "aggregate", aggregate).Increment();
  }
  // A decision of `rule` (touchstream_decisions_total): `outcome` as in Decision JSON ("fired",
  // "suppressed", ...), the reason code of `reason` (the text before any ": " detail, so
  // "eval_error: ..." counts as "eval_error" and "cap:weekly" stays whole).
  void DecisionRecorded(std::string_view rule, std::string_view outcome, std::string_view reason);
  // An event older than the customer's latest event (applied out of order).
  void EventOutOfOrder() { out_of_order_->Increment(); }
  // An input event its customer's state had already applied (skipped; engine/core/
  // input_position.h).
  void InputAlreadyApplied() { input_already_applied_->Increment(); }
  // An input message whose Kafka key is not its event's customer id (processed all the same).
  void InputKeyMismatch() { input_key_mismatch_->Increment(); }
  // Changelog records read and applied while restoring assigned partitions.
  void ChangelogRestored(double read, double applied) {
    changelog_read_->Increment(read);
    changelog_applied_->Increment(applied);
  }
  // Records a restore took from a standby copy instead of reading the changelog.
  void ChangelogFromStandby(double records) { changelog_from_standby_->Increment(records); }
  // Changelog records copied into the standby store. Thread-safe (the standby tailer's thread).
  void StandbyApplied(double records) { standby_applied_->Increment(records); }
  // The gauge of the changelog offset up to which the standby copy of `partition` is current
  // (-1 while the partition is owned, not tailed). Call from the processing thread; the gauge
  // may then be set from any thread.
  prometheus::Gauge* StandbyCheckpoint(int32_t partition);
  // A failed evaluation of the value_tiers score (the value state is left as it was).
  void ValueScoreError() { value_score_errors_->Increment(); }
  void RulesReloaded(bool accepted) { (accepted ? reload_ok_ : reload_refused_)->Increment(); }

  void ObserveProcessingSeconds(double s) { processing_latency_->Observe(s); }
  void ObserveCommitSeconds(double s) { commit_latency_->Observe(s); }
  void SetOutboxDepth(double n) { outbox_depth_->Set(n); }
  void SetAssignedPartitions(double n) { assigned_partitions_->Set(n); }
  void SetRestoringPartitions(double n) { restoring_partitions_->Set(n); }
  void SetRulesLoaded(double n) { rules_loaded_->Set(n); }
  // A produce or delivery failed; `failure_class` is connectors::DeliveryFailureName's.
  void DeliveryFailed(std::string_view failure_class) {
    Cached(delivery_failures_by_class_, *delivery_failures_, "class", failure_class).Increment();
  }
  // A message that can never be delivered went to output.actions_dead_letter_topic.
  void ActionDeadLettered(std::string_view reason) {
    Cached(actions_dead_lettered_by_reason_, *actions_dead_lettered_, "reason", reason).Increment();
  }
  // Messages held back because their topic is missing or not authorized (0 when it is back).
  void SetTopicHeld(const std::string& topic, double messages);
  // A commit to the state store failed (the pipeline pauses and retries).
  void CommitFailed() { commit_failures_->Increment(); }
  // 1 while the state store accepts commits, 0 while commits fail.
  void SetStoreHealthy(bool healthy) { store_healthy_->Set(healthy ? 1 : 0); }
  // 1 while a broker is reachable, 0 while every broker is down.
  void SetBrokerUp(bool up) { broker_up_->Set(up ? 1 : 0); }
  // A timer round stopped at processing.timer_round_ms with timers still due.
  void TimerRoundCut() { timer_rounds_cut_->Increment(); }
  // Customers expired by state.retention; customers erased by an erase event or the admin API.
  void CustomerExpired() { customers_expired_->Increment(); }
  void CustomerErasedByEvent() { erased_by_event_->Increment(); }
  void CustomerErasedByAdmin() { erased_by_admin_->Increment(); }
  double customers_expired() const { return customers_expired_->Value(); }
  double customers_erased_by_event() const { return erased_by_event_->Value(); }
  double customers_erased_by_admin() const { return erased_by_admin_->Value(); }
  // An input record was processed (its Kafka timestamp feeds the event-time lag).
  void InputRecordProcessed(const std::string& topic, int32_t partition, int64_t timestamp_ms) {
    partition_lag_.RecordProcessed(topic, partition, timestamp_ms);
  }
  // touchstream_consumer_lag and touchstream_event_time_lag_seconds of the assigned partitions
  // at wall-clock now_ms; those of partitions no longer assigned go (PartitionLagMetrics).
  void SetPartitionLag(const std::vector<PartitionLagMetrics::PartitionLag>& assigned,
                       int64_t now_ms) {
    partition_lag_.Update(assigned, now_ms);
  }
  // The state store's resource use (touchstream_store_*; StoreMetrics).
  void SetStoreStats(const state::StoreStats& stats) { store_.Set(stats); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using CounterCache =
      std::unordered_map<std::string, prometheus::Counter*, StringHash, std::equal_to<>>;
  static prometheus::Counter& Cached(CounterCache& cache,
                                     prometheus::Family<prometheus::Counter>& family,
                                     const char* label, std::string_view value);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* consumed_;
  prometheus::Family<prometheus::Counter>* rejected_;
  prometheus::Family<prometheus::Counter>* evaluated_;
  prometheus::Family<prometheus::Counter>* fired_;
  prometheus::Family<prometheus::Counter>* rule_errors_;
  prometheus::Family<prometheus::Counter>* actions_;
  prometheus::Family<prometheus::Counter>* timers_fired_;
  prometheus::Family<prometheus::Counter>* timers_dropped_;
  prometheus::Family<prometheus::Counter>* raises_refused_;
  prometheus::Family<prometheus::Counter>* window_late_;
  prometheus::Family<prometheus::Counter>* decisions_;
  prometheus::Counter* out_of_order_;
  prometheus::Counter* input_already_applied_;
  prometheus::Counter* input_key_mismatch_;
  prometheus::Counter* changelog_read_;
  prometheus::Counter* changelog_applied_;
  prometheus::Counter* changelog_from_standby_;
  prometheus::Counter* standby_applied_;
  prometheus::Family<prometheus::Gauge>* standby_checkpoint_;
  prometheus::Counter* value_score_errors_;
  prometheus::Counter* reload_ok_;
  prometheus::Counter* reload_refused_;
  prometheus::Family<prometheus::Counter>* delivery_failures_;
  prometheus::Family<prometheus::Counter>* actions_dead_lettered_;
  prometheus::Family<prometheus::Gauge>* topic_held_;
  prometheus::Counter* commit_failures_;
  prometheus::Counter* timer_rounds_cut_;
  prometheus::Gauge* store_healthy_;
  prometheus::Gauge* broker_up_;
  prometheus::Counter* customers_expired_;
  prometheus::Counter* erased_by_event_;
  prometheus::Counter* erased_by_admin_;
  prometheus::Histogram* processing_latency_;
  prometheus::Histogram* commit_latency_;
  prometheus::Gauge* outbox_depth_;
  prometheus::Gauge* assigned_partitions_;
  prometheus::Gauge* restoring_partitions_;
  prometheus::Gauge* rules_loaded_;
  CounterCache consumed_by_type_, rejected_by_reason_, evaluated_by_rule_, fired_by_rule_,
      errors_by_rule_, actions_by_channel_, timers_fired_by_kind_, timers_dropped_by_reason_,
      raises_refused_by_rule_, late_by_aggregate_;
  // touchstream_decisions_total by "rule\x1foutcome\x1freason"; decision_key_ is the reused
  // buffer the key is built in (no allocation once its capacity suffices).
  CounterCache decisions_by_key_;
  CounterCache delivery_failures_by_class_, actions_dead_lettered_by_reason_;
  std::string decision_key_;
  StoreMetrics store_;
  PartitionLagMetrics partition_lag_;
  std::shared_ptr<ProcessCollector> process_;
};

}  // namespace touchstream::engine
