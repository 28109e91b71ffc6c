// KafkaSource: a consumer-group member reading records from Kafka topics, with manual commits.
//
// Defaults (each overridable through KafkaSourceOptions::properties):
//   partition.assignment.strategy=cooperative-sticky, enable.auto.commit=false,
//   enable.auto.offset.store=false, auto.offset.reset=earliest.
// Rebalances handle both the EAGER (assign/unassign) and the COOPERATIVE (incremental) protocol.
// On revoke the PartitionListener is called BEFORE the partitions are let go, so its owner can
// commit what it processed (CommitSync may be called from inside OnRevoked).
//
// Thread safety: not thread safe. Poll, CommitSync, CommitAsync, TakeAsyncCommitError, Pause,
// Resume and Close must be called from
// one thread; listener callbacks run on that thread, inside Poll and Close. Assignment() and
// Lag() may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "connectors/kafka_common.h"
#include "connectors/kafka_record.h"

namespace touchstream::connectors {

struct KafkaSourceOptions {
  // Required: "host:port[,host:port...]".
  std::string bootstrap_servers;
  // Required: consumer group id.
  std::string group_id;
  // Required: topics to subscribe to.
  std::vector<std::string> topics;
  // Extra librdkafka settings, applied last (so they override the defaults above):
  // security.protocol, sasl.*, session.timeout.ms, heartbeat.interval.ms, ...
  std::map<std::string, std::string> properties;
  // How long Close waits for the consumer to leave the group (revoking its partitions) before it
  // lets go of it without leaving: the group then notices the member is gone after
  // session.timeout.ms, as after a crash.
  int close_timeout_ms = 15000;
};

// Told by the source where partitions start and when they come and go. Called on the thread
// calling KafkaSource::Poll / Close. Must outlive the KafkaSource.
class PartitionListener {
 public:
  virtual ~PartitionListener() = default;
  // Where to start a newly assigned partition: an offset, or nullopt for Kafka's committed
  // offset (else auto.offset.reset).
  virtual std::optional<int64_t> StartOffset(const TopicPartition& tp) = 0;
  // After `partitions` were added to the assignment.
  virtual void OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  // Before the partitions go away (revoked, or lost=true); commit or discard work for them now.
  // After a loss, commits for them fail: discard.
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions, bool lost) = 0;
};

class KafkaSource {
 public:
  // Creates the consumer and subscribes to options.topics. `listener` is not owned, must not be
  // null and must outlive the source. InvalidArgument for missing options or a rejected setting.
  static Result<std::unique_ptr<KafkaSource>> Create(const KafkaSourceOptions& options,
                                                     PartitionListener* listener);
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Waits up to timeout_ms for one record. nullopt on timeout, partition EOF or a transient
  // error (each error code logged once to stderr). A fatal consumer error, or Poll after Close,
  // returns a non-ok Status.
  Result<std::optional<SourceRecord>> Poll(int timeout_ms);

  // Commits, synchronously, the offset of the NEXT record to read for each partition (the last
  // processed offset + 1). An empty list is a no-op. Errors name the failing partition.
  Status CommitSync(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets);

  // Like CommitSync but does not wait for the broker: the commit is sent in the background and
  // its result arrives during a later Poll, where a failure is kept for TakeAsyncCommitError.
  // Commits are applied in order, so a later commit of the same partition supersedes this one.
  // An empty list is a no-op; a request librdkafka refuses at once returns its error.
  Status CommitAsync(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets);
  // The first failure of an asynchronous commit reported since the last call (naming the
  // failing partition), or Ok; clears it.
  Status TakeAsyncCommitError();

  // Stops / restarts fetching from assigned partitions. Errors name the failing partition.
  Status Pause(const std::vector<TopicPartition>& partitions);
  Status Resume(const std::vector<TopicPartition>& partitions);

  // The currently assigned partitions, sorted.
  std::vector<TopicPartition> Assignment() const;

  struct PartitionLag {
    TopicPartition partition;
    // Next offset the application will read; -1 when nothing was read yet.
    int64_t position = -1;
    // Offset after the last message in the partition; -1 when unknown.
    int64_t high_watermark = -1;
    // high_watermark - position; -1 when either is unknown.
    int64_t lag = -1;
  };
  // Lag of each assigned partition, from the watermarks cached by fetches. For a partition not
  // fetched yet the broker is asked, waiting up to query_timeout_ms each; with 0 it is not
  // asked and its high_watermark and lag are -1 (so the call never blocks).
  std::vector<PartitionLag> Lag(int query_timeout_ms = 500);

  // Leaves the group (revoking partitions through the listener) and stops the consumer.
  // Idempotent; the destructor calls it. Unavailable when the consumer did not leave within
  // options.close_timeout_ms (a coordinator that never answers the leave): the consumer is then
  // destroyed without leaving the group.
  Status Close();

 private:
  explicit KafkaSource(PartitionListener* listener);
  static void RebalanceCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void OffsetCommitCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                   rd_kafka_topic_partition_list_t* offsets, void* opaque);
  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  Status FatalStatus();

  PartitionListener* const listener_;
  ErrorLog error_log_{"kafka source"};
  enum class State { kOpen, kClosing, kClosed };
  // kClosing while Close revokes partitions: the listener may still commit then.
  State state_ = State::kOpen;
  int close_timeout_ms_ = 15000;
  // Close timed out: the consumer is destroyed without a consumer close.
  bool abandoned_ = false;
  // The first failure of an asynchronous commit not yet taken.
  Status async_commit_error_;
  // Destroyed first (declared last): callbacks may touch the members above until then.
  RdKafkaPtr consumer_;
};

}  // namespace touchstream::connectors
