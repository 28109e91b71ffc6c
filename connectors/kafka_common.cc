#include "connectors/kafka_common.h"

#include <cstdio>
#include <utility>

namespace touchstream::connectors {

Status SetConf(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& settings) {
  char error[512];
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      return Status::InvalidArgument("kafka setting '" + key + "': " + error);
    }
  }
  return Status::Ok();
}

Result<RdKafkaPtr> NewClient(rd_kafka_type_t type, RdKafkaConfPtr conf) {
  char error[512];
  // rd_kafka_new takes ownership of conf only on success.
  RdKafkaPtr client(rd_kafka_new(type, conf.get(), error, sizeof(error)));
  if (client == nullptr) {
    return Status::InvalidArgument(std::string("cannot create kafka client: ") + error);
  }
  conf.release();
  return client;
}

Status StatusFromError(rd_kafka_resp_err_t err, std::string_view context) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  std::string message = std::string(context) + ": " + rd_kafka_err2str(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      return Status::InvalidArgument(std::move(message));
    case RD_KAFKA_RESP_ERR__FATAL:
      return Status::Internal(std::move(message));
    default:
      return Status::Unavailable(std::move(message));
  }
}

RdKafkaListPtr ToList(const std::vector<TopicPartition>& partitions) {
  RdKafkaListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  }
  return list;
}

std::vector<TopicPartition> FromList(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> partitions;
  if (list == nullptr) return partitions;
  partitions.reserve(list->cnt);
  for (int i = 0; i < list->cnt; ++i) {
    partitions.push_back({list->elems[i].topic, list->elems[i].partition});
  }
  return partitions;
}

Status FirstPartitionError(const rd_kafka_topic_partition_list_t* list, std::string_view context) {
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return StatusFromError(
          p.err, std::string(context) + " " + p.topic + "[" + std::to_string(p.partition) + "]");
    }
  }
  return Status::Ok();
}

void ErrorLog::Report(rd_kafka_resp_err_t err, std::string_view reason) {
  const auto now = std::chrono::steady_clock::now();
  int64_t repeats = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, first] = seen_.try_emplace(err);
    if (!first && now - it->second.last_logged < interval_) {
      ++it->second.not_logged;
      return;
    }
    repeats = std::exchange(it->second.not_logged, 0);
    it->second.last_logged = now;
  }
  std::fprintf(stderr, "touchstream %s: %s: %.*s", client_name_.c_str(), rd_kafka_err2name(err),
               static_cast<int>(reason.size()), reason.data());
  if (repeats > 0)
    std::fprintf(stderr, " (%lld more since last logged)", static_cast<long long>(repeats));
  std::fprintf(stderr, "\n");
}

DeliveryFailure ClassifyDeliveryError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return DeliveryFailure::kNone;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return DeliveryFailure::kMessage;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return DeliveryFailure::kTopic;
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      return DeliveryFailure::kFatal;
    default:
      return DeliveryFailure::kRetriable;
  }
}

const char* DeliveryFailureName(DeliveryFailure failure) {
  switch (failure) {
    case DeliveryFailure::kNone:
      return "";
    case DeliveryFailure::kRetriable:
      return "retriable";
    case DeliveryFailure::kMessage:
      return "message";
    case DeliveryFailure::kTopic:
      return "topic";
    case DeliveryFailure::kFatal:
      return "fatal";
  }
  return "";
}

}  // namespace touchstream::connectors
