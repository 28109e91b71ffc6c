#include "engine/runtime/replay.h"

#include <algorithm>
#include <iostream>

#include "connectors/jsonl.h"
#include "engine/core/processor.h"
#include "engine/core/timer_driver.h"
#include "engine/runtime/retention_sweep.h"
#include "engine/runtime/rfm_refresh.h"
#include "state/customer_cache.h"

namespace touchstream::engine {

namespace {
constexpr size_t kCommitEveryEvents = 10000;
// Customers examined per retention sweep step (a replay sweeps the whole store in steps).
constexpr size_t kSweepBatch = 10000;
}  // namespace

Result<ReplayStats> Replay(const EngineConfig& base_config,
                           std::shared_ptr<const rules::RuleSet> rules, state::StateStore* store,
                           EngineMetrics* metrics, const ReplayOptions& options) {
  // Files hold JSON whatever the topics are configured for; every output is kept apart by
  // giving it a topic name of its own.
  EngineConfig config = base_config;
  config.processing.input_format = "json";
  config.output.format = "json";
  config.output.topic_formats.clear();
  const bool want_decisions = options.on_decision || !options.decisions_out.empty();
  config.output.decisions_topic = want_decisions ? "replay.decisions" : "";
  config.output.dead_letter_topic = "replay.dead-letter";
  std::ostream& errors = options.errors != nullptr ? *options.errors : std::cerr;

  auto reader = connectors::JsonlReader::Open(options.events_path);
  if (!reader.ok()) return reader.status();
  std::unique_ptr<connectors::JsonlWriter> actions_out;
  if (!options.on_action) {
    auto w = connectors::JsonlWriter::Open(options.actions_out);
    if (!w.ok()) return w.status();
    actions_out = std::move(*w);
  }
  std::unique_ptr<connectors::JsonlWriter> decisions_out;
  if (!options.on_decision && !options.decisions_out.empty()) {
    auto w = connectors::JsonlWriter::Open(options.decisions_out);
    if (!w.ok()) return w.status();
    decisions_out = std::move(*w);
  }

  state::CustomerCache cache(store, static_cast<size_t>(config.state.cache_customers));
  EventProcessor processor(config, &cache, metrics, TimeMode::kStreamTime);
  processor.SetRules(std::move(rules));
  if (options.on_condition)
    processor.ObserveConditions(options.observe_customer, options.on_condition);
  TimerDriver timers(store, &processor, static_cast<size_t>(config.processing.timer_batch));
  auto commit = [&]() {
    state::CommitBatch batch;
    processor.AddChangesTo(&batch);
    // Replay keeps no outbox in the store: erased customers have nothing unsent there.
    processor.TakeErasedCustomers();
    Status s = store->Commit(batch, nullptr);
    if (s.ok()) processor.ChangesCommitted();
    return s;
  };
  RfmRefresh rfm(config.analytics, store, [&](const state::RfmBreakpoints& breakpoints) {
    processor.SetRfmBreakpoints(breakpoints);
  });
  RetentionSweep sweep(config.state.retention_ms, kSweepBatch, store, &processor, metrics);
  int64_t swept_day = -1;
  // RFM refresh and retention sweep as of stream time `now_ms`, each after a commit.
  auto housekeeping = [&](int64_t now_ms) -> Status {
    if (rfm.Due(now_ms)) {
      if (Status s = commit(); !s.ok()) return s;
      if (Status s = rfm.Refresh(now_ms); !s.ok()) return s;
    }
    if (!sweep.enabled() || now_ms / state::kMsPerDay == swept_day) return Status::Ok();
    swept_day = now_ms / state::kMsPerDay;
    std::vector<v1::OutboxEntry> unused;
    for (bool wrapped = false; !wrapped;) {
      if (Status s = commit(); !s.ok()) return s;
      auto step = sweep.Step(now_ms, &unused);
      if (!step.ok()) return step.status();
      wrapped = step->wrapped;
    }
    return commit();
  };
  if (Status s = timers.Refresh(); !s.ok()) return s;

  ReplayStats stats;
  std::vector<v1::OutboxEntry> out;
  // Writes what the processor produced to the output files.
  auto write_out = [&](int64_t line) -> Status {
    for (const auto& entry : out) {
      if (entry.topic() == config.output.dead_letter_topic) {
        ++stats.dead_letters;
        errors << options.events_path << ":" << line << ": "
               << entry.headers().at("touchstream.error.reason") << ": "
               << entry.headers().at("touchstream.error.message") << "\n";
      } else if (entry.topic() == config.output.decisions_topic) {
        ++stats.decisions;
        Status s = options.on_decision ? options.on_decision(entry.value())
                                       : decisions_out->Write(entry.value());
        if (!s.ok()) return s;
      } else {
        ++stats.actions;
        Status s = options.on_action ? options.on_action(entry.value())
                                     : actions_out->Write(entry.value());
        if (!s.ok()) return s;
      }
    }
    out.clear();
    return Status::Ok();
  };
  auto fire_due = [&](int64_t up_to_ms, int64_t line) -> Status {
    if (up_to_ms < timers.next_due_ms()) return Status::Ok();
    auto fired = timers.FireDue(up_to_ms, 0, commit, &out);
    if (!fired.ok()) return fired.status();
    stats.timers_fired += static_cast<int64_t>(*fired);
    return write_out(line);
  };

  int64_t last_event_ms = 0;
  std::string line;
  while ((*reader)->Next(&line)) {
    connectors::SourceRecord record;
    record.topic = options.events_path;
    record.offset = (*reader)->line_number();
    record.value = line;
    ++stats.events;
    std::optional<v1::TouchpointEvent> event = processor.DecodeRecord(record, &out);
    if (event) {
      // Timers due strictly before this event fire first.
      if (Status s = fire_due(event->ts_ms() - 1, record.offset); !s.ok()) return s;
      last_event_ms = std::max(last_event_ms, event->ts_ms());
      if (Status s = housekeeping(last_event_ms); !s.ok()) return s;
      if (Status s = processor.ProcessEvent(*event, 0, &out); !s.ok()) return s;
    }
    if (Status s = write_out(record.offset); !s.ok()) return s;
    if (cache.dirty_count() >= kCommitEveryEvents) {
      if (Status s = commit(); !s.ok()) return s;
    }
  }
  const int64_t until_ms = std::max(options.until_ms, last_event_ms);
  if (Status s = fire_due(until_ms, (*reader)->line_number()); !s.ok()) return s;
  if (Status s = housekeeping(until_ms); !s.ok()) return s;
  if (Status s = commit(); !s.ok()) return s;
  if (actions_out) {
    if (Status s = actions_out->Flush(); !s.ok()) return s;
  }
  if (decisions_out) {
    if (Status s = decisions_out->Flush(); !s.ok()) return s;
  }
  stats.events -= stats.dead_letters;
  return stats;
}

}  // namespace touchstream::engine
