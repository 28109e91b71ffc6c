// DevBroker: the development Kafka broker, librdkafka's in-process mock cluster listening on
// loopback ports chosen by the OS. For the demo, local runs and integration tests; other
// processes (kcat, kafka-python) connect to it like to any Kafka cluster.
//
// Ownership: owns a producer handle that hosts the cluster and the cluster itself; the
// destructor destroys both (clients still connected then see the brokers go away).
// Thread safety: CreateTopic and the accessors may be called from any thread.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kafka_common.h"

namespace touchstream::connectors {

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

class DevBroker {
 public:
  // Starts `broker_count` (>= 1) brokers and creates `topics` (replication factor
  // min(broker_count, 3)). InvalidArgument for bad counts or names; Internal if the cluster
  // cannot start.
  static Result<std::unique_ptr<DevBroker>> Start(int broker_count,
                                                  const std::vector<TopicSpec>& topics);
  ~DevBroker();
  DevBroker(const DevBroker&) = delete;
  DevBroker& operator=(const DevBroker&) = delete;

  // "127.0.0.1:<port>[,127.0.0.1:<port>...]".
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }

  // Creates a topic; InvalidArgument for an empty name or partitions < 1, else the broker's
  // error.
  Status CreateTopic(const TopicSpec& topic);

  // The underlying cluster, for fault-injection tests (rd_kafka_mock_broker_set_down/up with
  // broker ids 1..broker_count, rd_kafka_mock_push_request_errors, ...). Owned by the broker.
  rd_kafka_mock_cluster_t* mock_cluster() { return cluster_.get(); }

 private:
  struct ClusterDeleter {
    void operator()(rd_kafka_mock_cluster_t* cluster) const {
      rd_kafka_mock_cluster_destroy(cluster);
    }
  };
  DevBroker() = default;

  int replication_factor_ = 1;
  std::string bootstrap_servers_;
  std::mutex create_mu_;
  // The cluster is destroyed before the handle hosting it (reverse declaration order).
  RdKafkaPtr host_;
  std::unique_ptr<rd_kafka_mock_cluster_t, ClusterDeleter> cluster_;
};

}  // namespace touchstream::connectors
