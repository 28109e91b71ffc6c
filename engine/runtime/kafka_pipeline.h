// KafkaPipeline: the `run` loop. Consumes input partitions as a member of a consumer group,
// processes each record with an EventProcessor, and every commit interval writes state,
// input offsets and the produced messages (outbox) to the store in ONE atomic batch; only then
// are the messages produced. Delivery reports remove them from the outbox in a later batch.
//
// Guarantees: a crash loses nothing (state, offsets and outbox move together; the outbox is
// re-sent on start) and may duplicate an action, always with the same action id. On partition
// assignment the consumer is positioned at the offsets stored in the state store, not Kafka's
// committed offsets (which are written too, for lag monitoring).
//
// Faults (docs/guarantees.md):
// - A failed store commit loses nothing: the batch is built from copies, so the changes stay
//   pending. Input and timers pause and the commit is retried with backoff (100 ms doubling to
//   5 s) until it succeeds, then processing resumes; after processing.store_failure_exit_ms Run
//   returns the error without committing anything more (a restart resumes from the last good
//   commit). A record whose state could not be read is kept and processed again.
// - Outbound failures are classified (connectors::DeliveryFailure): retriable ones are re-sent
//   with backoff (1 s doubling to 30 s); a message that can never be delivered goes to
//   output.actions_dead_letter_topic with the reason; messages to a missing or unauthorized
//   topic are held (other topics go on; one is re-tried every 5 s to 60 s, all are released on
//   its delivery), beyond output.topic_hold_max_messages per topic they are dead-lettered; a
//   fatal producer error recreates the producer and re-sends the outbox.
// - While every broker is down (logged when it starts and ends, touchstream_broker_up 0) input
//   and timers pause; they resume when a broker answers again.
// - Due timers fire in rounds of at most processing.timer_round_ms between records.
//
// Housekeeping between records: RFM quantile breakpoints are recomputed from the store at start
// and every rfm.refresh (RfmRefresh, in steps of 1,000 customers), and customers past
// state.retention are expired by an incremental sweep every state.retention_sweep_interval_ms
// (RetentionSweep), each right after a commit. An erase event, an admin erase or an expiry also
// removes the customer's committed but unacknowledged outbox entries (they are not re-sent after a
// restart).
//
// Not thread-safe except UpdateRules, which may be called from any thread; the AdminBackend
// methods run on the processing thread (tasks run by Run).
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "connectors/partition_reader.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/processor.h"
#include "engine/core/timer_driver.h"
#include "engine/ops/admin_api.h"
#include "engine/ops/heartbeat.h"
#include "engine/ops/log.h"
#include "engine/ops/metrics.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/owner_directory.h"
#include "engine/runtime/partition_restore.h"
#include "engine/runtime/restore_worker.h"
#include "engine/runtime/retention_sweep.h"
#include "engine/runtime/rfm_refresh.h"
#include "engine/runtime/standby_tailer.h"
#include "engine/runtime/task_queue.h"
#include "state/customer_cache.h"
#include "state/state_store.h"

namespace touchstream::engine {

struct PipelineRunOptions {
  // Stop once `input_finished` is set (when given) and no record arrived for this long while
  // input was consumed (not paused) after partitions were assigned, with the outbox empty, the
  // store healthy, no partition restoring, and every assigned partition whose read position is
  // known read up to the high watermark its last fetch saw. 0 = run until stopped.
  int64_t stop_when_idle_ms = 0;
  const std::atomic<bool>* input_finished = nullptr;
  // When given, Run does not stop when idle (stop_when_idle_ms) but calls this once, on the
  // processing thread, the first time it is, and goes on until stopped (`touchstream demo`
  // prints its results then and keeps serving). It must return quickly.
  std::function<void()> when_idle = nullptr;
  // When given, its tasks (admin API requests) run on the processing thread between records.
  TaskQueue* tasks = nullptr;
  // When given, called on the restore thread with the partition before each restore of an
  // assigned partition reads anything (tests hold a restore with it; it must return for a stop
  // or a revocation to complete).
  std::function<void(int32_t partition)> before_restore = nullptr;
};

class KafkaPipeline final : public connectors::PartitionListener, public AdminBackend {
 public:
  // `store`, `metrics`, `clock` and `log` must outlive the pipeline. `bootstrap_servers`
  // overrides config.kafka.bootstrap_servers (used when the broker is embedded). Without a
  // `log` the pipeline logs to stderr in text format at level info.
  static Result<std::unique_ptr<KafkaPipeline>> Create(const EngineConfig& config,
                                                       const std::string& bootstrap_servers,
                                                       state::StateStore* store,
                                                       EngineMetrics* metrics, const Clock* clock,
                                                       Logger* log = nullptr);
  ~KafkaPipeline() override;

