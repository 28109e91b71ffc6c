// Interoperability with independent Kafka clients against the development broker: kcat
// (librdkafka's CLI) and kafka-python (a pure-Python client with the Java partitioner).
// Messages written by them are read by KafkaSource and vice versa, and keys land on the
// partition the Java client would choose.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "connectors/dev_broker.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "kafka_test_util.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::connectors {
namespace {

using test::TempDir;
using testing::CommandResult;
using testing::ConsumeRecords;
using testing::FastGroupProperties;
using testing::JavaPartition;
using testing::RecordingListener;
using testing::RunCommand;

constexpr int kMessages = 20;
constexpr int kPartitions = 3;
constexpr int kWaitMs = 20000;

// (partition, key, value)
using Message = std::tuple<int32_t, std::string, std::string>;

// Parses "<partition> <key> <value>" lines.
std::set<Message> ParseLines(const std::string& text) {
  std::set<Message> messages;
  std::istringstream in(text);
  int32_t partition;
  std::string key, value;
  while (in >> partition >> key >> value) messages.emplace(partition, key, value);
  return messages;
}

// Writes "c-<i>:<prefix>-<i>" lines, the input of the external producers.
std::string WriteProducerInput(const TempDir& dir, const std::string& prefix) {
  const std::string path = dir.File(prefix + ".txt");
  std::ofstream out(path);
  for (int i = 0; i < kMessages; ++i) out << "c-" << i << ":" << prefix << "-" << i << "\n";
  return path;
}

std::set<Message> ExpectedFromExternal(const std::string& prefix) {
  std::set<Message> expected;
  for (int i = 0; i < kMessages; ++i) {
    const std::string key = "c-" + std::to_string(i);
    expected.emplace(JavaPartition(key, kPartitions), key, prefix + "-" + std::to_string(i));
  }
  return expected;
}

// Reads everything in `topic` with a KafkaSource group member.
std::set<Message> ConsumeWithSource(const DevBroker& broker, const std::string& topic) {
  RecordingListener listener;
  Result<std::unique_ptr<KafkaSource>> source = KafkaSource::Create(
      {broker.bootstrap_servers(), "g-" + topic, {topic}, FastGroupProperties()}, &listener);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  if (!source.ok()) return {};
  std::set<Message> messages;
  for (const SourceRecord& record : ConsumeRecords(**source, kMessages, kWaitMs)) {
    messages.emplace(record.partition, record.key, record.value);
  }
  return messages;
}

// Produces "c-<i>" -> "<prefix>-<i>" with KafkaSink; returns what was written where.
std::set<Message> ProduceWithSink(const DevBroker& broker, const std::string& topic,
                                  const std::string& prefix) {
  Result<std::unique_ptr<KafkaSink>> sink = KafkaSink::Create({broker.bootstrap_servers(), {}});
  EXPECT_TRUE(sink.ok()) << sink.status().ToString();
  if (!sink.ok()) return {};
  std::vector<std::pair<std::string, std::string>> sent;
  for (int i = 0; i < kMessages; ++i) {
    sent.emplace_back("c-" + std::to_string(i), prefix + "-" + std::to_string(i));
    EXPECT_TRUE((*sink)->Produce(topic, sent.back().first, sent.back().second, {}, i).ok());
  }
  std::vector<DeliveryReport> reports;
  EXPECT_TRUE((*sink)->Flush(kWaitMs, &reports).ok());
  std::set<Message> messages;
  for (const DeliveryReport& report : reports) {
    EXPECT_TRUE(report.status.ok()) << report.status.ToString();
    messages.emplace(report.partition, sent[report.token].first, sent[report.token].second);
  }
  return messages;
}

// kcat's messages reach KafkaSource intact; KafkaSink's messages reach kcat intact.
TEST(ConnectorsInteropTest, KcatProducesAndConsumes) {
  auto broker = DevBroker::Start(1, {{"from-kcat", kPartitions}, {"to-kcat", kPartitions}});
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  const std::string& bootstrap = (*broker)->bootstrap_servers();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());

  const std::string input = WriteProducerInput(dir, "kcat");
  const CommandResult produced =
      RunCommand("timeout 30 kcat -b " + bootstrap +
                 " -P -t from-kcat -K: -X partitioner=murmur2_random < " + input);
  ASSERT_EQ(produced.exit_code, 0);
  EXPECT_EQ(ConsumeWithSource(**broker, "from-kcat"), ExpectedFromExternal("kcat"));

  const std::set<Message> sent = ProduceWithSink(**broker, "to-kcat", "sink");
  ASSERT_EQ(sent.size(), static_cast<size_t>(kMessages));
  const CommandResult consumed = RunCommand("timeout 30 kcat -b " + bootstrap +
                                            " -C -t to-kcat -o beginning -e -q -f '%p %k %s\\n'");
  ASSERT_EQ(consumed.exit_code, 0);
  EXPECT_EQ(ParseLines(consumed.output), sent);
  EXPECT_EQ(sent, ExpectedFromExternal("sink"));
}

// kafka-python, run as a separate process with the system interpreter.
constexpr const char* kPythonClient = R"(
import sys
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

mode, bootstrap, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if mode == "produce":
    producer = KafkaProducer(bootstrap_servers=bootstrap, api_version=(2, 5, 0))
    futures = []
    for line in sys.stdin:
        key, value = line.rstrip("\n").split(":", 1)
        futures.append(producer.send(topic, key=key.encode(), value=value.encode()))
    producer.flush()
    for future in futures:
        future.get(timeout=10)
    producer.close()
else:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=(2, 5, 0),
                             group_id=None, enable_auto_commit=False, consumer_timeout_ms=10000)
    consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
    consumer.seek_to_beginning()
    seen = 0
    for message in consumer:
        print(message.partition, message.key.decode(), message.value.decode())
        seen += 1
        if seen == count:
            break
    consumer.close()
)";

// kafka-python's messages (Java partitioner) reach KafkaSource on the same partitions our
// sink would choose; KafkaSink's messages reach kafka-python intact.
TEST(ConnectorsInteropTest, KafkaPythonProducesAndConsumes) {
  auto broker = DevBroker::Start(1, {{"from-python", kPartitions}, {"to-python", kPartitions}});
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  const std::string& bootstrap = (*broker)->bootstrap_servers();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string script = dir.File("client.py");
  std::ofstream(script) << kPythonClient;
  const std::string python = "timeout 30 /usr/bin/python3 " + script + " ";
  const std::string count = " " + std::to_string(kMessages);

  const std::string input = WriteProducerInput(dir, "python");
  const CommandResult produced =
      RunCommand(python + "produce " + bootstrap + " from-python" + count + " < " + input);
  ASSERT_EQ(produced.exit_code, 0);
  EXPECT_EQ(ConsumeWithSource(**broker, "from-python"), ExpectedFromExternal("python"));

  const std::set<Message> sent = ProduceWithSink(**broker, "to-python", "sink");
  ASSERT_EQ(sent.size(), static_cast<size_t>(kMessages));
  const CommandResult consumed = RunCommand(python + "consume " + bootstrap + " to-python" + count);
  ASSERT_EQ(consumed.exit_code, 0);
  EXPECT_EQ(ParseLines(consumed.output), sent);
}

}  // namespace
}  // namespace touchstream::connectors
