#include "connectors/kafka_source.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

namespace touchstream::connectors {
namespace {

bool IsCooperative(rd_kafka_t* rk) {
  return std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
}

SourceRecord ToRecord(const rd_kafka_message_t& message) {
  SourceRecord record;
  record.topic = rd_kafka_topic_name(message.rkt);
  record.partition = message.partition;
  record.offset = message.offset;
  if (message.key != nullptr) {
    record.key.assign(static_cast<const char*>(message.key), message.key_len);
  }
  if (message.payload != nullptr) {
    record.value.assign(static_cast<const char*>(message.payload), message.len);
  }
  rd_kafka_timestamp_type_t timestamp_type;
  const int64_t timestamp = rd_kafka_message_timestamp(&message, &timestamp_type);
  record.timestamp_ms = timestamp < 0 ? 0 : timestamp;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record.headers.emplace_back(name, value == nullptr
                                            ? std::string()
                                            : std::string(static_cast<const char*>(value), size));
    }
  }
  return record;
}

}  // namespace

KafkaSource::KafkaSource(PartitionListener* listener) : listener_(listener) {}

KafkaSource::~KafkaSource() {
  Close();
  if (abandoned_) {
    rd_kafka_destroy_flags(consumer_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
}

Result<std::unique_ptr<KafkaSource>> KafkaSource::Create(const KafkaSourceOptions& options,
                                                         PartitionListener* listener) {
  if (options.bootstrap_servers.empty()) {
    return Status::InvalidArgument("kafka source: bootstrap_servers is empty");
  }
  if (options.group_id.empty()) return Status::InvalidArgument("kafka source: group_id is empty");
  if (options.topics.empty()) return Status::InvalidArgument("kafka source: no topics to read");
  if (listener == nullptr) return Status::InvalidArgument("kafka source: listener is null");

  std::unique_ptr<KafkaSource> source(new KafkaSource(listener));
  source->close_timeout_ms_ = options.close_timeout_ms;
  RdKafkaConfPtr conf(rd_kafka_conf_new());
  Status status = SetConf(conf.get(), {{"bootstrap.servers", options.bootstrap_servers},
                                       {"group.id", options.group_id},
                                       {"partition.assignment.strategy", "cooperative-sticky"},
                                       {"enable.auto.commit", "false"},
                                       {"enable.auto.offset.store", "false"},
                                       {"auto.offset.reset", "earliest"}});
  if (status.ok()) status = SetConf(conf.get(), options.properties);
  if (!status.ok()) return status;
  rd_kafka_conf_set_opaque(conf.get(), source.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaSource::RebalanceCallback);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSource::ErrorCallback);

  Result<RdKafkaPtr> consumer = NewClient(RD_KAFKA_CONSUMER, std::move(conf));
  if (!consumer.ok()) return consumer.status();
  source->consumer_ = std::move(consumer).value();
  rd_kafka_poll_set_consumer(source->consumer_.get());

  RdKafkaListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(options.topics.size())));
  for (const std::string& topic : options.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  status = StatusFromError(rd_kafka_subscribe(source->consumer_.get(), topics.get()),
                           "kafka source: subscribe");
  if (!status.ok()) return status;
  return source;
}

void KafkaSource::RebalanceCallback(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaSource*>(opaque)->OnRebalance(err, partitions);
}

void KafkaSource::ErrorCallback(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  static_cast<KafkaSource*>(opaque)->error_log_.Report(static_cast<rd_kafka_resp_err_t>(err),
                                                       reason);
}

void KafkaSource::OffsetCommitCallback(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                                       rd_kafka_topic_partition_list_t* offsets, void* opaque) {
  KafkaSource* source = static_cast<KafkaSource*>(opaque);
  if (!source->async_commit_error_.ok()) return;
  Status status = StatusFromError(err, "asynchronous commit");
  if (status.ok() && offsets != nullptr)
    status = FirstPartitionError(offsets, "asynchronous commit");
  source->async_commit_error_ = status;
}