  // Swaps in a new rule set; takes effect before the next record. Thread-safe.
  void UpdateRules(std::shared_ptr<const rules::RuleSet> rules);

  // Runs until `stop` is set (or the idle condition of `options` holds), then shuts down
  // gracefully: finishes the record in hand, commits, flushes the outbox, leaves the group.
  // Returns non-ok on a fatal Kafka or store error (after committing what it can).
  Status Run(const std::atomic<bool>& stop, const PipelineRunOptions& options = {});

  // Records processed since creation. Thread-safe.
  int64_t records_processed() const { return records_processed_.load(std::memory_order_relaxed); }

  // Beaten by every iteration of Run's loop (busy before the first iteration): what GET /healthz
  // checks, and /readyz while busy. Thread-safe.
  const Heartbeat& heartbeat() const { return heartbeat_; }

  // connectors::PartitionListener
  std::optional<int64_t> StartOffset(const connectors::TopicPartition& tp) override;
  void OnAssigned(const std::vector<connectors::TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<connectors::TopicPartition>& partitions, bool lost) override;

  // AdminBackend (processing thread only: call from a task run by Run).
  Status AdminGetCustomer(std::string_view customer_id, v1::CustomerState* out) override;
  Result<state::ErasureCounts> AdminEraseCustomer(std::string_view customer_id) override;
  std::shared_ptr<const rules::RuleSet> AdminRules() override;
  std::vector<std::string> AdminNotReadyReasons() override;
  std::optional<int32_t> AdminForeignPartition(std::string_view customer_id) override;
  std::optional<std::string> AdminPartitionOwner(int32_t partition) override;

 private:
  KafkaPipeline(const EngineConfig& config, state::StateStore* store, EngineMetrics* metrics,
                const Clock* clock, Logger* log);

  // Commits the pending work in one atomic batch. On failure nothing pending is forgotten and
  // store_failure_ is set (Run then pauses and retries).
  Status Commit();
  // The loop of Run; returns the first fatal error.
  Status Loop(const std::atomic<bool>& stop, const PipelineRunOptions& options);
  // Commit, drain the outbox, close the consumer (nothing is committed while the store fails).
  Status Shutdown();
  // Waits up to PollTimeoutMs for a record, then processes it and up to a batch of the records
  // the consumer already holds (Poll(0)). Non-ok on a fatal consumer error.
  Status ProcessBatch(const std::atomic<bool>& stop);
  // How long the next Poll may wait: until the next commit is due while work is pending.
  int PollTimeoutMs() const;
  // Processes one record; after a store error it (and every later one) waits in
  // held_records_.
  void Process(const connectors::SourceRecord& record);
  // Processes one record now; false (after StoreFailed) when a store read failed.
  bool ProcessNow(const connectors::SourceRecord& record);
  // While store_failure_ is set: retries (held record, commit) when the backoff expired.
  // Non-ok once it failed for longer than processing.store_failure_exit_ms.
  Status RetryStore();
  void StoreFailed(const Status& status);
  // Fires the timers due by the clock's now (committing around them), for at most
  // processing.timer_round_ms.
  Status FireDueTimers();
  // The outbound side (kafka_pipeline_outbound.cc): produce, delivery reports, re-sends.
  void Produce(uint64_t sequence, const v1::OutboxEntry& entry);
  // Acts on a failed produce or delivery of the in-flight entry `sequence`.
  void HandleDeliveryFailure(uint64_t sequence, connectors::DeliveryFailure failure,
                             const Status& status);
  // Sends the in-flight entry to output.actions_dead_letter_topic instead, with the reason.
  void DeadLetterAction(uint64_t sequence, const std::string& reason, const Status& status);
  // Holds the entry back until its topic accepts messages again.
  void HoldForTopic(uint64_t sequence, const std::string& topic, const Status& status);
  // Produces every entry held for `topic` (it accepted a message).
  void ReleaseHeld(const std::string& topic);
  // Re-sends failed entries and probes held topics when their backoff expired; recreates the
  // producer after a fatal error.
  void RetryOutbound();
  // Logs the cause (once) and has the loop recreate the producer at its next turn.
  void RecreateSinkSoon(const Status& cause);
  Status RecreateSink();
  void ServeDeliveryReports(int timeout_ms);
  // Follows broker reachability (logs transitions, metric, probes while down).
  void WatchBrokers();
  // Pauses input while produced messages pile up, every broker is down or the store fails.
  void UpdatePause();
  int64_t NowMono() const { return clock_->MonotonicMs(); }
  // Mirrors the offsets committed to the store into Kafka (for lag monitoring). With `wait` the
  // commit is synchronous (on revoke and at shutdown); else it is sent in the background
  // (every kKafkaCommitIntervalMs, off the processing path) and a failure is logged at the next
  // call, which commits again.
  void CommitKafkaOffsets(bool wait);
  // Consumer lag (messages and event time) and the store's figures into the metrics.
  void UpdateLag();
  // Whether every assigned partition was read to the end its fetches have seen (see
  // PipelineRunOptions::stop_when_idle_ms); a partition not fetched yet is not.
  bool CaughtUp();
  void PickUpNewRules();
  // RFM refresh and retention sweep, when due.
  Status Housekeeping();
  // Stops tracking the in-flight entries keyed by these customers and removes them from the
  // outbox at the next commit; returns how many.
  size_t ForgetInFlight(const std::set<std::string, std::less<>>& customer_ids);

