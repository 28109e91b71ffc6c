// KafkaSink: an idempotent Kafka producer whose delivery reports are handed back to the caller.
//
// Defaults (each overridable through KafkaSinkOptions::properties): enable.idempotence=true,
// acks=all, partitioner=murmur2_random (the Java client's partitioner: a key goes to the same
// partition whichever client produced it), linger.ms=5. Compression: compression.type. The engine
// sets `partitioner` to its kafka.partitioner (engine/runtime/kafka_pipeline.cc), so that records
// keyed by a customer id land where the customer's input partition number is.
//
// Every message produced gets exactly one DeliveryReport (success or final failure), returned
// by a later Poll or Flush, carrying the caller's token.
//
// Thread safety: not thread safe; use from one thread. InFlight() may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "connectors/kafka_common.h"

namespace touchstream::connectors {

struct KafkaSinkOptions {
  // Required: "host:port[,host:port...]".
  std::string bootstrap_servers;
  // Extra librdkafka settings, applied last: compression.type, security.protocol, sasl.*, ...
  std::map<std::string, std::string> properties;
  // How long Produce keeps polling for room when the local queue is full before giving up.
  int queue_full_wait_ms = 5000;
};

struct DeliveryReport {
  // The token given to Produce.
  uint64_t token = 0;
  // Ok when the broker acknowledged the message; else why it was not delivered.
  Status status;
  // kNone when delivered; else what to do about it.
  DeliveryFailure failure = DeliveryFailure::kNone;
  std::string topic;
  // Where it was written; -1 when not delivered.
  int32_t partition = -1;
  int64_t offset = -1;
};

class KafkaSink {
 public:
  // InvalidArgument for a missing bootstrap_servers or a rejected setting.
  static Result<std::unique_ptr<KafkaSink>> Create(const KafkaSinkOptions& options);
  // Does not flush: call Flush first; messages still queued are dropped.
  ~KafkaSink();
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  // Enqueues one message keyed by `key`; `token` comes back in its DeliveryReport. On a full
  // local queue it polls (keeping the reports for the next Poll/Flush) and retries for up to
  // options.queue_full_wait_ms, then returns Unavailable. A fatal producer error (idempotence
  // broken) or an unknown topic returns a non-ok Status; no report is made for a failed Produce.
  // `partition` >= 0 produces to that partition; -1 lets the partitioner choose from the key.
  // *failure (when given) receives the failure class (kNone on success; a full queue is
  // kRetriable).
  Status Produce(const std::string& topic, std::string_view key, std::string_view value,
                 const std::vector<std::pair<std::string, std::string>>& headers, uint64_t token,
                 int32_t partition = -1, DeliveryFailure* failure = nullptr);

  // True from the moment librdkafka reports every broker down until a message is delivered or
  // ProbeBrokers reaches a broker. Thread-safe.
  bool brokers_down() const { return brokers_down_.load(std::memory_order_relaxed); }
  // True once librdkafka reported a fatal error (the idempotent producer's guarantees broken):
  // the producer accepts nothing more and the messages it holds may never be reported; only a
  // new KafkaSink can send them. Thread-safe.
  bool failed_fatally() const { return failed_fatally_.load(std::memory_order_relaxed); }
  // Asks the cluster for its broker list, waiting up to timeout_ms; ok (and brokers_down()
  // false) when a broker answered, Unavailable otherwise.
  Status ProbeBrokers(int timeout_ms);

  // Serves delivery callbacks for up to timeout_ms; appends the reports collected to *reports.
  void Poll(int timeout_ms, std::vector<DeliveryReport>* reports);

  // Waits up to timeout_ms for every message in flight to be reported; appends reports to
  // *reports. Unavailable naming how many messages remain undelivered on timeout.
  Status Flush(int timeout_ms, std::vector<DeliveryReport>* reports);

  // Messages produced whose delivery report has not been served yet.
  size_t InFlight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  explicit KafkaSink(int queue_full_wait_ms) : queue_full_wait_ms_(queue_full_wait_ms) {}
  static void DeliveryCallback(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  static void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  void TakeReports(std::vector<DeliveryReport>* reports);

  const int queue_full_wait_ms_;
  ErrorLog error_log_{"kafka sink"};
  std::atomic<size_t> in_flight_{0};
  std::atomic<bool> brokers_down_{false};
  std::atomic<bool> failed_fatally_{false};
  // Filled by DeliveryCallback (on the thread calling Poll/Flush/Produce).
  std::vector<DeliveryReport> pending_reports_;
  // Destroyed first (declared last): callbacks may touch the members above until then.
  RdKafkaPtr producer_;
};

}  // namespace touchstream::connectors
