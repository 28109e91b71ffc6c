#include "engine/ops/metrics.h"

#include <prometheus/counter.h>

namespace touchstream::engine {

namespace {

prometheus::Family<prometheus::Counter>* CounterFamily(prometheus::Registry& registry,
                                                       const std::string& name,
                                                       const std::string& help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  // 1 µs .. ~4 s, doubling.
  prometheus::Histogram::BucketBoundaries buckets;
  for (double b = 1e-6; b < 5.0; b *= 2) buckets.push_back(b);
  return buckets;
}

}  // namespace

EngineMetrics::EngineMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      store_(*registry_),
      partition_lag_(*registry_),
      process_(std::make_shared<ProcessCollector>()) {
  auto& r = *registry_;
  consumed_ = CounterFamily(r, "touchstream_events_consumed_total",
                            "Input events processed, by event type.");
  rejected_ = CounterFamily(r, "touchstream_events_rejected_total",
                            "Input messages sent to the dead-letter topic, by reason.");
  evaluated_ = CounterFamily(
      r, "touchstream_rules_evaluated_total",
      "Rule conditions evaluated, by rule id (rules the rule index skips are not counted).");
  fired_ = CounterFamily(r, "touchstream_rules_fired_total", "Rules that fired, by rule id.");
  rule_errors_ = CounterFamily(
      r, "touchstream_rule_errors_total",
      "Run-time errors in rule conditions or templates (treated as false), by rule id.");
  timers_fired_ = CounterFamily(r, "touchstream_timers_fired_total",
                                "Timers fired, by kind (rule or lifecycle).");
  timers_dropped_ = CounterFamily(
      r, "touchstream_timers_dropped_total",
      "Timers not armed or not acted on, by reason (limit, stale, rule_gone, inactive).");
  raises_refused_ =
      CounterFamily(r, "touchstream_raise_refused_total",
                    "Events a rule raised beyond processing.max_raise_depth, by rule.");
  actions_ = CounterFamily(r, "touchstream_actions_produced_total",
                           "Actions delivered to Kafka, by channel.");
  auto& reloads = prometheus::BuildCounter()
                      .Name("touchstream_rule_reloads_total")
                      .Help("Rule set loads, by result (accepted or refused).")
                      .Register(r);
  reload_ok_ = &reloads.Add({{"result", "accepted"}});
  reload_refused_ = &reloads.Add({{"result", "refused"}});
  window_late_ = CounterFamily(
      r, "touchstream_window_late_events_total",
      "Events a windowed aggregate ignored as later than the lateness allows, by aggregate.");
  decisions_ =
      CounterFamily(r, "touchstream_decisions_total",
                    "Decisions recorded, by rule, outcome and reason code (the reason before any "
                    "\": \" detail).");
  out_of_order_ =
      &prometheus::BuildCounter()
           .Name("touchstream_events_out_of_order_total")
           .Help("Events older than their customer's latest event (applied out of order).")
           .Register(r)
           .Add({});
  input_already_applied_ =
      &prometheus::BuildCounter()
           .Name("touchstream_input_already_applied_total")
           .Help("Input events skipped because their customer's state had already applied them.")
           .Register(r)
           .Add({});
  input_key_mismatch_ =
      &prometheus::BuildCounter()
           .Name("touchstream_input_key_mismatch_total")
           .Help("Input messages whose Kafka key differs from the event's customer_id.")
           .Register(r)
           .Add({});
  auto& changelog_records = prometheus::BuildCounter()
                                .Name("touchstream_changelog_restore_records_total")
                                .Help(
                                    "Changelog records read while restoring partitions, and "
                                    "those applied to the store.")
                                .Register(r);
  changelog_read_ = &changelog_records.Add({{"outcome", "read"}});
  changelog_applied_ = &changelog_records.Add({{"outcome", "applied"}});
  changelog_from_standby_ =
      &prometheus::BuildCounter()
           .Name("touchstream_changelog_restore_from_standby_total")
           .Help("Keys a restore took from a standby copy instead of reading the changelog.")
           .Register(r)
           .Add({});
  standby_applied_ = &prometheus::BuildCounter()
                          .Name("touchstream_standby_records_total")
                          .Help("Changelog records copied into the standby store.")
                          .Register(r)
                          .Add({});
  standby_checkpoint_ = &prometheus::BuildGauge()
                             .Name("touchstream_standby_checkpoint")
                             .Help(
                                 "Changelog offset up to which the standby copy of a partition "
                                 "is current; -1 while the partition is owned.")
                             .Register(r);
  value_score_errors_ =
      &prometheus::BuildCounter()
           .Name("touchstream_value_score_errors_total")
           .Help("Failed evaluations of the value_tiers score (the customer's value is unchanged).")
           .Register(r)
           .Add({});
  delivery_failures_ = &prometheus::BuildCounter()
                            .Name("touchstream_delivery_failures_total")
                            .Help(
                                "Failed produces and delivery reports, by class: retriable "
                                "(re-sent with backoff), message (dead-lettered), topic (held "
                                "back), fatal (producer recreated).")
                            .Register(r);
  actions_dead_lettered_ = &prometheus::BuildCounter()
                                .Name("touchstream_actions_dead_lettered_total")
                                .Help(
                                    "Outgoing messages that can never be delivered, sent to "
                                    "output.actions_dead_letter_topic instead, by reason.")
                                .Register(r);
  topic_held_ = &prometheus::BuildGauge()
                     .Name("touchstream_topic_held_messages")
                     .Help(
                         "Messages waiting in the outbox because their topic is missing or not "
                         "authorized.")
                     .Register(r);
  commit_failures_ = &prometheus::BuildCounter()
                          .Name("touchstream_store_commit_failures_total")
                          .Help(
                              "State store commits that failed (input and timers pause and the "
                              "commit is retried with backoff).")
                          .Register(r)
                          .Add({});
  timer_rounds_cut_ = &prometheus::BuildCounter()
                           .Name("touchstream_timer_rounds_cut_total")
                           .Help(
                               "Timer rounds stopped at processing.timer_round_ms with timers "
                               "still due (they fire in the next rounds, between records).")
                           .Register(r)
                           .Add({});
  store_healthy_ = &prometheus::BuildGauge()
                        .Name("touchstream_store_healthy")
                        .Help("1 while the state store accepts commits, 0 while they fail.")
                        .Register(r)
                        .Add({});
  store_healthy_->Set(1);
  broker_up_ = &prometheus::BuildGauge()
                    .Name("touchstream_broker_up")
                    .Help("1 while a Kafka broker is reachable, 0 while every broker is down.")
                    .Register(r)
                    .Add({});
  broker_up_->Set(1);
  customers_expired_ =
      &prometheus::BuildCounter()
           .Name("touchstream_customers_expired_total")
           .Help("Customers deleted (state, timers, unsent messages) by state.retention.")
           .Register(r)
           .Add({});
  auto& erased = prometheus::BuildCounter()
                     .Name("touchstream_customers_erased_total")
                     .Help("Customers erased on request, by source (event or admin).")
                     .Register(r);
  erased_by_event_ = &erased.Add({{"source", "event"}});
  erased_by_admin_ = &erased.Add({{"source", "admin"}});
  processing_latency_ =
      &prometheus::BuildHistogram()
           .Name("touchstream_processing_latency_seconds")
           .Help("Time to process one input event (decode, state, rules, decisions).")
           .Register(r)
           .Add({}, LatencyBuckets());
  commit_latency_ = &prometheus::BuildHistogram()
                         .Name("touchstream_commit_latency_seconds")
                         .Help("Time of one atomic commit of state, offsets and outbox.")
                         .Register(r)
                         .Add({}, LatencyBuckets());
  outbox_depth_ = &prometheus::BuildGauge()
                       .Name("touchstream_outbox_depth")
                       .Help("Messages committed to the outbox and not yet acknowledged by Kafka.")
                       .Register(r)
                       .Add({});
  assigned_partitions_ = &prometheus::BuildGauge()
                              .Name("touchstream_assigned_partitions")
                              .Help("Input partitions assigned to this instance.")
                              .Register(r)
                              .Add({});
  restoring_partitions_ = &prometheus::BuildGauge()
                               .Name("touchstream_restoring_partitions")
                               .Help(
                                   "Assigned partitions paused while they restore from the "
                                   "changelog.")
                               .Register(r)
                               .Add({});
  rules_loaded_ = &prometheus::BuildGauge()
                       .Name("touchstream_rules_loaded")
                       .Help("Rules in the active rule set.")
                       .Register(r)
                       .Add({});
  prometheus::BuildGauge()
      .Name("touchstream_build_info")
      .Help("Build information; the value is always 1.")
      .Register(r)
      .Add({{"version", TOUCHSTREAM_VERSION}});
  // Always present so dashboards see zeros, not gaps: the label values known in advance.
  rejected_->Add({{"reason", "undecodable"}});
  for (const char* kind : {"rule", "lifecycle"}) timers_fired_->Add({{"kind", kind}});
  for (const char* reason : {"limit", "stale", "rule_gone", "inactive", "expired", "undecodable"})
    timers_dropped_->Add({{"reason", reason}});
  for (const char* failure_class : {"retriable", "message", "topic", "fatal"})
    delivery_failures_->Add({{"class", failure_class}});
}

prometheus::Counter& EngineMetrics::Cached(CounterCache& cache,
                                           prometheus::Family<prometheus::Counter>& family,
                                           const char* label, std::string_view value) {
  auto it = cache.find(value);
  if (it != cache.end()) return *it->second;
  auto* counter = &family.Add({{label, std::string(value)}});
  cache.emplace(std::string(value), counter);
  return *counter;
}

void EngineMetrics::DecisionRecorded(std::string_view rule, std::string_view outcome,
                                     std::string_view reason) {
  reason = reason.substr(0, reason.find(": "));
  decision_key_.assign(rule).append(1, '\x1f').append(outcome).append(1, '\x1f').append(reason);
  auto it = decisions_by_key_.find(decision_key_);
  if (it == decisions_by_key_.end()) {
    prometheus::Counter* counter = &decisions_->Add({{"rule", std::string(rule)},
                                                     {"outcome", std::string(outcome)},
                                                     {"reason", std::string(reason)}});
    it = decisions_by_key_.emplace(decision_key_, counter).first;
  }
  it->second->Increment();
}

prometheus::Gauge* EngineMetrics::StandbyCheckpoint(int32_t partition) {
  return &standby_checkpoint_->Add({{"partition", std::to_string(partition)}});
}

void EngineMetrics::SetTopicHeld(const std::string& topic, double messages) {
  topic_held_->Add({{"topic", topic}}).Set(messages);
}

}  // namespace touchstream::engine
