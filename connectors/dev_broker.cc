#include "connectors/dev_broker.h"

#include <algorithm>

namespace touchstream::connectors {

Result<std::unique_ptr<DevBroker>> DevBroker::Start(int broker_count,
                                                    const std::vector<TopicSpec>& topics) {
  if (broker_count < 1) {
    return Status::InvalidArgument("dev broker: broker_count must be >= 1, got " +
                                   std::to_string(broker_count));
  }
  std::unique_ptr<DevBroker> broker(new DevBroker());
  broker->replication_factor_ = std::min(broker_count, 3);
  RdKafkaConfPtr conf(rd_kafka_conf_new());
  // The host handle never talks to a broker itself; keep it quiet.
  Status status = SetConf(conf.get(), {{"log_level", "3"}});
  if (!status.ok()) return status;
  Result<RdKafkaPtr> host = NewClient(RD_KAFKA_PRODUCER, std::move(conf));
  if (!host.ok()) return host.status();
  broker->host_ = std::move(host).value();
  broker->cluster_.reset(rd_kafka_mock_cluster_new(broker->host_.get(), broker_count));
  if (broker->cluster_ == nullptr) {
    return Status::Internal("dev broker: cannot start the mock cluster");
  }
  broker->bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(broker->cluster_.get());
  for (const TopicSpec& topic : topics) {
    status = broker->CreateTopic(topic);
    if (!status.ok()) return status;
  }
  return broker;
}

DevBroker::~DevBroker() = default;

Status DevBroker::CreateTopic(const TopicSpec& topic) {
  if (topic.name.empty()) return Status::InvalidArgument("dev broker: empty topic name");
  if (topic.partitions < 1) {
    return Status::InvalidArgument("dev broker: topic '" + topic.name +
                                   "': partitions must be >= 1, got " +
                                   std::to_string(topic.partitions));
  }
  std::lock_guard<std::mutex> lock(create_mu_);
  return StatusFromError(rd_kafka_mock_topic_create(cluster_.get(), topic.name.c_str(),
                                                    topic.partitions, replication_factor_),
                         "dev broker: create topic '" + topic.name + "'");
}

}  // namespace touchstream::connectors
