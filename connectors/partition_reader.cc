#include "connectors/partition_reader.h"

#include <chrono>

namespace touchstream::connectors {

namespace {
constexpr int kPollMs = 100;

SourceRecord ToRecord(const std::string& topic, rd_kafka_message_t* message) {
  SourceRecord record;
  record.topic = topic;
  record.partition = message->partition;
  record.offset = message->offset;
  if (message->key != nullptr)
    record.key.assign(static_cast<const char*>(message->key), message->key_len);
  if (message->payload != nullptr) {
    record.value.assign(static_cast<const char*>(message->payload), message->len);
  }
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* header_name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(headers, i, &header_name, &value, &size) ==
                       RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record.headers.emplace_back(
          header_name,
          value == nullptr ? std::string() : std::string(static_cast<const char*>(value), size));
    }
  }
  return record;
}
}  // namespace

Result<std::unique_ptr<PartitionReader>> PartitionReader::Create(
    const PartitionReaderOptions& options) {
  if (options.bootstrap_servers.empty()) {
    return Status::InvalidArgument("partition reader: bootstrap_servers is required");
  }
  RdKafkaConfPtr conf(rd_kafka_conf_new());
  std::map<std::string, std::string> settings = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
  };
  for (const auto& [key, value] : options.properties) settings[key] = value;
  // Never a group member (partitions are assigned directly, nothing is committed), but librdkafka
  // assigns only with a group id.
  settings["group.id"] = "touchstream.partition-reader";
  // An offset below the log start (old records dropped by retention) reads from the log start.
  settings["auto.offset.reset"] = "earliest";
  settings.erase("group.instance.id");
  if (Status s = SetConf(conf.get(), settings); !s.ok()) return s;
  auto client = NewClient(RD_KAFKA_CONSUMER, std::move(conf));
  if (!client.ok()) return client.status();
  std::unique_ptr<PartitionReader> reader(new PartitionReader(options.stall_timeout_ms));
  reader->consumer_ = std::move(*client);
  return reader;
}

PartitionReader::~PartitionReader() {
  if (consumer_ != nullptr) rd_kafka_assign(consumer_.get(), nullptr);
}

Result<int32_t> PartitionReader::PartitionCount(const std::string& topic, int timeout_ms) {
  // All topics: asking for one by name would make a broker that auto-creates topics create it.
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(consumer_.get(), 1, nullptr, &metadata, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable("metadata of topic '" + topic + "': " + rd_kafka_err2str(err));
  }
  int32_t count = -1;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    if (topic == metadata->topics[i].topic) {
      count = metadata->topics[i].partition_cnt;
      topic_err = metadata->topics[i].err;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR || count <= 0) {
    return Status::NotFound("topic '" + topic + "' does not exist on the broker (" +
                            rd_kafka_err2str(topic_err) + ")");
  }
  return count;
}

Status PartitionReader::CreateTopic(const std::string& topic, int32_t partitions,
                                    const std::map<std::string, std::string>& configs,
                                    int timeout_ms) {
  char error[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, error, sizeof(error));
  if (new_topic == nullptr) {
    return Status::InvalidArgument("creating topic '" + topic + "': " + error);
  }
  for (const auto& [name, value] : configs) {
    rd_kafka_NewTopic_set_config(new_topic, name.c_str(), value.c_str());
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(consumer_.get());
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(consumer_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, error, sizeof(error));
  rd_kafka_CreateTopics(consumer_.get(), &new_topic, 1, options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms + 1000);
  Status status;
  if (event == nullptr) {
    status = Status::Unavailable("creating topic '" + topic + "': no answer from the broker");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = Status::Unavailable("creating topic '" + topic +
                                 "': " + rd_kafka_event_error_string(event));
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* message = rd_kafka_topic_result_error_string(results[i]);
        status = Status::Unavailable("creating topic '" + topic +
                                     "': " + (message != nullptr ? message : "error"));
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);
  return status;
}

Result<std::pair<int64_t, int64_t>> PartitionReader::Watermarks(const std::string& topic,
                                                                int32_t partition, int timeout_ms) {
  int64_t low = -1;
  int64_t high = -1;
  const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      consumer_.get(), topic.c_str(), partition, &low, &high, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable("watermarks of " + topic + "[" + std::to_string(partition) +
                               "]: " + rd_kafka_err2str(err));
  }
  return std::make_pair(low, high);
}

Result<int64_t> PartitionReader::ReadToEnd(const std::string& topic, int32_t partition,
                                           int64_t from,
                                           const std::function<void(const SourceRecord&)>& fn,
                                           const std::function<bool()>& cancelled) {
  const std::string name = topic + "[" + std::to_string(partition) + "]";
  auto marks = Watermarks(topic, partition, stall_timeout_ms_);
  if (!marks.ok()) return marks.status();
  const auto [low, high] = *marks;
  const int64_t start = std::max(from, low);
  if (start >= high) return high;
  RdKafkaListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = start;
  if (Status s = StatusFromError(rd_kafka_assign(consumer_.get(), list.get()), "assign " + name);
      !s.ok()) {
    return s;
  }
  int64_t next = start;
  auto last_progress = std::chrono::steady_clock::now();
  Status status;
  while (next < high) {
    if (cancelled && cancelled()) {
      status = Status::Unavailable("reading " + name + ": cancelled at offset " +
                                   std::to_string(next) + " of " + std::to_string(high));
      break;
    }
    RdKafkaMessagePtr message(rd_kafka_consumer_poll(consumer_.get(), kPollMs));
    const auto now = std::chrono::steady_clock::now();
    if (message == nullptr || message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (now - last_progress > std::chrono::milliseconds(stall_timeout_ms_)) {
        status = Status::Unavailable("reading " + name + ": no record for " +
                                     std::to_string(stall_timeout_ms_) + " ms at offset " +
                                     std::to_string(next) + " of " + std::to_string(high));
        break;
      }
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = StatusFromError(message->err, "reading " + name);
      break;
    }
    last_progress = now;
    SourceRecord record = ToRecord(topic, message.get());
    next = record.offset + 1;
    fn(record);
  }
  rd_kafka_assign(consumer_.get(), nullptr);
  if (!status.ok()) return status;
  return high;
}

Status PartitionReader::Follow(const std::string& topic, const std::map<int32_t, int64_t>& from) {
  followed_topic_ = topic;
  if (from.empty()) return StatusFromError(rd_kafka_assign(consumer_.get(), nullptr), "unassign");
  RdKafkaListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(from.size())));
  for (const auto& [partition, offset] : from) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
  }
  return StatusFromError(rd_kafka_assign(consumer_.get(), list.get()), "assign " + topic);
}

Result<size_t> PartitionReader::PollRecords(int timeout_ms, size_t max_records,
                                            const std::function<void(const SourceRecord&)>& fn) {
  size_t count = 0;
  int wait_ms = timeout_ms;
  while (count < max_records) {
    RdKafkaMessagePtr message(rd_kafka_consumer_poll(consumer_.get(), wait_ms));
    if (message == nullptr) break;
    wait_ms = 0;  // the first record waited; the rest are taken while they are at hand
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return StatusFromError(message->err, "reading " + followed_topic_ + "[" +
                                               std::to_string(message->partition) + "]");
    }
    fn(ToRecord(followed_topic_, message.get()));
    ++count;
  }
  return count;
}

}  // namespace touchstream::connectors
