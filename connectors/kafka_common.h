// Internal helpers shared by KafkaSource, KafkaSink and DevBroker: owning wrappers for
// librdkafka handles, configuration, error translation and once-per-code error logging.
// Not part of the public contract of ts_connectors.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/kafka_record.h"

namespace touchstream::connectors {

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct RdKafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct RdKafkaListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct RdKafkaMessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct RdKafkaErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};

struct RdKafkaQueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};

using RdKafkaPtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;
using RdKafkaConfPtr = std::unique_ptr<rd_kafka_conf_t, RdKafkaConfDeleter>;
using RdKafkaListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, RdKafkaListDeleter>;
using RdKafkaMessagePtr = std::unique_ptr<rd_kafka_message_t, RdKafkaMessageDeleter>;
using RdKafkaErrorPtr = std::unique_ptr<rd_kafka_error_t, RdKafkaErrorDeleter>;
using RdKafkaQueuePtr = std::unique_ptr<rd_kafka_queue_t, RdKafkaQueueDeleter>;
struct RdKafkaHeadersDeleter {
  void operator()(rd_kafka_headers_t* headers) const { rd_kafka_headers_destroy(headers); }
};
using RdKafkaHeadersPtr = std::unique_ptr<rd_kafka_headers_t, RdKafkaHeadersDeleter>;

// What to do about a message that could not be produced or delivered.
enum class DeliveryFailure {
  kNone,
  // Transient (broker down, timeout, leader change, throttling): send it again later.
  kRetriable,
  // This message can never be delivered (too large, invalid): it goes to a dead-letter topic.
  kMessage,
  // Its topic is missing or not authorized: messages to it wait while other topics go on.
  kTopic,
  // The producer is unusable (idempotence broken, cluster authorization): recreate it.
  kFatal,
};

// The failure class of a librdkafka error code (kNone for NO_ERROR).
DeliveryFailure ClassifyDeliveryError(rd_kafka_resp_err_t err);
// "retriable", "message", "topic", "fatal" ("" for kNone): for logs, headers and metrics.
const char* DeliveryFailureName(DeliveryFailure failure);

// Sets each key=value on `conf`, in order; InvalidArgument naming the key on a rejected setting.
Status SetConf(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& settings);

// Creates a client of `type` from `conf` (taking ownership of it in all cases).
Result<RdKafkaPtr> NewClient(rd_kafka_type_t type, RdKafkaConfPtr conf);

// Status for a librdkafka error code: "<context>: <error text>". Ok for NO_ERROR.
Status StatusFromError(rd_kafka_resp_err_t err, std::string_view context);

// A partition list with the given partitions (offsets unset).
RdKafkaListPtr ToList(const std::vector<TopicPartition>& partitions);
std::vector<TopicPartition> FromList(const rd_kafka_topic_partition_list_t* list);

// The first per-partition error in `list` as a Status ("<context> <topic>[<partition>]: ..."),
// or ok.
Status FirstPartitionError(const rd_kafka_topic_partition_list_t* list, std::string_view context);

// Writes client errors to stderr, rate-limited per error code: a code is logged when first seen
// and then at most once per `interval`, with the number of repeats not logged, so a broker that
// stays down does not flood the log and a second outage is logged again. Thread safe.
class ErrorLog {
 public:
  explicit ErrorLog(std::string client_name,
                    std::chrono::steady_clock::duration interval = std::chrono::seconds(60))
      : client_name_(std::move(client_name)), interval_(interval) {}
  void Report(rd_kafka_resp_err_t err, std::string_view reason);

 private:
  struct Seen {
    std::chrono::steady_clock::time_point last_logged;
    int64_t not_logged = 0;
  };
  const std::string client_name_;
  const std::chrono::steady_clock::duration interval_;
  std::mutex mu_;
  std::map<rd_kafka_resp_err_t, Seen> seen_;  // GUARDED_BY(mu_)
};

}  // namespace touchstream::connectors
