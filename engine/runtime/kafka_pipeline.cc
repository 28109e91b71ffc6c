#include "engine/runtime/kafka_pipeline.h"

#include <algorithm>
#include <iostream>

namespace touchstream::engine {

namespace {
using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

int64_t MillisSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

constexpr int64_t kKafkaCommitIntervalMs = 5000;
constexpr int64_t kLagUpdateIntervalMs = 5000;
constexpr int kShutdownFlushMs = 30000;
}  // namespace

KafkaPipeline::KafkaPipeline(const EngineConfig& config, state::StateStore* store,
                             EngineMetrics* metrics, const Clock* clock)
    : config_(config),
      store_(store),
      metrics_(metrics),
      clock_(clock),
      cache_(store, static_cast<size_t>(config.state.cache_customers)),
      processor_(config, &cache_, metrics),
      timers_(store, &processor_, static_cast<size_t>(config.processing.timer_batch)),
      sweep_(config.state.retention_ms, static_cast<size_t>(config.state.retention_sweep_batch),
             store, &processor_, metrics),
      rfm_(config.analytics, store, [this](const state::RfmBreakpoints& breakpoints) {
        processor_.SetRfmBreakpoints(breakpoints);
      }) {}

KafkaPipeline::~KafkaPipeline() = default;

Result<std::unique_ptr<KafkaPipeline>> KafkaPipeline::Create(const EngineConfig& config,
                                                             const std::string& bootstrap_servers,
                                                             state::StateStore* store,
                                                             EngineMetrics* metrics,
                                                             const Clock* clock) {
  std::unique_ptr<KafkaPipeline> pipeline(new KafkaPipeline(config, store, metrics, clock));
  connectors::KafkaSinkOptions sink_options;
  sink_options.bootstrap_servers = bootstrap_servers;
  sink_options.properties = config.kafka.producer_properties;
  auto sink = connectors::KafkaSink::Create(sink_options);
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
  // Whatever a previous run committed but did not see acknowledged goes out again.
  Status resend = store_->ForEachOutbox([this](uint64_t sequence, const v1::OutboxEntry& entry) {
    in_flight_[sequence] = entry;
    Produce(sequence, entry);
  });
  if (!resend.ok()) return resend;
  last_commit_ = last_kafka_commit_ = last_lag_update_ = last_record_ = last_timer_check_ =
      last_sweep_ = SteadyClock::now();
  if (Status s = timers_.Refresh(); !s.ok()) return s;
  // RFM quantile breakpoints from the store before the first record.
  if (Status s = Housekeeping(); !s.ok()) return s;

  while (!stop.load(std::memory_order_relaxed) && fatal_.ok()) {
    PickUpNewRules();
    auto record = source_->Poll(paused_ ? 10 : 50);
    if (!record.ok()) {
      fatal_ = record.status();
      break;
    }
    if (record->has_value()) {
      const connectors::SourceRecord& r = **record;
      const auto start = SteadyClock::now();
      Status s = processor_.ProcessRecord(r, clock_->NowMs(), &pending_out_);
      if (!s.ok()) {
        fatal_ = s;
        break;
      }
      metrics_->ObserveProcessingSeconds(SecondsSince(start));
      pending_offsets_[{r.topic, r.partition}] = r.offset + 1;
      ++uncommitted_records_;
      ++records_processed_;
      last_record_ = start;
    }
    ServeDeliveryReports(0);
    if (uncommitted_records_ >= config_.processing.commit_max_events ||
        MillisSince(last_commit_) >= config_.processing.commit_interval_ms) {
      if (Status s = Commit(); !s.ok()) return s;
    }
    if (MillisSince(last_timer_check_) >= config_.processing.timer_interval_ms) {
      if (Status s = FireDueTimers(); !s.ok()) return s;
    }
    if (Status s = Housekeeping(); !s.ok()) return s;
    if (options.tasks != nullptr) options.tasks->RunPending();
    ApplyBackPressure();
    if (MillisSince(last_kafka_commit_) >= kKafkaCommitIntervalMs) CommitKafkaOffsets();
    if (MillisSince(last_lag_update_) >= kLagUpdateIntervalMs) UpdateLag();
    if (options.stop_when_idle_ms > 0 && !assigned_.empty() &&
        (options.input_finished == nullptr || options.input_finished->load()) &&
        MillisSince(last_record_) >= options.stop_when_idle_ms && pending_out_.empty() &&
        in_flight_.empty() && uncommitted_records_ == 0) {
      break;
    }
  }

  // Graceful shutdown: commit, wait for the outbox to drain, record the removals, leave.
  Status commit = Commit();
  std::vector<connectors::DeliveryReport> reports;
  const auto flush_start = SteadyClock::now();
  while (!in_flight_.empty() && MillisSince(flush_start) < kShutdownFlushMs) {
    ServeDeliveryReports(100);
    if (!to_resend_.empty()) Commit();
  }
  if (!in_flight_.empty()) {
    std::cerr << "touchstream: " << in_flight_.size()
              << " messages not acknowledged at shutdown; they stay in the outbox and are re-sent "
                 "on start\n";
  }
  Status final_commit = Commit();
  CommitKafkaOffsets();
  UpdateLag();
  closing_ = true;
  Status close = source_->Close();
  if (!fatal_.ok()) return fatal_;
  if (!commit.ok()) return commit;
  if (!final_commit.ok()) return final_commit;
  return close;
}

Status KafkaPipeline::FireDueTimers() {
  last_timer_check_ = SteadyClock::now();
  const int64_t now_ms = clock_->NowMs();
  if (now_ms < timers_.next_due_ms()) return Status::Ok();
  auto fired = timers_.FireDue(
      now_ms, now_ms, [this] { return Commit(); }, &pending_out_);
  return fired.ok() ? Status::Ok() : fired.status();
}

Status KafkaPipeline::Housekeeping() {
  const int64_t now_ms = clock_->NowMs();
  if (rfm_.Due(now_ms)) {
    if (Status s = Commit(); !s.ok()) return s;
    if (Status s = rfm_.Refresh(now_ms); !s.ok()) return fatal_ = s;
  }
  if (sweep_.enabled() && MillisSince(last_sweep_) >= config_.state.retention_sweep_interval_ms) {
    last_sweep_ = SteadyClock::now();
    if (Status s = Commit(); !s.ok()) return s;
    auto step = sweep_.Step(now_ms, &pending_out_);
    if (!step.ok()) return fatal_ = step.status();
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
  auto erased = processor_.EraseCustomer(customer_id, &pending_out_);
  if (!erased.ok()) return erased.status();
  metrics_->CustomerErasedByAdmin();
  erased->outbox_entries += ForgetInFlight({std::string(customer_id)});
  if (Status s = Commit(); !s.ok()) return s;
  return erased;
}

std::shared_ptr<const rules::RuleSet> KafkaPipeline::AdminRules() {
  PickUpNewRules();
  return processor_.rules();
}

Status KafkaPipeline::Commit() {
  // Committed but unacknowledged messages of erased customers leave the outbox too.
  if (std::vector<std::string> erased = processor_.TakeErasedCustomers(); !erased.empty()) {
    ForgetInFlight({erased.begin(), erased.end()});
  }
  // Messages whose delivery failed are re-produced; they are still in the outbox.
  for (uint64_t sequence : to_resend_) {
    auto it = in_flight_.find(sequence);
    if (it != in_flight_.end()) Produce(sequence, it->second);
  }
  to_resend_.clear();
  if (cache_.dirty_count() == 0 && pending_out_.empty() && pending_offsets_.empty() &&
      delivered_.empty()) {
    last_commit_ = SteadyClock::now();
    return Status::Ok();
  }
  const auto start = SteadyClock::now();
  state::CommitBatch batch;
  cache_.FlushDirtyInto(&batch);
  processor_.TakeTimerChanges(&batch);
  processor_.TakeImpactChanges(&batch);
  for (const auto& [tp, offset] : pending_offsets_) batch.PutOffset(tp.topic, tp.partition, offset);
  AppendChangelog(batch);
  for (const auto& entry : pending_out_) batch.AddOutbox(entry);
  for (uint64_t sequence : delivered_) batch.RemoveOutbox(sequence);
  std::vector<uint64_t> sequences;
  Status s = store_->Commit(batch, &sequences);
  if (!s.ok()) {
    fatal_ = s;
    return s;
  }
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
  last_commit_ = SteadyClock::now();
  return Status::Ok();
}

void KafkaPipeline::Produce(uint64_t sequence, const v1::OutboxEntry& entry) {
  std::vector<std::pair<std::string, std::string>> headers(entry.headers().begin(),
                                                           entry.headers().end());
  if (!entry.id().empty()) headers.emplace_back("touchstream.id", entry.id());
  Status s = sink_->Produce(entry.topic(), entry.key(), entry.value(), headers, sequence,
                            entry.has_partition() ? entry.partition() : -1);
  if (!s.ok()) {
    std::cerr << "touchstream: produce to " << entry.topic() << " failed (" << s.ToString()
              << "); will retry at the next commit\n";
    metrics_->DeliveryFailed();
    to_resend_.push_back(sequence);
  }
}

void KafkaPipeline::ServeDeliveryReports(int timeout_ms) {
  std::vector<connectors::DeliveryReport> reports;
  sink_->Poll(timeout_ms, &reports);
  for (const auto& report : reports) {
    auto it = in_flight_.find(report.token);
    if (it == in_flight_.end()) continue;
    if (!report.status.ok()) {
      std::cerr << "touchstream: delivery to " << report.topic << " failed ("
                << report.status.ToString() << "); will retry\n";
      metrics_->DeliveryFailed();
      to_resend_.push_back(report.token);
      continue;
    }
    const auto& headers = it->second.headers();
    if (auto channel = headers.find("touchstream.channel"); channel != headers.end()) {
      metrics_->ActionProduced(channel->second);
    }
    in_flight_.erase(it);
    delivered_.push_back(report.token);
  }
  if (!reports.empty()) metrics_->SetOutboxDepth(static_cast<double>(in_flight_.size()));
}

void KafkaPipeline::ApplyBackPressure() {
  const auto in_flight = static_cast<int64_t>(sink_->InFlight());
  if (!paused_ && in_flight > config_.processing.max_in_flight && !assigned_.empty()) {
    if (source_->Pause(assigned_).ok()) paused_ = true;
  } else if (paused_ && in_flight <= config_.processing.max_in_flight / 2) {
    if (source_->Resume(assigned_).ok()) paused_ = false;
  }
}

void KafkaPipeline::CommitKafkaOffsets() {
  last_kafka_commit_ = SteadyClock::now();
  if (!kafka_offsets_dirty_) return;
  std::vector<std::pair<connectors::TopicPartition, int64_t>> offsets;
  for (const auto& tp : assigned_) {
    auto it = stored_offsets_.find(tp);
    if (it != stored_offsets_.end()) offsets.emplace_back(tp, it->second);
  }
  if (offsets.empty()) return;
  Status s = source_->CommitSync(offsets);
  if (!s.ok())
    std::cerr << "touchstream: committing offsets to Kafka failed: " << s.ToString() << "\n";
  kafka_offsets_dirty_ = !s.ok();
}

void KafkaPipeline::UpdateLag() {
  last_lag_update_ = SteadyClock::now();
  for (const auto& lag : source_->Lag()) {
    if (lag.lag >= 0)
      metrics_->SetConsumerLag(lag.partition.topic, lag.partition.partition,
                               static_cast<double>(lag.lag));
  }
}

std::optional<int64_t> KafkaPipeline::StartOffset(const connectors::TopicPartition& tp) {
  RestoreAssigned(tp);
  return store_->GetOffset(tp.topic, tp.partition);
}

void KafkaPipeline::OnAssigned(const std::vector<connectors::TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    if (std::find(assigned_.begin(), assigned_.end(), tp) == assigned_.end())
      assigned_.push_back(tp);
  }
  if (paused_) source_->Pause(partitions);
  last_record_ = SteadyClock::now();  // idleness counts from the assignment
  metrics_->SetAssignedPartitions(static_cast<double>(assigned_.size()));
}

void KafkaPipeline::OnRevoked(const std::vector<connectors::TopicPartition>& partitions,
                              bool lost) {
  // Everything processed so far is committed before the partitions go to another member.
  // Lost partitions were already taken: their uncommitted work is committed too, which is
  // safe (the new owner starts from the store's offsets only on its own instance's store).
  (void)lost;
  Commit();
  CommitKafkaOffsets();
  for (const auto& tp : partitions) {
    assigned_.erase(std::remove(assigned_.begin(), assigned_.end(), tp), assigned_.end());
    stored_offsets_.erase(tp);
  }
  DropRevoked(partitions);
  metrics_->SetAssignedPartitions(static_cast<double>(assigned_.size()));
}

}  // namespace touchstream::engine