  // State that follows its partition (kafka_pipeline_changelog.cc; docs/scaling-out.md).
  // Checks the changelog topic against the input topics and creates the writer and restorer.
  Status SetUpChangelog(const std::string& bootstrap_servers);
  // Starts copying state.standby_partitions when it names some (SetUpChangelog calls it).
  Status SetUpStandby(const std::string& bootstrap_servers);
  // Starts the OwnerDirectory when admin.advertised_address is set (SetUpChangelog calls it).
  Status SetUpOwners(const std::string& bootstrap_servers);
  // Adds the changelog records of the batch's state, timer and impact counter changes to
  // pending_out_. Errors: the store's (reading the impact counters).
  Status AppendChangelog(const state::CommitBatch& batch);
  // Has the partition's customers restored from the changelog once per assignment, on the
  // restore thread (RestoreWorker); the partition stays paused until InstallRestored.
  void BeginRestore(const connectors::TopicPartition& tp);
  // Installs the restores that finished: re-arms timers, seeks their partitions to the
  // restored offsets, resumes them and announces the ownership. A failed restore (or seek)
  // becomes fatal_.
  void InstallRestored();
  // Once no restore is left: seeks the partitions stopped at a record of a customer being
  // restored (Process) back to that record and resumes them.
  void ResumeAfterRestores();
  // True when the customer's partition is being restored: its input is paused, its timers are
  // held, it is not swept, served or erased.
  bool Restoring(std::string_view customer_id) const;
  // The assigned partitions that are not being restored nor stopped behind a restore.
  std::vector<connectors::TopicPartition> Resumable() const;
  // /readyz reasons for the partitions being restored.
  void AddRestoreReasons(std::vector<std::string>* reasons) const;
  // Cancels the restores in progress and stops the restore thread (Shutdown).
  void StopRestores();
  // Drops the customers of revoked partitions from the store, the cache and the timers
  // (cancelling their restores first).
  void DropRevoked(const std::vector<connectors::TopicPartition>& partitions);