void KafkaSource::OnRebalance(rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t* partitions) {
  rd_kafka_t* rk = consumer_.get();
  const bool cooperative = IsCooperative(rk);
  const std::vector<TopicPartition> changed = FromList(partitions);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < partitions->cnt; ++i) {
      const std::optional<int64_t> start = listener_->StartOffset(changed[i]);
      partitions->elems[i].offset = start.has_value() ? *start : RD_KAFKA_OFFSET_INVALID;
    }
    Status status;
    if (cooperative) {
      RdKafkaErrorPtr error(rd_kafka_incremental_assign(rk, partitions));
      if (error != nullptr) status = StatusFromError(rd_kafka_error_code(error.get()), "assign");
    } else {
      status = StatusFromError(rd_kafka_assign(rk, partitions), "assign");
    }
    if (!status.ok()) {
      error_log_.Report(RD_KAFKA_RESP_ERR__STATE, status.message());
      return;
    }
    listener_->OnAssigned(changed);
    return;
  }
  // Revoked or lost (any other code): the owner commits or discards first, then we let go.
  const bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk);
  listener_->OnRevoked(changed, lost);
  if (cooperative) {
    RdKafkaErrorPtr error(rd_kafka_incremental_unassign(rk, partitions));
    if (error != nullptr) error_log_.Report(rd_kafka_error_code(error.get()), "unassign failed");
  } else {
    const rd_kafka_resp_err_t unassign_err = rd_kafka_assign(rk, nullptr);
    if (unassign_err) error_log_.Report(unassign_err, "unassign failed");
  }
}

Status KafkaSource::FatalStatus() {
  char reason[512];
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(consumer_.get(), reason, sizeof(reason));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  return Status::Internal(std::string("kafka source: fatal error ") + rd_kafka_err2name(err) +
                          ": " + reason);
}

Result<std::optional<SourceRecord>> KafkaSource::Poll(int timeout_ms) {
  if (state_ != State::kOpen) return Status::Internal("kafka source: Poll after Close");
  RdKafkaMessagePtr message(rd_kafka_consumer_poll(consumer_.get(), timeout_ms));
  if (message == nullptr) return std::optional<SourceRecord>();
  switch (message->err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return std::optional<SourceRecord>(ToRecord(*message));
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
      return std::optional<SourceRecord>();
    case RD_KAFKA_RESP_ERR__FATAL: {
      Status fatal = FatalStatus();
      return fatal.ok() ? StatusFromError(message->err, "kafka source") : fatal;
    }
    default:
      error_log_.Report(message->err, rd_kafka_message_errstr(message.get()));
      return std::optional<SourceRecord>();
  }
}

Status KafkaSource::CommitSync(
    const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets) {
  if (state_ == State::kClosed) return Status::Internal("kafka source: CommitSync after Close");
  if (next_offsets.empty()) return Status::Ok();
  RdKafkaListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())));
  for (const auto& [tp, offset] : next_offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  Status status =
      StatusFromError(rd_kafka_commit(consumer_.get(), list.get(), /*async=*/0), "commit");
  if (!status.ok()) return status;
  return FirstPartitionError(list.get(), "commit");
}

Status KafkaSource::CommitAsync(
    const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets) {
  if (state_ == State::kClosed) return Status::Internal("kafka source: CommitAsync after Close");
  if (next_offsets.empty()) return Status::Ok();
  RdKafkaListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())));
  for (const auto& [tp, offset] : next_offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  // The result is posted on the consumer's queue, where Poll serves OffsetCommitCallback.
  RdKafkaQueuePtr queue(rd_kafka_queue_get_consumer(consumer_.get()));
  if (queue == nullptr) return Status::Internal("kafka source: commit: no consumer queue");
  return StatusFromError(rd_kafka_commit_queue(consumer_.get(), list.get(), queue.get(),
                                               &KafkaSource::OffsetCommitCallback, this),
                         "commit");
}

Status KafkaSource::TakeAsyncCommitError() {
  return std::exchange(async_commit_error_, Status::Ok());
}

