#include "engine/runtime/webhook_deliverer.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "connectors/webhook_action.h"

namespace touchstream::engine {

namespace {

using connectors::TopicPartition;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// How long a failed feedback produce waits before it is tried again.
constexpr int64_t kFeedbackRetryMs = 1000;
// The status of an action that expired before it was sent (docs/channels.md: HTTP 410 Gone).
constexpr int kExpiredStatus = 410;

}  // namespace

Result<WebhookDelivererOptions> DelivererOptionsFor(const EngineConfig& config,
                                                    const std::string& channel,
                                                    const std::string& bootstrap_servers) {
  auto it = config.deliver.channels.find(channel);
  if (it == config.deliver.channels.end()) {
    std::string known;
    for (const auto& [name, c] : config.deliver.channels)
      known += (known.empty() ? "" : ", ") + name;
    return Status::NotFound(config.source_file + ": deliver.channels: no channel '" + channel +
                            "' (configured: " + (known.empty() ? "none" : known) + ")");
  }
  const WebhookChannelConfig& c = it->second;
  WebhookDelivererOptions options;
  options.channel = channel;
  options.bootstrap_servers = bootstrap_servers;
  options.topic = config.DeliverTopic(channel);
  options.group_id = config.DeliverGroupId(channel);
  options.feedback_topic = config.FeedbackTopic();
  if (options.feedback_topic.empty()) {
    return Status::InvalidArgument(config.source_file +
                                   ": deliver.feedback_topic: no topic (kafka.input_topics is "
                                   "empty)");
  }
  options.consumer_properties = config.kafka.consumer_properties;
  options.producer_properties = config.kafka.producer_properties;
  options.producer_properties.emplace("partitioner", config.kafka.partitioner);
  options.endpoint.url = c.url;
  options.endpoint.headers.assign(c.headers.begin(), c.headers.end());
  options.endpoint.timeout = std::chrono::milliseconds(c.timeout_ms);
  options.endpoint.tls_verify = c.tls_verify;
  options.endpoint.tls_ca_file = c.tls_ca_file;
  if (!c.auth_secret_file.empty()) {
    std::ifstream in(c.auth_secret_file);
    std::stringstream text;
    if (in) text << in.rdbuf();
    std::string secret = text.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (!in || secret.empty()) {
      return Status::InvalidArgument("deliver.channels." + channel + ".auth_secret_file: " +
                                     c.auth_secret_file + ": cannot be read or is empty");
    }
    options.endpoint.auth_header = c.auth_header;
    options.endpoint.auth_value = std::move(secret);
  }
  options.retry.max_attempts = c.max_attempts;
  options.retry.initial_backoff_ms = c.initial_backoff_ms;
  options.retry.max_backoff_ms = c.max_backoff_ms;
  options.max_in_flight = c.max_in_flight;
  options.max_per_second = c.max_per_second;
  options.commit_interval_ms = config.deliver.commit_interval_ms;
  return options;
}

class WebhookDeliverer::Impl : public connectors::PartitionListener {
 public:
  Impl(const WebhookDelivererOptions& options, DeliverMetrics* metrics, const Clock* clock,
       Logger* log)
      : options_(options),
        metrics_(metrics),
        clock_(clock),
        log_(log),
        // Bursts of up to one second's worth.
        limiter_(options.max_per_second, options.max_per_second, SteadyMs()),
        rng_(std::random_device{}()) {}

  Status Init() {
    auto client = connectors::WebhookClient::Create(options_.endpoint);
    if (!client.ok()) return client.status();
    client_ = std::move(*client);
    connectors::KafkaSinkOptions sink_options;
    sink_options.bootstrap_servers = options_.bootstrap_servers;
    sink_options.properties = options_.producer_properties;
    auto sink = connectors::KafkaSink::Create(sink_options);
    if (!sink.ok()) return sink.status();
    sink_ = std::move(*sink);
    connectors::KafkaSourceOptions source_options;
    source_options.bootstrap_servers = options_.bootstrap_servers;
    source_options.group_id = options_.group_id;
    source_options.topics = {options_.topic};
    source_options.properties = options_.consumer_properties;
    auto source = connectors::KafkaSource::Create(source_options, this);
    if (!source.ok()) return source.status();
    source_ = std::move(*source);
    return Status::Ok();
  }

