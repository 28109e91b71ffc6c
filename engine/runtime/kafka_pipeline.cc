#include "engine/runtime/kafka_pipeline.h"

#include <algorithm>
#include <iostream>

#include "engine/core/event_checks.h"

namespace touchstream::engine {

namespace {
using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

constexpr int64_t kKafkaCommitIntervalMs = 5000;
// Customers read per step of an RFM quantile refresh (one step per loop between records).
constexpr size_t kRfmStepCustomers = 1000;
constexpr int64_t kLagUpdateIntervalMs = 5000;
constexpr int64_t kShutdownFlushMs = 30000;
// Backoff (first, max; doubling) of store retries.
constexpr int64_t kStoreRetryFirstMs = 100;
constexpr int64_t kStoreRetryMaxMs = 5000;
// A produce into a full local queue waits at most this long, then counts as a retriable
// failure (re-sent with backoff): the processing thread never blocks on it for long.
constexpr int kQueueFullWaitMs = 50;
// While every broker is down, one is asked this often, waiting this long.
constexpr int64_t kBrokerProbeIntervalMs = 2000;
constexpr int kBrokerProbeTimeoutMs = 200;
// Records taken from the consumer's local queue per turn of the loop: the work between records
// (delivery reports, broker watch, retries, commit and timer checks, housekeeping, pause) is done
// once per batch instead of once per record. A batch also ends when a commit is due.
constexpr int kMaxBatchRecords = 500;
// How long one turn of the loop waits for a record when nothing is pending.
constexpr int64_t kIdlePollMs = 50;
constexpr int64_t kPausedPollMs = 10;

// "topic:partition,..." for a log field.
std::string PartitionList(const std::vector<connectors::TopicPartition>& partitions) {
  std::string out;
  for (const auto& tp : partitions) {
    out += (out.empty() ? "" : ",") + tp.topic + ":" + std::to_string(tp.partition);
  }
  return out;
}

// librdkafka settings the engine chooses over librdkafka's defaults for latency; a setting of
// the same name in kafka.consumer / kafka.producer wins (docs/configuration.md, the trade-off in
// docs/performance.md "End to end and latency").
// - fetch.wait.max.ms 10 (librdkafka: 500): how long a broker may hold a fetch that found no
//   data. The development broker holds every such fetch that long even when data arrives, and
//   a real broker answers as soon as fetch.min.bytes (1) arrived; 10 ms bounds the first case
//   at the price of up to 100 empty fetches per second per broker while the input is idle.
// - linger.ms 1 (KafkaSink: 5): the messages of a commit are produced together, so they form
//   batches without waiting; linger only delays the last ones.
const std::map<std::string, std::string> kConsumerDefaults = {{"fetch.wait.max.ms", "10"}};
const std::map<std::string, std::string> kProducerDefaults = {{"linger.ms", "1"}};

// The producer's settings: keyed records (actions, alerts, decisions, dead letters) are placed
// by kafka.partitioner, like the input (docs/scaling-out.md); an explicit
// kafka.producer.partitioner agrees with it (the config checks).
connectors::KafkaSinkOptions SinkOptions(const EngineConfig& config, const std::string& bootstrap) {
  connectors::KafkaSinkOptions options;
  options.bootstrap_servers = bootstrap;
  options.properties = config.kafka.producer_properties;
  options.properties.emplace("partitioner", config.kafka.partitioner);
  options.properties.insert(kProducerDefaults.begin(), kProducerDefaults.end());
  options.queue_full_wait_ms = kQueueFullWaitMs;
  return options;
}
}  // namespace

KafkaPipeline::KafkaPipeline(const EngineConfig& config, state::StateStore* store,
                             EngineMetrics* metrics, const Clock* clock, Logger* log)
    : config_(config),
      store_(store),
      metrics_(metrics),
      clock_(clock),
      own_log_(log == nullptr
                   ? std::make_unique<Logger>(&std::cerr, LogFormat::kText, LogLevel::kInfo, clock)
                   : nullptr),
      log_(log == nullptr ? own_log_.get() : log),
      heartbeat_(clock),
      cache_(store, static_cast<size_t>(config.state.cache_customers)),
      processor_(config, &cache_, metrics),
      timers_(store, &processor_, static_cast<size_t>(config.processing.timer_batch)),
      sweep_(config.state.retention_ms, static_cast<size_t>(config.state.retention_sweep_batch),
             store, &processor_, metrics),
      rfm_(config.analytics, store, [this](const state::RfmBreakpoints& breakpoints) {
        processor_.SetRfmBreakpoints(breakpoints);
      }) {
  // A zero for every topic whose messages may be held, so dashboards see zeros, not gaps.
  for (const auto& [channel, topic] : config.output.channel_topics) metrics->SetTopicHeld(topic, 0);
  for (const std::string* topic : {&config.output.default_topic, &config.output.alerts_topic,
                                   &config.output.decisions_topic}) {
    if (!topic->empty()) metrics->SetTopicHeld(*topic, 0);
  }
}

KafkaPipeline::~KafkaPipeline() {
  // Closing the consumer revokes its partitions (OnRevoked): no commit from a destructor.
  may_commit_ = false;
  source_.reset();
}

Result<std::unique_ptr<KafkaPipeline>> KafkaPipeline::Create(const EngineConfig& config,
                                                             const std::string& bootstrap_servers,
                                                             state::StateStore* store,
                                                             EngineMetrics* metrics,
                                                             const Clock* clock, Logger* log) {
  std::unique_ptr<KafkaPipeline> pipeline(new KafkaPipeline(config, store, metrics, clock, log));
  pipeline->bootstrap_servers_ = bootstrap_servers;
  auto sink = connectors::KafkaSink::Create(SinkOptions(config, bootstrap_servers));
  if (!sink.ok()) return sink.status();
  pipeline->sink_ = std::move(*sink);
  if (config.state.changelog) {
    if (Status s = pipeline->SetUpChangelog(bootstrap_servers); !s.ok()) return s;
  }

  connectors::KafkaSourceOptions source_options;
  source_options.bootstrap_servers = bootstrap_servers;
  source_options.group_id = config.kafka.group_id;
  source_options.topics = config.kafka.input_topics;
  source_options.properties = config.kafka.consumer_properties;
  source_options.properties.insert(kConsumerDefaults.begin(), kConsumerDefaults.end());
  auto source = connectors::KafkaSource::Create(source_options, pipeline.get());
  if (!source.ok()) return source.status();
  pipeline->source_ = std::move(*source);
  return pipeline;
}

void KafkaPipeline::UpdateRules(std::shared_ptr<const rules::RuleSet> rules) {
  std::lock_guard<std::mutex> lock(rules_mu_);
  pending_rules_ = std::move(rules);
  rules_pending_.store(true, std::memory_order_release);
}

void KafkaPipeline::PickUpNewRules() {
  if (!rules_pending_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(rules_mu_);
  processor_.SetRules(std::move(pending_rules_));
  metrics_->SetRulesLoaded(processor_.rules() ? static_cast<double>(processor_.rules()->size())
                                              : 0);
  rules_pending_.store(false, std::memory_order_release);
}

Status KafkaPipeline::Run(const std::atomic<bool>& stop, const PipelineRunOptions& options) {
  Status loop = Loop(stop, options);
  if (!loop.ok()) fatal_ = loop;
  Status shutdown = Shutdown();
  return fatal_.ok() ? shutdown : fatal_;
}

Status KafkaPipeline::Loop(const std::atomic<bool>& stop, const PipelineRunOptions& options) {
  // Until the first iteration: re-sending the outbox and the first RFM refresh of the store.
  std::optional<Heartbeat::Busy> starting(std::in_place, &heartbeat_,
                                          "starting: re-sending the outbox and reading the store");
  // Whatever a previous run committed but did not see acknowledged goes out again.
  Status resend = store_->ForEachOutbox([this](uint64_t sequence, const v1::OutboxEntry& entry) {
    in_flight_[sequence] = entry;
    Produce(sequence, entry);
  });
  if (!resend.ok()) return resend;
  last_commit_ = last_kafka_commit_ = last_lag_update_ = last_record_ = last_timer_check_ =
      last_sweep_ = NowMono();
  if (Status s = timers_.Refresh(); !s.ok()) return s;
  // RFM quantile breakpoints from the store before the first record.
  if (Status s = Housekeeping(); !s.ok()) return s;
  started_ = true;
  starting.reset();
  if (restore_worker_ != nullptr) restore_worker_->set_before_restore(options.before_restore);

  bool idle_reported = false;
  while (!stop.load(std::memory_order_relaxed) && fatal_.ok()) {
    heartbeat_.Beat();
    PickUpNewRules();
    if (!store_failure_.ok()) {
      if (Status s = RetryStore(); !s.ok()) return s;
    }
    if (Status s = ProcessBatch(stop); !s.ok()) return s;
    if (restore_worker_ != nullptr && restore_worker_->has_finished()) InstallRestored();
    ServeDeliveryReports(0);
    WatchBrokers();
    RetryOutbound();
    if (recreate_sink_) {
      if (Status s = RecreateSink(); !s.ok()) return s;
    }
    const bool store_ok = store_failure_.ok();
    if (store_ok && (uncommitted_records_ >= config_.processing.commit_max_events ||
                     NowMono() - last_commit_ >= config_.processing.commit_interval_ms)) {
      Commit();
    }
    if (store_failure_.ok() && brokers_down_since_ms_ < 0 &&
        (timers_behind_ || NowMono() - last_timer_check_ >= config_.processing.timer_interval_ms)) {
      FireDueTimers();
    }
    if (store_failure_.ok()) Housekeeping();
    if (options.tasks != nullptr) options.tasks->RunPending();
    UpdatePause();
    if (NowMono() - last_kafka_commit_ >= kKafkaCommitIntervalMs) CommitKafkaOffsets(false);
    if (NowMono() - last_lag_update_ >= kLagUpdateIntervalMs) UpdateLag();
    if (options.stop_when_idle_ms > 0 && !assigned_.empty() && !paused_ &&
        (options.input_finished == nullptr || options.input_finished->load()) &&
        NowMono() - last_record_ >= options.stop_when_idle_ms && pending_out_.empty() &&
        in_flight_.empty() && uncommitted_records_ == 0 && store_failure_.ok() &&
        restoring_.empty() && CaughtUp()) {
      if (!options.when_idle) break;
      if (!idle_reported) options.when_idle();
      idle_reported = true;
    }
  }
  return fatal_;
}

int KafkaPipeline::PollTimeoutMs() const {
  if (paused_) return static_cast<int>(kPausedPollMs);
  if (uncommitted_records_ == 0 && pending_out_.empty()) return static_cast<int>(kIdlePollMs);
  // Work is pending: wake up when its commit is due, not up to kIdlePollMs later.
  const int64_t until_commit = last_commit_ + config_.processing.commit_interval_ms - NowMono();
  return static_cast<int>(std::clamp<int64_t>(until_commit, 0, kIdlePollMs));
}

Status KafkaPipeline::ProcessBatch(const std::atomic<bool>& stop) {
  auto record = source_->Poll(PollTimeoutMs());
  if (!record.ok()) return record.status();
  if (!record->has_value()) return Status::Ok();
  Process(**record);
  // Then what the consumer already holds (no waiting); listener callbacks still run inside Poll,
  // so a revoke between two records commits what was processed, as with one record per turn.
  for (int taken = 1; taken < kMaxBatchRecords; ++taken) {
    if (stop.load(std::memory_order_relaxed) || !fatal_.ok() || !store_failure_.ok() ||
        uncommitted_records_ >= config_.processing.commit_max_events ||
        NowMono() - last_commit_ >= config_.processing.commit_interval_ms) {
      break;
    }
    record = source_->Poll(0);
    if (!record.ok()) return record.status();
    if (!record->has_value()) break;
    Process(**record);
  }
  return Status::Ok();
}

void KafkaPipeline::Process(const connectors::SourceRecord& record) {
  if (!restoring_.empty()) {
    const connectors::TopicPartition tp{record.topic, record.partition};
    // Fetched before its partition paused for a restore: read again after the restore's seek.
    if (restoring_.count(record.partition) != 0) {
      skipped_while_restoring_.try_emplace(tp, record.offset);
      return;
    }
    // Keyed by a customer of a partition being restored, on another partition (a producer with
    // another partitioner): the restore would overwrite what it changed. Its partition stops
    // here until every restore is installed (ResumeAfterRestores), then reads on from it.
    if (skipped_while_restoring_.count(tp) != 0 || (!record.key.empty() && Restoring(record.key))) {
      if (skipped_while_restoring_.try_emplace(tp, record.offset).second) {
        if (Status s = source_->Pause({tp}); !s.ok() && fatal_.ok()) fatal_ = s;
      }
      return;
    }
  }
  // Records keep their order: after a store failure every record waits behind the first.
  if (!held_records_.empty() || !ProcessNow(record)) held_records_.push_back(record);
}

bool KafkaPipeline::ProcessNow(const connectors::SourceRecord& record) {
  const int64_t start = NowMono();
  const auto wall_start = SteadyClock::now();
  Status s = processor_.ProcessRecord(record, clock_->NowMs(), &pending_out_);
  if (!s.ok()) {
    // A state read failed before the record changed anything.
    StoreFailed(s);
    return false;
  }
  metrics_->ObserveProcessingSeconds(SecondsSince(wall_start));
  metrics_->InputRecordProcessed(record.topic, record.partition, record.timestamp_ms);
  pending_offsets_[{record.topic, record.partition}] = record.offset + 1;
  ++uncommitted_records_;
  ++records_processed_;
  last_record_ = start;
  return true;
}

void KafkaPipeline::StoreFailed(const Status& status) {
  metrics_->CommitFailed();
  if (store_failure_.ok()) {
    store_failing_since_ms_ = NowMono();
    store_backoff_ms_ = kStoreRetryFirstMs;
    metrics_->SetStoreHealthy(false);
    log_->Error("pipeline",
                "state store failed; input and timers paused, nothing is lost; retrying",
                {{"error", status.ToString()}});
  }
  store_failure_ = status;
  store_retry_at_ms_ = NowMono() + store_backoff_ms_;
  store_backoff_ms_ = std::min(store_backoff_ms_ * 2, kStoreRetryMaxMs);
  UpdatePause();
}

Status KafkaPipeline::RetryStore() {
  const int64_t now = NowMono();
  const int64_t failing_ms = now - store_failing_since_ms_;
  if (failing_ms >= config_.processing.store_failure_exit_ms) {
    return Status::Unavailable(
        "state store failing for " + std::to_string(failing_ms) +
        " ms (processing.store_failure_exit_ms); last error: " + store_failure_.ToString() +
        "; nothing more was committed, a restart resumes from the last good commit");
  }
  if (now < store_retry_at_ms_) return Status::Ok();
  // The records held back first, in order; each failure keeps the rest for the next retry.
  while (!held_records_.empty()) {
    if (!ProcessNow(held_records_.front())) return Status::Ok();
    held_records_.pop_front();
  }
  if (!Commit().ok()) return Status::Ok();
  log_->Info("pipeline", "state store recovered; resuming",
             {{"failing_ms", NowMono() - store_failing_since_ms_}});
  store_failure_ = Status::Ok();
  metrics_->SetStoreHealthy(true);
  UpdatePause();
  return Status::Ok();
}

Status KafkaPipeline::Shutdown() {
  StopRestores();
  if (store_failure_.ok() && may_commit_) {
    // Graceful: commit, wait for the outbox to drain, record the removals.
    Commit();
    const int64_t flush_start = NowMono();
    while (!in_flight_.empty() && NowMono() - flush_start < kShutdownFlushMs &&
           store_failure_.ok()) {
      ServeDeliveryReports(100);
      RetryOutbound();
      if (recreate_sink_ && !RecreateSink().ok()) break;
    }
    if (!in_flight_.empty()) {
      log_->Warn("pipeline",
                 "messages not acknowledged at shutdown; they stay in the outbox and are re-sent "
                 "on start",
                 {{"messages", in_flight_.size()}});
    }
    Commit();
    CommitKafkaOffsets(true);
  }
  Status result = store_failure_;
  UpdateLag();
  closing_ = true;
  // Partitions revoked while closing are committed by OnRevoked only while the store works.
  // Everything is committed by now: a consumer that cannot leave the group (its coordinator
  // does not answer) costs the group a session timeout, not the stop.
  if (Status close = source_->Close(); !close.ok()) {
    log_->Warn("pipeline", "left the consumer group without leaving cleanly",
               {{"error", close.ToString()}});
  }
  return result;
}

Status KafkaPipeline::FireDueTimers() {
  last_timer_check_ = NowMono();
  timers_behind_ = false;
  const int64_t now_ms = clock_->NowMs();
  if (now_ms < timers_.next_due_ms()) return Status::Ok();
  const int64_t round_end = NowMono() + config_.processing.timer_round_ms;
  auto fired = timers_.FireDue(
      now_ms, now_ms, [this] { return Commit(); }, &pending_out_,
      [this, round_end] { return NowMono() < round_end; });
  if (!fired.ok()) {
    if (store_failure_.ok()) StoreFailed(fired.status());
    return fired.status();
  }
  if (timers_.next_due_ms() <= now_ms) {
    timers_behind_ = true;
    metrics_->TimerRoundCut();
  }
  return Status::Ok();
}

Status KafkaPipeline::Housekeeping() {
  const int64_t now_ms = clock_->NowMs();
  // In steps between records (the whole store at once only before the first record).
  if (Status s = started_ ? rfm_.Step(now_ms, kRfmStepCustomers)
                          : (rfm_.Due(now_ms) ? rfm_.Refresh(now_ms) : Status::Ok());
      !s.ok()) {
    StoreFailed(s);
    return s;
  }
  if (sweep_.enabled() && NowMono() - last_sweep_ >= config_.state.retention_sweep_interval_ms) {
    last_sweep_ = NowMono();
    if (Status s = Commit(); !s.ok()) return s;
    auto step = sweep_.Step(now_ms, &pending_out_);
    if (!step.ok()) {
      StoreFailed(step.status());
      return step.status();
    }
    if (step->expired > 0) return Commit();
  }
  return Status::Ok();
}

size_t KafkaPipeline::ForgetInFlight(const std::set<std::string, std::less<>>& customer_ids) {
  size_t forgotten = 0;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (customer_ids.count(it->second.key()) == 0) {
      ++it;
      continue;
    }
    delivered_.push_back(it->first);
    it = in_flight_.erase(it);
    ++forgotten;
  }
  return forgotten;
}

Status KafkaPipeline::AdminGetCustomer(std::string_view customer_id, v1::CustomerState* out) {
  return cache_.Get(customer_id, out);
}

Result<state::ErasureCounts> KafkaPipeline::AdminEraseCustomer(std::string_view customer_id) {
  // Such an id cannot have been stored (input is checked the same way); refusing it here keeps
  // it out of the commit batch.
  if (auto problem = CustomerIdProblem(customer_id, config_.processing.max_customer_id_bytes)) {
    return Status::InvalidArgument(*problem);
  }
  if (Restoring(customer_id)) {
    return Status::Unavailable("customer '" + std::string(customer_id) +
                               "' belongs to a partition being restored from the changelog; "
                               "retry when /readyz is ready");
  }
  auto erased = processor_.EraseCustomer(customer_id, &pending_out_);
  if (!erased.ok()) return erased.status();
  metrics_->CustomerErasedByAdmin();
  erased->outbox_entries += ForgetInFlight({std::string(customer_id)});
  if (Status s = Commit(); !s.ok()) return s;
  return erased;
}

std::vector<std::string> KafkaPipeline::AdminNotReadyReasons() {
  std::vector<std::string> reasons;
  const int64_t now = NowMono();
  if (!assignment_received_) {
    reasons.push_back("waiting for the first partition assignment of consumer group " +
                      config_.kafka.group_id);
  }
  if (!store_failure_.ok()) {
    reasons.push_back("state store failing for " + std::to_string(now - store_failing_since_ms_) +
                      " ms: " + store_failure_.ToString());
  }
  if (brokers_down_since_ms_ >= 0) {
    reasons.push_back("every Kafka broker down for " +
                      std::to_string(now - brokers_down_since_ms_) + " ms");
  }
  AddRestoreReasons(&reasons);
  for (const auto& [topic, held] : held_) {
    reasons.push_back("topic " + topic + " refuses messages (" +
                      std::to_string(held.sequences.size()) + " held in the outbox)");
  }
  return reasons;
}

std::shared_ptr<const rules::RuleSet> KafkaPipeline::AdminRules() {
  PickUpNewRules();
  return processor_.rules();
}

Status KafkaPipeline::Commit() {
  if (!may_commit_) return Status::Unavailable("kafka pipeline: no commit after a failed revoke");
  // Committed but unacknowledged messages of erased customers leave the outbox too.
  if (std::vector<std::string> erased = processor_.TakeErasedCustomers(); !erased.empty()) {
    ForgetInFlight({erased.begin(), erased.end()});
  }
  last_commit_ = NowMono();
  if (cache_.dirty_count() == 0 && pending_out_.empty() && pending_offsets_.empty() &&
      delivered_.empty()) {
    return Status::Ok();
  }
  const auto start = SteadyClock::now();
  // Built from copies: after a failure every change is still pending for the next attempt.
  state::CommitBatch batch;
  processor_.AddChangesTo(&batch);
  for (const auto& [tp, offset] : pending_offsets_) batch.PutOffset(tp.topic, tp.partition, offset);
  // The changelog records of this batch join the outbox only if the batch commits: a retry
  // builds them again from the then current states.
  const size_t pending_before_changelog = pending_out_.size();
  Status appended = AppendChangelog(batch);
  for (const auto& entry : pending_out_) batch.AddOutbox(entry);
  for (uint64_t sequence : delivered_) batch.RemoveOutbox(sequence);
  std::vector<uint64_t> sequences;
  if (Status s = appended.ok() ? store_->Commit(batch, &sequences) : appended; !s.ok()) {
    pending_out_.resize(pending_before_changelog);
    StoreFailed(s);
    return s;
  }
  processor_.ChangesCommitted();
  metrics_->ObserveCommitSeconds(SecondsSince(start));
  for (size_t i = 0; i < pending_out_.size(); ++i) {
    auto [it, inserted] = in_flight_.emplace(sequences[i], std::move(pending_out_[i]));
    Produce(it->first, it->second);
  }
  for (const auto& [tp, offset] : pending_offsets_) stored_offsets_[tp] = offset;
  kafka_offsets_dirty_ = kafka_offsets_dirty_ || !pending_offsets_.empty();
  pending_out_.clear();
  pending_offsets_.clear();
  delivered_.clear();
  uncommitted_records_ = 0;
  metrics_->SetOutboxDepth(static_cast<double>(in_flight_.size()));
  return Status::Ok();
}

Status KafkaPipeline::RecreateSink() {
  recreate_sink_ = false;
  to_resend_.clear();
  held_.clear();
  sink_.reset();  // drops what the failed producer still held: it is all in in_flight_
  auto sink = connectors::KafkaSink::Create(SinkOptions(config_, bootstrap_servers_));
  if (!sink.ok()) return sink.status();
  sink_ = std::move(*sink);
  for (const auto& [sequence, entry] : in_flight_) Produce(sequence, entry);
  return Status::Ok();
}

void KafkaPipeline::WatchBrokers() {
  const int64_t now = NowMono();
  bool down = sink_->brokers_down();
  if (down && brokers_down_since_ms_ >= 0 && now >= next_broker_probe_ms_) {
    next_broker_probe_ms_ = now + kBrokerProbeIntervalMs;
    down = !sink_->ProbeBrokers(kBrokerProbeTimeoutMs).ok();
  }
  if (down && brokers_down_since_ms_ < 0) {
    brokers_down_since_ms_ = now;
    next_broker_probe_ms_ = now + kBrokerProbeIntervalMs;
    metrics_->SetBrokerUp(false);
    log_->Error("pipeline",
                "every Kafka broker is down; input and timers paused until one is back");
  } else if (!down && brokers_down_since_ms_ >= 0) {
    log_->Info("pipeline", "Kafka brokers reachable again; resuming",
               {{"down_ms", now - brokers_down_since_ms_}});
    brokers_down_since_ms_ = -1;
    metrics_->SetBrokerUp(true);
    resend_at_ms_ = now;
  }
  UpdatePause();
}

void KafkaPipeline::UpdatePause() {
  const auto in_flight = static_cast<int64_t>(sink_->InFlight());
  if (in_flight > config_.processing.max_in_flight) back_pressure_ = true;
  if (in_flight <= config_.processing.max_in_flight / 2) back_pressure_ = false;
  const bool pause = back_pressure_ || brokers_down_since_ms_ >= 0 || !store_failure_.ok();
  if (assigned_.empty() || pause == paused_) return;
  if (!(pause ? source_->Pause(assigned_) : source_->Resume(Resumable())).ok()) return;
  paused_ = pause;
  // Idleness (PipelineRunOptions::stop_when_idle_ms) counts only while input is consumed.
  if (!paused_) last_record_ = NowMono();
}

void KafkaPipeline::CommitKafkaOffsets(bool wait) {
  last_kafka_commit_ = NowMono();
  if (Status failed = source_->TakeAsyncCommitError(); !failed.ok()) {
    log_->Warn("pipeline", "committing offsets to Kafka failed", {{"error", failed.ToString()}});
    kafka_offsets_dirty_ = true;
  }
  if (!kafka_offsets_dirty_) return;
  std::vector<std::pair<connectors::TopicPartition, int64_t>> offsets;
  for (const auto& tp : assigned_) {
    auto it = stored_offsets_.find(tp);
    if (it != stored_offsets_.end()) offsets.emplace_back(tp, it->second);
  }
  if (offsets.empty()) return;
  Status s = wait ? source_->CommitSync(offsets) : source_->CommitAsync(offsets);
  if (!s.ok())
    log_->Warn("pipeline", "committing offsets to Kafka failed", {{"error", s.ToString()}});
  kafka_offsets_dirty_ = !s.ok();
}

void KafkaPipeline::UpdateLag() {
  last_lag_update_ = NowMono();
  // Cached watermarks only: the processing thread never waits for the broker here.
  std::vector<PartitionLagMetrics::PartitionLag> partitions;
  for (const auto& lag : source_->Lag(0)) {
    partitions.push_back({lag.partition.topic, lag.partition.partition, lag.lag});
  }
  metrics_->SetPartitionLag(partitions, clock_->NowMs());
  // The store's RocksDB figures ride along (a few property reads every kLagUpdateIntervalMs).
  if (std::optional<state::StoreStats> stats = store_->Stats()) metrics_->SetStoreStats(*stats);
}

bool KafkaPipeline::CaughtUp() {
  for (const auto& lag : source_->Lag(0)) {
    if (lag.high_watermark < 0) return false;  // not fetched since it was assigned or resumed
    int64_t next = lag.position;
    if (next < 0) {
      // Nothing read by this consumer: the offset the store started or restored it at. Without
      // one it starts where Kafka's committed offset says, which this thread does not wait for.
      const auto stored = stored_offsets_.find(lag.partition);
      if (stored == stored_offsets_.end()) continue;
      next = stored->second;
    }
    if (next < lag.high_watermark) return false;
  }
  return true;
}

std::optional<int64_t> KafkaPipeline::StartOffset(const connectors::TopicPartition& tp) {
  BeginRestore(tp);
  std::optional<int64_t> start = store_->GetOffset(tp.topic, tp.partition);
  // Sought to the restored offset when its restore is installed (InstallRestored).
  if (restoring_.count(tp.partition) != 0) return start;
  // Kafka's committed offset follows the store's from the assignment on (a restored partition
  // with nothing left to read would otherwise show its pre-restore lag for good).
  if (start.has_value() && *start > 0) {
    stored_offsets_[tp] = *start;
    kafka_offsets_dirty_ = true;
  }
  return start;
}

void KafkaPipeline::OnAssigned(const std::vector<connectors::TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    if (std::find(assigned_.begin(), assigned_.end(), tp) == assigned_.end())
      assigned_.push_back(tp);
  }
  std::vector<connectors::TopicPartition> held;
  for (const auto& tp : partitions) {
    if (paused_ || restoring_.count(tp.partition) != 0) held.push_back(tp);
  }
  // Paused until installed (restoring) or until the pause ends. Should pausing fail, records of
  // a partition being restored are skipped (Process) and read again after the restore's seek.
  source_->Pause(held);
  last_record_ = NowMono();  // idleness counts from the assignment
  metrics_->SetAssignedPartitions(static_cast<double>(assigned_.size()));
  assignment_received_ = true;
  log_->Info("pipeline", "partitions assigned",
             {{"partitions", PartitionList(partitions)}, {"owned", assigned_.size()}});
}

void KafkaPipeline::OnRevoked(const std::vector<connectors::TopicPartition>& partitions,
                              bool lost) {
  // Everything processed so far is committed before the partitions go to another member.
  // Lost partitions were already taken: their uncommitted work is committed too, which is
  // safe (the new owner starts from the store's offsets only on its own instance's store).
  // When that commit is impossible (the store fails) the work cannot be handed over: Run stops
  // with the error and nothing more is committed; a restart resumes from the last good commit.
  if (may_commit_) {
    if (Status s = store_failure_.ok() ? Commit() : store_failure_; !s.ok()) {
      may_commit_ = false;
      if (fatal_.ok()) fatal_ = s;
    } else {
      CommitKafkaOffsets(true);
    }
  }
  for (const auto& tp : partitions) {
    assigned_.erase(std::remove(assigned_.begin(), assigned_.end(), tp), assigned_.end());
    stored_offsets_.erase(tp);
  }
  DropRevoked(partitions);
  metrics_->SetAssignedPartitions(static_cast<double>(assigned_.size()));
  log_->Info("pipeline", lost ? "partitions lost" : "partitions revoked",
             {{"partitions", PartitionList(partitions)}, {"owned", assigned_.size()}});
}

}  // namespace touchstream::engine