Status KafkaSource::Pause(const std::vector<TopicPartition>& partitions) {
  RdKafkaListPtr list = ToList(partitions);
  Status status = StatusFromError(rd_kafka_pause_partitions(consumer_.get(), list.get()), "pause");
  return status.ok() ? FirstPartitionError(list.get(), "pause") : status;
}

Status KafkaSource::Resume(const std::vector<TopicPartition>& partitions) {
  RdKafkaListPtr list = ToList(partitions);
  Status status =
      StatusFromError(rd_kafka_resume_partitions(consumer_.get(), list.get()), "resume");
  return status.ok() ? FirstPartitionError(list.get(), "resume") : status;
}

std::vector<TopicPartition> KafkaSource::Assignment() const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(consumer_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  RdKafkaListPtr list(raw);
  std::vector<TopicPartition> partitions = FromList(list.get());
  std::sort(partitions.begin(), partitions.end());
  return partitions;
}

std::vector<KafkaSource::PartitionLag> KafkaSource::Lag(int query_timeout_ms) {
  const std::vector<TopicPartition> assigned = Assignment();
  RdKafkaListPtr list = ToList(assigned);
  if (rd_kafka_position(consumer_.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  std::vector<PartitionLag> lags;
  lags.reserve(assigned.size());
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    PartitionLag lag;
    lag.partition = assigned[i];
    lag.position = p.offset >= 0 ? p.offset : -1;
    int64_t low = -1;
    int64_t high = -1;
    if (rd_kafka_get_watermark_offsets(consumer_.get(), p.topic, p.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      if (query_timeout_ms <= 0 ||
          rd_kafka_query_watermark_offsets(consumer_.get(), p.topic, p.partition, &low, &high,
                                           query_timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        high = -1;
      }
    }
    lag.high_watermark = high >= 0 ? high : -1;
    if (lag.position >= 0 && lag.high_watermark >= 0) {
      lag.lag = std::max<int64_t>(0, lag.high_watermark - lag.position);
    }
    lags.push_back(lag);
  }
  return lags;
}

Status KafkaSource::Close() {
  if (state_ != State::kOpen || consumer_ == nullptr) return Status::Ok();
  state_ = State::kClosing;
  // rd_kafka_consumer_close waits without a bound; the queue variant lets the wait end.
  rd_kafka_t* rk = consumer_.get();
  RdKafkaQueuePtr queue(rd_kafka_queue_new(rk));
  RdKafkaErrorPtr error(rd_kafka_consumer_close_queue(rk, queue.get()));
  if (error != nullptr) {
    state_ = State::kClosed;
    return StatusFromError(rd_kafka_error_code(error.get()), "kafka source: close");
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(close_timeout_ms_);
  while (!rd_kafka_consumer_closed(rk)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      state_ = State::kClosed;
      abandoned_ = true;
      return Status::Unavailable(
          "kafka source: the consumer did not leave the group within " +
          std::to_string(close_timeout_ms_) +
          " ms; stopped without leaving (the group notices after session.timeout.ms)");
    }
    rd_kafka_event_t* event =
        rd_kafka_queue_poll(queue.get(), static_cast<int>(std::min<int64_t>(left, 100)));
    if (event == nullptr) continue;
    // What rd_kafka_consumer_close would serve through the callbacks arrives as events here.
    switch (rd_kafka_event_type(event)) {
      case RD_KAFKA_EVENT_REBALANCE:
        OnRebalance(rd_kafka_event_error(event), rd_kafka_event_topic_partition_list(event));
        break;
      case RD_KAFKA_EVENT_OFFSET_COMMIT:
        OffsetCommitCallback(rk, rd_kafka_event_error(event),
                             rd_kafka_event_topic_partition_list(event), this);
        break;
      case RD_KAFKA_EVENT_ERROR:
        error_log_.Report(rd_kafka_event_error(event), rd_kafka_event_error_string(event));
        break;
      default:
        break;
    }
    rd_kafka_event_destroy(event);
  }
  state_ = State::kClosed;
  return Status::Ok();
}

}  // namespace touchstream::connectors