  Status Run(const std::atomic<bool>& stop);

  // PartitionListener: start at the group's committed offsets.
  std::optional<int64_t> StartOffset(const TopicPartition&) override { return std::nullopt; }
  void OnAssigned(const std::vector<TopicPartition>& partitions) override {
    for (const TopicPartition& tp : partitions) partitions_[tp];
    log_->Info("deliver", "assigned " + std::to_string(partitions.size()) + " partitions",
               {{"partitions", partitions.size()}});
  }
  // Commits what finished, then forgets the partitions: their unfinished actions are the new
  // owner's (POSTs under way still end with a feedback event; their offsets are not committed).
  void OnRevoked(const std::vector<TopicPartition>& partitions, bool lost) override {
    if (!lost) (void)Commit(partitions);
    for (const TopicPartition& tp : partitions) partitions_.erase(tp);
    for (auto it = items_.begin(); it != items_.end();) {
      if (it->second.state == State::kWaiting && !partitions_.count(it->second.tp)) {
        it = items_.erase(it);
      } else {
        ++it;
      }
    }
    UpdateGauges();
  }

 private:
  enum class State { kWaiting, kPosting, kFeedback, kFeedbackRetry };
  struct Item {
    TopicPartition tp;
    int64_t offset = 0;
    connectors::DeliverableAction action;
    State state = State::kWaiting;
    int64_t attempts = 0;
    int64_t due_ms = 0;         // kWaiting / kFeedbackRetry: when to act
    int64_t post_start_ms = 0;  // kPosting: when the POST started
    std::string feedback;       // kFeedback / kFeedbackRetry: the event
    std::string result;         // delivered, failed, expired
  };
  // Offsets of one partition not yet committed: offset -> finished.
  struct PartitionState {
    std::map<int64_t, bool> offsets;
    int64_t done_next = -1;       // the offset after the finished prefix
    int64_t committed_next = -1;  // the offset last committed
  };
  struct Completion {
    uint64_t id;
    connectors::PostOutcome outcome;
  };

  void Accept(connectors::SourceRecord record, int64_t now_ms);
  void StartPosts(int64_t now_ms);
  void HandleCompletions(std::vector<Completion> completions, int64_t now_ms);
  // status: the HTTP status fed back (0: none); reason: why there is none, or "expired".
  void Finish(uint64_t id, Item& item, bool delivered, int status, std::string_view reason,
              const std::string& result);
  void ProduceFeedback(uint64_t id, Item& item, int64_t now_ms);
  void HandleReports(const std::vector<connectors::DeliveryReport>& reports, int64_t now_ms);
  void MarkDone(const TopicPartition& tp, int64_t offset);
  Status Commit(const std::vector<TopicPartition>& only);
  // How long Run may sleep when it takes no more actions: until a POST may complete, the next
  // retry (or the rate limit) allows a POST, or a feedback report may arrive; 1..100 ms.
  int64_t IdleWaitMs(int64_t now_ms);
  void UpdateGauges() {
    metrics_->SetInFlight(static_cast<double>(posting_));
    metrics_->SetPending(static_cast<double>(items_.size()));
  }