  const EngineConfig& config_;
  state::StateStore* store_;
  EngineMetrics* metrics_;
  const Clock* clock_;
  // The logger given to Create, or own_log_ (stderr, text) when none was.
  std::unique_ptr<Logger> own_log_;
  Logger* log_;
  Heartbeat heartbeat_;
  state::CustomerCache cache_;
  EventProcessor processor_;
  TimerDriver timers_;
  RetentionSweep sweep_;
  RfmRefresh rfm_;
  std::string bootstrap_servers_;
  // Null when state.changelog is off.
  std::unique_ptr<connectors::PartitionReader> changelog_reader_;
  std::unique_ptr<ChangelogWriter> changelog_;
  std::unique_ptr<PartitionRestore> restore_;
  // Null unless state.standby_partitions names some.
  std::unique_ptr<StandbyTailer> standby_;
  // Null when state.changelog is off. Declared after standby_: destroyed (joined) before it.
  std::unique_ptr<RestoreWorker> restore_worker_;
  // Partitions being restored (begun, not installed) -> since when (monotonic ms).
  std::map<int32_t, int64_t> restoring_;
  // Per partition being restored, the offset of the first record fetched before its pause and
  // skipped (Process): where it is sought to when the restore names no offset of its own. Also
  // per partition stopped at a record of a customer being restored (Process): where it reads on
  // once no restore is left.
  std::map<connectors::TopicPartition, int64_t> skipped_while_restoring_;
  // This store's id in the changelog's impact records (impact_changelog.h).
  std::string instance_id_;
  // Null unless admin.advertised_address is set.
  std::unique_ptr<OwnerDirectory> owners_;
  // Partitions restored since they were assigned.
  std::set<int32_t> restored_partitions_;
  // Set while Run leaves the group: revoked partitions then keep their local state.
  bool closing_ = false;
  std::unique_ptr<connectors::KafkaSink> sink_;
  // Reset first by the destructor: closing it calls back into this.
  std::unique_ptr<connectors::KafkaSource> source_;

  std::mutex rules_mu_;
  std::shared_ptr<const rules::RuleSet> pending_rules_;  // GUARDED_BY(rules_mu_)
  std::atomic<bool> rules_pending_{false};

  // Work since the last commit.
  std::vector<v1::OutboxEntry> pending_out_;
  std::map<connectors::TopicPartition, int64_t> pending_offsets_;
  // Outbox entries to remove at the next commit (delivered, or of erased customers).
  std::vector<uint64_t> delivered_;
  int64_t uncommitted_records_ = 0;
  Status fatal_;
  // Commits may be made (false once destroyed or after a revoke that could not commit).
  bool may_commit_ = true;

  // The last store failure (ok while the store works), since when, and the next retry.
  Status store_failure_;
  int64_t store_failing_since_ms_ = 0;
  int64_t store_retry_at_ms_ = 0;
  int64_t store_backoff_ms_ = 0;
  // Records not processed because a store read failed (and those after them), in order;
  // processed after recovery.
  std::deque<connectors::SourceRecord> held_records_;

  // Committed to the outbox, produced, awaiting a delivery report (sequence → entry).
  std::map<uint64_t, v1::OutboxEntry> in_flight_;
  // In flight but failed retriably: re-sent at resend_at_ms_ (backoff).
  std::vector<uint64_t> to_resend_;
  int64_t resend_at_ms_ = 0;
  int64_t resend_backoff_ms_ = 0;
  // In flight but held back: their topic is missing or not authorized (oldest first).
  struct HeldTopic {
    std::deque<uint64_t> sequences;
    int64_t retry_at_ms = 0;
    int64_t backoff_ms = 0;
  };
  std::map<std::string, HeldTopic> held_;
  bool recreate_sink_ = false;
  // Every broker down since (monotonic ms); -1 while reachable.
  int64_t brokers_down_since_ms_ = -1;
  int64_t next_broker_probe_ms_ = 0;
  // Next offsets known committed to the store, to mirror into Kafka for lag monitoring.
  std::map<connectors::TopicPartition, int64_t> stored_offsets_;
  bool kafka_offsets_dirty_ = false;

  std::vector<connectors::TopicPartition> assigned_;
  // The group's first assignment (possibly of no partition) has arrived: /readyz waits for it.
  bool assignment_received_ = false;
  bool paused_ = false;
  bool back_pressure_ = false;
  std::atomic<int64_t> records_processed_{0};
  // Monotonic ms (clock_->MonotonicMs()).
  int64_t last_commit_ = 0;
  int64_t last_kafka_commit_ = 0;
  int64_t last_lag_update_ = 0;
  int64_t last_record_ = 0;
  int64_t last_timer_check_ = 0;
  int64_t last_sweep_ = 0;
  // A timer round stopped at its time budget: the next loop goes on with it.
  bool timers_behind_ = false;
  // The loop has started (housekeeping then works in steps).
  bool started_ = false;
};

}  // namespace touchstream::engine
