#include "connectors/kafka_sink.h"

#include <cstdint>

namespace touchstream::connectors {
namespace {

// Tokens travel as librdkafka's per-message opaque pointer.
static_assert(sizeof(void*) >= sizeof(uint64_t), "tokens are carried in a pointer");
constexpr int kQueueFullPollMs = 50;

}  // namespace

KafkaSink::~KafkaSink() = default;

Result<std::unique_ptr<KafkaSink>> KafkaSink::Create(const KafkaSinkOptions& options) {
  if (options.bootstrap_servers.empty()) {
    return Status::InvalidArgument("kafka sink: bootstrap_servers is empty");
  }
  std::unique_ptr<KafkaSink> sink(new KafkaSink(options.queue_full_wait_ms));
  RdKafkaConfPtr conf(rd_kafka_conf_new());
  Status status = SetConf(conf.get(), {{"bootstrap.servers", options.bootstrap_servers},
                                       {"enable.idempotence", "true"},
                                       {"acks", "all"},
                                       {"partitioner", "murmur2_random"},
                                       {"linger.ms", "5"}});
  if (status.ok()) status = SetConf(conf.get(), options.properties);
  if (!status.ok()) return status;
  rd_kafka_conf_set_opaque(conf.get(), sink.get());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaSink::DeliveryCallback);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSink::ErrorCallback);
  Result<RdKafkaPtr> producer = NewClient(RD_KAFKA_PRODUCER, std::move(conf));
  if (!producer.ok()) return producer.status();
  sink->producer_ = std::move(producer).value();
  return sink;
}

void KafkaSink::DeliveryCallback(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message,
                                 void* opaque) {
  KafkaSink* sink = static_cast<KafkaSink*>(opaque);
  DeliveryReport report;
  report.token = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(message->_private));
  report.topic = rd_kafka_topic_name(message->rkt);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    report.partition = message->partition;
    report.offset = message->offset;
    sink->brokers_down_.store(false, std::memory_order_relaxed);
  } else {
    report.status = StatusFromError(message->err, "delivery to " + report.topic);
    report.failure = ClassifyDeliveryError(message->err);
  }
  sink->pending_reports_.push_back(std::move(report));
  sink->in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

void KafkaSink::ErrorCallback(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  KafkaSink* sink = static_cast<KafkaSink*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    sink->brokers_down_.store(true, std::memory_order_relaxed);
  }
  if (code == RD_KAFKA_RESP_ERR__FATAL)
    sink->failed_fatally_.store(true, std::memory_order_relaxed);
  sink->error_log_.Report(code, reason);
}

Status KafkaSink::ProbeBrokers(int timeout_ms) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(producer_.get(), 0, nullptr, &metadata, timeout_ms);
  const bool reached = err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->broker_cnt > 0;
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  if (!reached)
    return StatusFromError(err == RD_KAFKA_RESP_ERR_NO_ERROR ? RD_KAFKA_RESP_ERR__TRANSPORT : err,
                           "kafka sink: broker probe");
  brokers_down_.store(false, std::memory_order_relaxed);
  return Status::Ok();
}

Status KafkaSink::Produce(const std::string& topic, std::string_view key, std::string_view value,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          uint64_t token, int32_t partition, DeliveryFailure* failure) {
  if (failure != nullptr) *failure = DeliveryFailure::kNone;
  // Headers go as one list the caller owns until a produce succeeds (VTYPE_HEADERS), not one by
  // one (VTYPE_HEADER): librdkafka 2.0 frees the latter twice when the partitioner fails
  // (confluentinc/librdkafka#4627).
  RdKafkaHeadersPtr header_list;
  if (!headers.empty()) {
    header_list.reset(rd_kafka_headers_new(headers.size()));
    for (const auto& [name, header_value] : headers) {
      rd_kafka_header_add(header_list.get(), name.data(), static_cast<ssize_t>(name.size()),
                          header_value.data(), static_cast<ssize_t>(header_value.size()));
    }
  }
  std::vector<rd_kafka_vu_t> args(5);
  args[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  args[0].u.cstr = topic.c_str();
  args[1].vtype = RD_KAFKA_VTYPE_KEY;
  args[1].u.mem = {const_cast<char*>(key.data()), key.size()};
  args[2].vtype = RD_KAFKA_VTYPE_VALUE;
  args[2].u.mem = {const_cast<char*>(value.data()), value.size()};
  args[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  args[3].u.i = RD_KAFKA_MSG_F_COPY;
  args[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
  args[4].u.ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(token));
  if (partition >= 0) {
    rd_kafka_vu_t& arg = args.emplace_back();
    arg.vtype = RD_KAFKA_VTYPE_PARTITION;
    arg.u.i32 = partition;
  }
  if (header_list != nullptr) {
    rd_kafka_vu_t& arg = args.emplace_back();
    arg.vtype = RD_KAFKA_VTYPE_HEADERS;
    arg.u.headers = header_list.get();
  }

  int waited_ms = 0;
  while (true) {
    RdKafkaErrorPtr error(rd_kafka_produceva(producer_.get(), args.data(), args.size()));
    if (error == nullptr) {
      header_list.release();  // owned by the message now
      break;
    }
    const rd_kafka_resp_err_t err = rd_kafka_error_code(error.get());
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && waited_ms < queue_full_wait_ms_) {
      rd_kafka_poll(producer_.get(), kQueueFullPollMs);
      waited_ms += kQueueFullPollMs;
      continue;
    }
    if (failure != nullptr) {
      *failure = err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? DeliveryFailure::kRetriable
                                                      : ClassifyDeliveryError(err);
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[512];
      rd_kafka_fatal_error(producer_.get(), reason, sizeof(reason));
      return Status::Internal(std::string("kafka sink: fatal error: ") + reason);
    }
    return StatusFromError(err, "produce to " + topic + " (" + rd_kafka_error_string(error.get()) +
                                    (err == RD_KAFKA_RESP_ERR__QUEUE_FULL
                                         ? ", after waiting " + std::to_string(waited_ms) + " ms)"
                                         : ")"));
  }
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  rd_kafka_poll(producer_.get(), 0);
  return Status::Ok();
}

void KafkaSink::TakeReports(std::vector<DeliveryReport>* reports) {
  for (DeliveryReport& report : pending_reports_) reports->push_back(std::move(report));
  pending_reports_.clear();
}

void KafkaSink::Poll(int timeout_ms, std::vector<DeliveryReport>* reports) {
  rd_kafka_poll(producer_.get(), timeout_ms);
  TakeReports(reports);
}

Status KafkaSink::Flush(int timeout_ms, std::vector<DeliveryReport>* reports) {
  rd_kafka_flush(producer_.get(), timeout_ms);
  TakeReports(reports);
  const size_t remaining = InFlight();
  if (remaining == 0) return Status::Ok();
  return Status::Unavailable("kafka sink: flush timed out after " + std::to_string(timeout_ms) +
                             " ms: " + std::to_string(remaining) + " messages remain undelivered");
}

}  // namespace touchstream::connectors