  const WebhookDelivererOptions options_;
  DeliverMetrics* const metrics_;
  const Clock* const clock_;
  Logger* const log_;
  connectors::RateLimiter limiter_;
  std::mt19937_64 rng_;
  std::map<uint64_t, Item> items_;  // by id, in the order taken from Kafka
  std::map<TopicPartition, PartitionState> partitions_;
  uint64_t next_id_ = 1;
  int64_t posting_ = 0;
  // Set once stop is requested: nothing new is taken or POSTed.
  bool draining_ = false;
  // Filled by the HTTP client's thread.
  std::mutex mu_;
  std::condition_variable completed_;
  std::vector<Completion> completions_;  // GUARDED_BY(mu_)
  // Destroyed first: the client's thread is joined before the members above go away.
  std::unique_ptr<connectors::KafkaSink> sink_;
  std::unique_ptr<connectors::KafkaSource> source_;
  std::unique_ptr<connectors::WebhookClient> client_;
};

void WebhookDeliverer::Impl::Accept(connectors::SourceRecord record, int64_t now_ms) {
  const TopicPartition tp{record.topic, record.partition};
  auto partition = partitions_.find(tp);
  if (partition == partitions_.end()) return;  // revoked meanwhile
  partition->second.offsets[record.offset] = false;
  auto action = connectors::ReadDeliverableAction(record.value);
  if (!action.ok()) {
    log_->Error("deliver", "undecodable action skipped",
                {{"topic", record.topic},
                 {"partition", record.partition},
                 {"offset", record.offset},
                 {"error", action.status().message()}});
    metrics_->ActionFinished("skipped");
    return MarkDone(tp, record.offset);
  }
  if (action->channel != options_.channel) {
    metrics_->ActionFinished("skipped");
    return MarkDone(tp, record.offset);
  }
  const uint64_t id = next_id_++;
  Item& item = items_[id];
  item.tp = tp;
  item.offset = record.offset;
  item.action = std::move(*action);
  item.due_ms = now_ms;
  if (item.action.expires_at_ms > 0 && clock_->NowMs() >= item.action.expires_at_ms) {
    Finish(id, item, /*delivered=*/false, kExpiredStatus, "expired", "expired");
  }
}

void WebhookDeliverer::Impl::StartPosts(int64_t now_ms) {
  for (auto& [id, item] : items_) {
    if (item.state != State::kWaiting || item.due_ms > now_ms) continue;
    if (!limiter_.TryAcquire(now_ms)) return;
    if (item.attempts > 0) metrics_->Retried();
    ++item.attempts;
    ++posting_;
    item.state = State::kPosting;
    item.post_start_ms = now_ms;
    client_->Post(item.action.body, item.action.action_id,
                  [this, id = id](const connectors::PostOutcome& outcome) {
                    std::lock_guard<std::mutex> lock(mu_);
                    completions_.push_back({id, outcome});
                    completed_.notify_one();
                  });
  }
}

void WebhookDeliverer::Impl::HandleCompletions(std::vector<Completion> completions,
                                               int64_t now_ms) {
  for (Completion& done : completions) {
    --posting_;
    auto it = items_.find(done.id);
    if (it == items_.end()) continue;
    Item& item = it->second;
    metrics_->PostFinished(done.outcome, static_cast<double>(now_ms - item.post_start_ms) / 1000.0);
    const connectors::Verdict verdict = connectors::Classify(done.outcome);
    const std::string status = connectors::OutcomeStatus(done.outcome);
    if (connectors::ShouldRetry(options_.retry, verdict, item.attempts)) {
      const int64_t wait = connectors::BackoffMs(options_.retry, item.attempts, rng_);
      log_->Log(LogLevel::kDebug, "deliver", "POST failed; retrying",
                {{"action_id", item.action.action_id},
                 {"status", status},
                 {"attempt", item.attempts},
                 {"retry_in_ms", wait},
                 {"error", done.outcome.error_text}});
      // Revoked, or stopping: the partition's next owner (or the next run) POSTs it again.
      if (draining_ || !partitions_.count(item.tp)) {
        items_.erase(it);
        continue;
      }
      item.state = State::kWaiting;
      item.due_ms = now_ms + wait;
      continue;
    }
    // No answer (timeout, connection error): no status, the reason says why.
    // (Both arms string_view: `? "" : status` made a std::string temporary the view outlived.)
    const std::string_view reason = done.outcome.error == connectors::PostOutcome::Error::kNone
                                        ? std::string_view()
                                        : std::string_view(status);
    if (verdict == connectors::Verdict::kDelivered) {
      Finish(done.id, item, true, done.outcome.http_status, reason, "delivered");
    } else {
      log_->Warn("deliver", "action failed",
                 {{"action_id", item.action.action_id},
                  {"status", status},
                  {"attempts", item.attempts},
                  {"error", done.outcome.error_text}});
      Finish(done.id, item, false, done.outcome.http_status, reason, "failed");
    }
  }
}

void WebhookDeliverer::Impl::Finish(uint64_t id, Item& item, bool delivered, int status,
                                    std::string_view reason, const std::string& result) {
  item.result = result;
  item.feedback = connectors::FeedbackEventJson(item.action, options_.channel, delivered, status,
                                                reason, item.attempts, clock_->NowMs());
  ProduceFeedback(id, item, SteadyMs());
}

void WebhookDeliverer::Impl::ProduceFeedback(uint64_t id, Item& item, int64_t now_ms) {
  connectors::DeliveryFailure failure = connectors::DeliveryFailure::kNone;
  Status produced = sink_->Produce(options_.feedback_topic, item.action.customer_id, item.feedback,
                                   {}, id, -1, &failure);
  if (produced.ok()) {
    item.state = State::kFeedback;
    return;
  }
  log_->Warn("deliver", "cannot produce feedback; retrying",
             {{"topic", options_.feedback_topic}, {"error", produced.ToString()}});
  item.state = State::kFeedbackRetry;
  item.due_ms = now_ms + kFeedbackRetryMs;
}

void WebhookDeliverer::Impl::HandleReports(const std::vector<connectors::DeliveryReport>& reports,
                                           int64_t now_ms) {
  for (const connectors::DeliveryReport& report : reports) {
    auto it = items_.find(report.token);
    if (it == items_.end()) continue;
    Item& item = it->second;
    if (!report.status.ok()) {
      log_->Warn("deliver", "feedback not delivered; retrying",
                 {{"topic", report.topic}, {"error", report.status.ToString()}});
      item.state = State::kFeedbackRetry;
      item.due_ms = now_ms + kFeedbackRetryMs;
      continue;
    }
    metrics_->ActionFinished(item.result);
    MarkDone(item.tp, item.offset);
    items_.erase(it);
  }
  for (auto& [id, item] : items_) {
    if (item.state == State::kFeedbackRetry && item.due_ms <= now_ms) {
      ProduceFeedback(id, item, now_ms);
    }
  }
}

void WebhookDeliverer::Impl::MarkDone(const TopicPartition& tp, int64_t offset) {
  auto partition = partitions_.find(tp);
  if (partition == partitions_.end()) return;
  PartitionState& p = partition->second;
  auto at = p.offsets.find(offset);
  if (at == p.offsets.end()) return;
  at->second = true;
  while (!p.offsets.empty() && p.offsets.begin()->second) {
    p.done_next = p.offsets.begin()->first + 1;
    p.offsets.erase(p.offsets.begin());
  }
}

Status WebhookDeliverer::Impl::Commit(const std::vector<TopicPartition>& only) {
  std::vector<std::pair<TopicPartition, int64_t>> next;
  for (auto& [tp, p] : partitions_) {
    if (!only.empty() && std::find(only.begin(), only.end(), tp) == only.end()) continue;
    if (p.done_next > p.committed_next) next.emplace_back(tp, p.done_next);
  }
  if (next.empty()) return Status::Ok();
  Status status = source_->CommitSync(next);
  if (!status.ok()) {
    log_->Warn("deliver", "offset commit failed; retrying later", {{"error", status.ToString()}});
    return status;
  }
  for (const auto& [tp, offset] : next) partitions_[tp].committed_next = offset;
  return status;
}

int64_t WebhookDeliverer::Impl::IdleWaitMs(int64_t now_ms) {
  if (posting_ > 0) return 5;
  int64_t next_ms = now_ms + 100;
  for (const auto& [id, item] : items_) {
    if (item.state == State::kWaiting) {
      next_ms = std::min(next_ms, std::max(item.due_ms, limiter_.NextAvailableMs(now_ms)));
    } else if (item.state == State::kFeedbackRetry) {
      next_ms = std::min(next_ms, item.due_ms);
    } else {
      next_ms = std::min(next_ms, now_ms + 5);  // delivery reports come through Poll
    }
  }
  return std::clamp<int64_t>(next_ms - now_ms, 1, 100);
}

Status WebhookDeliverer::Impl::Run(const std::atomic<bool>& stop) {
  log_->Info("deliver",
             "delivering channel " + options_.channel + " from " + options_.topic + " to " +
                 options_.endpoint.url,
             {{"channel", options_.channel},
              {"topic", options_.topic},
              {"group", options_.group_id},
              {"feedback_topic", options_.feedback_topic}});
  int64_t last_commit_ms = SteadyMs();
  int64_t drain_deadline_ms = -1;
  while (true) {
    int64_t now_ms = SteadyMs();
    if (stop.load() && !draining_) {
      draining_ = true;
      drain_deadline_ms = now_ms + options_.endpoint.timeout.count() + 1000;
      // Actions not being POSTed are left to the next run; only their offsets stay uncommitted.
      for (auto it = items_.begin(); it != items_.end();) {
        it = it->second.state == State::kWaiting ? items_.erase(it) : std::next(it);
      }
    }
    if (draining_ && (items_.empty() || now_ms >= drain_deadline_ms)) break;

    std::vector<Completion> completions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      completions.swap(completions_);
    }
    HandleCompletions(std::move(completions), now_ms);
    if (!draining_) StartPosts(now_ms);
    std::vector<connectors::DeliveryReport> reports;
    sink_->Poll(0, &reports);
    HandleReports(reports, now_ms);
    UpdateGauges();

    if (now_ms - last_commit_ms >= options_.commit_interval_ms) {
      (void)Commit({});
      last_commit_ms = now_ms;
    }
    if (!draining_ && static_cast<int64_t>(items_.size()) < options_.max_in_flight) {
      auto record = source_->Poll(items_.empty() ? 50 : static_cast<int>(IdleWaitMs(now_ms)));
      if (!record.ok()) return record.status();
      if (record->has_value()) Accept(std::move(**record), SteadyMs());
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    completed_.wait_for(lock, std::chrono::milliseconds(IdleWaitMs(now_ms)),
                        [this] { return !completions_.empty(); });
  }
  std::vector<connectors::DeliveryReport> reports;
  (void)sink_->Flush(2000, &reports);
  HandleReports(reports, SteadyMs());
  (void)Commit({});
  log_->Info("deliver", "stopped", {{"unfinished", items_.size()}});
  items_.clear();
  return source_->Close();
}

Result<std::unique_ptr<WebhookDeliverer>> WebhookDeliverer::Create(
    const WebhookDelivererOptions& options, DeliverMetrics* metrics, const Clock* clock,
    Logger* log) {
  auto impl = std::make_unique<Impl>(options, metrics, clock, log);
  if (Status status = impl->Init(); !status.ok()) return status;
  return std::unique_ptr<WebhookDeliverer>(new WebhookDeliverer(std::move(impl)));
}

WebhookDeliverer::WebhookDeliverer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebhookDeliverer::~WebhookDeliverer() = default;

Status WebhookDeliverer::Run(const std::atomic<bool>& stop) {
  return impl_->Run(stop);
}

}  // namespace touchstream::engine
