// Integration tests of KafkaSink, KafkaSource and DevBroker against the development broker.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "connectors/dev_broker.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "kafka_test_util.h"

namespace touchstream::connectors {
namespace {

using testing::ConsumeRecords;
using testing::FastGroupProperties;
using testing::JavaPartition;
using testing::RecordingListener;

constexpr int kWaitMs = 20000;

std::unique_ptr<DevBroker> StartBroker(const std::vector<TopicSpec>& topics) {
  Result<std::unique_ptr<DevBroker>> broker = DevBroker::Start(1, topics);
  EXPECT_TRUE(broker.ok()) << broker.status().ToString();
  return broker.ok() ? std::move(broker).value() : nullptr;
}

std::unique_ptr<KafkaSink> NewSink(const DevBroker& broker) {
  Result<std::unique_ptr<KafkaSink>> sink = KafkaSink::Create({broker.bootstrap_servers(), {}});
  EXPECT_TRUE(sink.ok()) << sink.status().ToString();
  return sink.ok() ? std::move(sink).value() : nullptr;
}

std::unique_ptr<KafkaSource> NewSource(const DevBroker& broker, const std::string& group,
                                       const std::string& topic, PartitionListener* listener,
                                       const std::map<std::string, std::string>& extra = {}) {
  std::map<std::string, std::string> properties = FastGroupProperties();
  properties.insert(extra.begin(), extra.end());
  Result<std::unique_ptr<KafkaSource>> source =
      KafkaSource::Create({broker.bootstrap_servers(), group, {topic}, properties}, listener);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  return source.ok() ? std::move(source).value() : nullptr;
}

// Produces `count` messages "<prefix><i>" keyed "c-<i % 7>" with token i; returns the reports.
std::vector<DeliveryReport> ProduceAll(KafkaSink& sink, const std::string& topic, int count,
                                       const std::string& prefix = "v-") {
  for (int i = 0; i < count; ++i) {
    const Status status = sink.Produce(topic, "c-" + std::to_string(i % 7),
                                       prefix + std::to_string(i), {{"n", std::to_string(i)}}, i);
    EXPECT_TRUE(status.ok()) << status.ToString();
  }
  std::vector<DeliveryReport> reports;
  const Status flushed = sink.Flush(kWaitMs, &reports);
  EXPECT_TRUE(flushed.ok()) << flushed.ToString();
  return reports;
}

// Every produced message arrives once, with its key, headers and the partition reported.
TEST(ConnectorsKafkaTest, EveryMessageArrivesOnceWithItsKey) {
  auto broker = StartBroker({{"events", 3}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  const std::vector<DeliveryReport> reports = ProduceAll(*sink, "events", 300);
  ASSERT_EQ(reports.size(), 300u);
  EXPECT_EQ(sink->InFlight(), 0u);
  std::map<uint64_t, DeliveryReport> by_token;
  for (const DeliveryReport& report : reports) {
    EXPECT_TRUE(report.status.ok()) << report.status.ToString();
    EXPECT_EQ(report.topic, "events");
    by_token[report.token] = report;
  }
  ASSERT_EQ(by_token.size(), 300u);

  RecordingListener listener;
  auto source = NewSource(*broker, "g-once", "events", &listener);
  ASSERT_NE(source, nullptr);
  const std::vector<SourceRecord> records = ConsumeRecords(*source, 300, kWaitMs);
  ASSERT_EQ(records.size(), 300u);
  std::set<std::string> values;
  for (const SourceRecord& record : records) {
    const int i = std::stoi(record.value.substr(2));
    EXPECT_TRUE(values.insert(record.value).second) << "duplicate " << record.value;
    EXPECT_EQ(record.topic, "events");
    EXPECT_EQ(record.key, "c-" + std::to_string(i % 7));
    ASSERT_EQ(record.headers.size(), 1u);
    EXPECT_EQ(record.headers[0], std::make_pair(std::string("n"), std::to_string(i)));
    EXPECT_EQ(record.partition, by_token[i].partition);
    EXPECT_EQ(record.offset, by_token[i].offset);
    EXPECT_GT(record.timestamp_ms, 0);
  }
  EXPECT_EQ(source->Assignment(),
            (std::vector<TopicPartition>{{"events", 0}, {"events", 1}, {"events", 2}}));
  EXPECT_TRUE(source->Close().ok());
  EXPECT_TRUE(source->Close().ok());  // idempotent
  EXPECT_EQ(listener.revoked.size(), 3u);
  EXPECT_FALSE(listener.any_lost);
}

// Keys land on the partition the Java client's murmur2 partitioner picks.
TEST(ConnectorsKafkaTest, PartitioningMatchesJavaMurmur2) {
  auto broker = StartBroker({{"six", 6}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  // The reference agrees with kafka-python's murmur2 (itself a port of the Java client's).
  EXPECT_EQ(JavaPartition("c-42", 6), 0);
  EXPECT_EQ(JavaPartition("c-1", 6), 5);
  EXPECT_EQ(JavaPartition("abc", 6), 3);
  const std::vector<std::string> keys = {"c-42", "c-1", "c-2", "customer-123456", "x", "ab", "abc"};
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(sink->Produce("six", keys[i], "v", {}, i).ok());
  }
  std::vector<DeliveryReport> reports;
  ASSERT_TRUE(sink->Flush(kWaitMs, &reports).ok());
  ASSERT_EQ(reports.size(), keys.size());
  for (const DeliveryReport& report : reports) {
    EXPECT_EQ(report.partition, JavaPartition(keys[report.token], 6)) << keys[report.token];
  }
}

// Delivery reports carry the caller's tokens and the offsets assigned, in order.
TEST(ConnectorsKafkaTest, DeliveryReportsCarryTokens) {
  auto broker = StartBroker({{"one", 1}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  for (uint64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(sink->Produce("one", "k", "v", {}, 1000 + 7 * i).ok());
  }
  std::vector<DeliveryReport> reports;
  ASSERT_TRUE(sink->Flush(kWaitMs, &reports).ok());
  ASSERT_EQ(reports.size(), 5u);
  for (uint64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(reports[i].token, 1000 + 7 * i);
    EXPECT_EQ(reports[i].partition, 0);
    EXPECT_EQ(reports[i].offset, static_cast<int64_t>(i));
  }
}

// A flush that cannot finish (broker down) names how many messages remain; they are
// delivered once the broker is back.
TEST(ConnectorsKafkaTest, FlushTimeoutNamesUndeliveredCount) {
  auto broker = StartBroker({{"one", 1}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  std::vector<DeliveryReport> reports;
  ASSERT_TRUE(sink->Produce("one", "k", "first", {}, 1).ok());
  ASSERT_TRUE(sink->Flush(kWaitMs, &reports).ok());
  ASSERT_EQ(rd_kafka_mock_broker_set_down(broker->mock_cluster(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(sink->Produce("one", "k", "second", {}, 2).ok());
  ASSERT_TRUE(sink->Produce("one", "k", "third", {}, 3).ok());
  const Status flushed = sink->Flush(300, &reports);
  EXPECT_EQ(flushed.code(), Status::Code::kUnavailable);
  EXPECT_EQ(flushed.message(),
            "kafka sink: flush timed out after 300 ms: 2 messages remain undelivered");
  EXPECT_EQ(sink->InFlight(), 2u);
  ASSERT_EQ(rd_kafka_mock_broker_set_up(broker->mock_cluster(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(sink->Flush(kWaitMs, &reports).ok());
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[2].token, 3u);
  EXPECT_EQ(reports[2].offset, 2);
  EXPECT_TRUE(reports[2].status.ok());
}

// A member that commits (also from OnRevoked, while closing) lets the next member of the group
// resume exactly after the committed offset.
TEST(ConnectorsKafkaTest, SecondConsumerResumesAfterCommittedOffset) {
  auto broker = StartBroker({{"orders", 1}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  ASSERT_EQ(ProduceAll(*sink, "orders", 10).size(), 10u);
  const TopicPartition tp{"orders", 0};
  {
    RecordingListener listener;
    auto first = NewSource(*broker, "g-resume", "orders", &listener);
    ASSERT_NE(first, nullptr);
    const std::vector<SourceRecord> records = ConsumeRecords(*first, 4, kWaitMs);
    ASSERT_EQ(records.size(), 4u);
    EXPECT_EQ(records[3].offset, 3);
    ASSERT_TRUE(first->CommitSync({{tp, 2}}).ok());
    // The owner commits what it processed when the partition is revoked at Close.
    Status revoke_commit = Status::Internal("OnRevoked not called");
    listener.on_revoked = [&](const std::vector<TopicPartition>&) {
      revoke_commit = first->CommitSync({{tp, 4}});
    };
    ASSERT_TRUE(first->Close().ok());
    EXPECT_TRUE(revoke_commit.ok()) << revoke_commit.ToString();
  }
  RecordingListener listener;
  auto second = NewSource(*broker, "g-resume", "orders", &listener);
  ASSERT_NE(second, nullptr);
  const std::vector<SourceRecord> records = ConsumeRecords(*second, 6, kWaitMs);
  ASSERT_EQ(records.size(), 6u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].offset, static_cast<int64_t>(4 + i));
    EXPECT_EQ(records[i].value, "v-" + std::to_string(4 + i));
  }
}

// An asynchronous commit does not wait for the broker; its result is served by a later Poll
// (here by Close) and the next member of the group resumes after the committed offset.
TEST(ConnectorsKafkaTest, AsyncCommitIsAppliedAndItsResultServedByPoll) {
  auto broker = StartBroker({{"clicks", 1}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  ASSERT_EQ(ProduceAll(*sink, "clicks", 8).size(), 8u);
  const TopicPartition tp{"clicks", 0};
  {
    RecordingListener listener;
    auto first = NewSource(*broker, "g-async", "clicks", &listener);
    ASSERT_NE(first, nullptr);
    ASSERT_EQ(ConsumeRecords(*first, 5, kWaitMs).size(), 5u);
    EXPECT_TRUE(first->CommitAsync({}).ok());  // nothing to commit
    ASSERT_TRUE(first->CommitAsync({{tp, 2}}).ok());
    ASSERT_TRUE(first->CommitAsync({{tp, 5}}).ok());  // applied in order: 5 wins
    ASSERT_TRUE(first->Close().ok());
    EXPECT_TRUE(first->TakeAsyncCommitError().ok());
    EXPECT_FALSE(first->CommitAsync({{tp, 6}}).ok());  // after Close
  }
  RecordingListener listener;
  auto second = NewSource(*broker, "g-async", "clicks", &listener);
  ASSERT_NE(second, nullptr);
  const std::vector<SourceRecord> records = ConsumeRecords(*second, 3, kWaitMs);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].offset, 5);
}

// A failed asynchronous commit is kept, naming the partition, until taken once.
TEST(ConnectorsKafkaTest, AsyncCommitFailureIsKeptUntilTaken) {
  auto broker = StartBroker({{"clicks", 1}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  ASSERT_EQ(ProduceAll(*sink, "clicks", 2).size(), 2u);
  RecordingListener listener;
  auto source = NewSource(*broker, "g-async-fail", "clicks", &listener);
  ASSERT_NE(source, nullptr);
  ASSERT_EQ(ConsumeRecords(*source, 2, kWaitMs).size(), 2u);
  // The broker refuses the next commit with an error librdkafka does not retry.
  constexpr int16_t kOffsetCommitApiKey = 8;
  rd_kafka_mock_push_request_errors(broker->mock_cluster(), kOffsetCommitApiKey, 1,
                                    RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE);
  ASSERT_TRUE(source->CommitAsync({{{"clicks", 0}, 2}}).ok());
  ASSERT_TRUE(source->Close().ok());
  const Status failed = source->TakeAsyncCommitError();
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.ToString().find("commit"), std::string::npos) << failed.ToString();
  EXPECT_TRUE(source->TakeAsyncCommitError().ok());
}

// A start offset from the listener is honored and nullopt falls back to earliest, here under
// the EAGER protocol (range assignor; the other tests use the cooperative default).
TEST(ConnectorsKafkaTest, ListenerStartOffsetIsHonoredEager) {
  auto broker = StartBroker({{"two", 2}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  std::map<int32_t, int> per_partition;
  for (const DeliveryReport& report : ProduceAll(*sink, "two", 40)) {
    ++per_partition[report.partition];
  }
  ASSERT_EQ(per_partition.size(), 2u);
  ASSERT_GT(per_partition[0], 3);

  RecordingListener listener;
  listener.start_offsets[{"two", 0}] = 3;
  auto source =
      NewSource(*broker, "g-start", "two", &listener, {{"partition.assignment.strategy", "range"}});
  ASSERT_NE(source, nullptr);
  const size_t expected = per_partition[0] - 3 + per_partition[1];
  const std::vector<SourceRecord> records = ConsumeRecords(*source, expected, kWaitMs);
  ASSERT_EQ(records.size(), expected);
  std::map<int32_t, int64_t> first_offset;
  for (const SourceRecord& record : records) {
    first_offset.try_emplace(record.partition, record.offset);
  }
  EXPECT_EQ(first_offset[0], 3);
  EXPECT_EQ(first_offset[1], 0);
  EXPECT_EQ(listener.assigned.size(), 2u);
  ASSERT_TRUE(source->Close().ok());
  EXPECT_EQ(listener.revoked.size(), 2u);
  EXPECT_TRUE(source->Assignment().empty());
}

// A paused partition delivers nothing until resumed; lag reflects what is left.
TEST(ConnectorsKafkaTest, PauseAndResume) {
  auto broker = StartBroker({{"two", 2}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  std::map<int32_t, int64_t> per_partition;
  for (const DeliveryReport& report : ProduceAll(*sink, "two", 40)) {
    ++per_partition[report.partition];
  }
  ASSERT_EQ(per_partition.size(), 2u);

  const TopicPartition paused{"two", 0};
  RecordingListener listener;
  KafkaSource* source_ptr = nullptr;
  Status pause_status = Status::Internal("not assigned");
  listener.on_assigned = [&](const std::vector<TopicPartition>&) {
    pause_status = source_ptr->Pause({paused});
  };
  auto source = NewSource(*broker, "g-pause", "two", &listener);
  ASSERT_NE(source, nullptr);
  source_ptr = source.get();
  // Everything of partition 1, then a short quiet period in which partition 0 stays silent.
  std::vector<SourceRecord> records = ConsumeRecords(*source, per_partition[1], kWaitMs);
  ASSERT_TRUE(pause_status.ok()) << pause_status.ToString();
  ASSERT_EQ(records.size(), static_cast<size_t>(per_partition[1]));
  EXPECT_TRUE(ConsumeRecords(*source, 1, 1000).empty());
  for (const SourceRecord& record : records) EXPECT_EQ(record.partition, 1);

  const std::vector<KafkaSource::PartitionLag> lag = source->Lag();
  ASSERT_EQ(lag.size(), 2u);
  EXPECT_EQ(lag[0].partition, paused);
  EXPECT_EQ(lag[0].high_watermark, per_partition[0]);
  EXPECT_EQ(lag[1].position, per_partition[1]);
  EXPECT_EQ(lag[1].high_watermark, per_partition[1]);
  EXPECT_EQ(lag[1].lag, 0);

  ASSERT_TRUE(source->Resume({paused}).ok());
  records = ConsumeRecords(*source, per_partition[0], kWaitMs);
  ASSERT_EQ(records.size(), static_cast<size_t>(per_partition[0]));
  for (const SourceRecord& record : records) EXPECT_EQ(record.partition, 0);
  EXPECT_EQ(source->Lag()[0].lag, 0);
}

// A coordinator that no longer answers cannot hold Close: after close_timeout_ms the consumer is
// let go without leaving the group, and destroying the source does not wait either.
TEST(ConnectorsKafkaTest, CloseIsBoundedWhenTheCoordinatorDoesNotAnswer) {
  auto broker = StartBroker({{"two", 2}});
  ASSERT_NE(broker, nullptr);
  auto sink = NewSink(*broker);
  ASSERT_NE(sink, nullptr);
  ProduceAll(*sink, "two", 10);
  RecordingListener listener;
  KafkaSourceOptions options{
      broker->bootstrap_servers(), "g-close", {"two"}, FastGroupProperties()};
  options.close_timeout_ms = 1000;
  auto source = KafkaSource::Create(options, &listener);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  ASSERT_EQ(ConsumeRecords(**source, 10, kWaitMs).size(), 10u);
  // Every answer of the broker now takes a minute.
  ASSERT_EQ(rd_kafka_mock_broker_set_rtt(broker->mock_cluster(), 1, 60000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  const Status closed = (*source)->Close();
  EXPECT_EQ(closed.code(), Status::Code::kUnavailable) << closed.ToString();
  EXPECT_NE(closed.message().find("did not leave the group within 1000 ms"), std::string::npos)
      << closed.ToString();
  EXPECT_TRUE((*source)->Close().ok());  // idempotent
  source->reset();
  ASSERT_EQ(rd_kafka_mock_broker_set_rtt(broker->mock_cluster(), 1, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
}

// Bad options and settings are rejected with the offending name.
TEST(ConnectorsKafkaTest, RejectsBadOptions) {
  RecordingListener listener;
  EXPECT_EQ(KafkaSource::Create({"", "g", {"t"}, {}}, &listener).status().message(),
            "kafka source: bootstrap_servers is empty");
  EXPECT_EQ(KafkaSource::Create({"127.0.0.1:1", "", {"t"}, {}}, &listener).status().message(),
            "kafka source: group_id is empty");
  EXPECT_EQ(KafkaSource::Create({"127.0.0.1:1", "g", {}, {}}, &listener).status().message(),
            "kafka source: no topics to read");
  EXPECT_EQ(KafkaSource::Create({"127.0.0.1:1", "g", {"t"}, {}}, nullptr).status().message(),
            "kafka source: listener is null");
  const Status bad_setting =
      KafkaSource::Create({"127.0.0.1:1", "g", {"t"}, {{"no.such.setting", "1"}}}, &listener)
          .status();
  EXPECT_EQ(bad_setting.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(bad_setting.message().starts_with("kafka setting 'no.such.setting': "))
      << bad_setting.message();
  EXPECT_EQ(KafkaSink::Create({"", {}}).status().message(),
            "kafka sink: bootstrap_servers is empty");
  EXPECT_TRUE(KafkaSink::Create({"127.0.0.1:1", {{"compression.type", "nope"}}})
                  .status()
                  .message()
                  .starts_with("kafka setting 'compression.type': "));
  EXPECT_EQ(DevBroker::Start(0, {}).status().message(),
            "dev broker: broker_count must be >= 1, got 0");
  auto broker = StartBroker({});
  ASSERT_NE(broker, nullptr);
  EXPECT_EQ(broker->CreateTopic({"t", 0}).message(),
            "dev broker: topic 't': partitions must be >= 1, got 0");
  EXPECT_TRUE(broker->bootstrap_servers().starts_with("127.0.0.1:")) << broker->bootstrap_servers();
}

}  // namespace
}  // namespace touchstream::connectors
