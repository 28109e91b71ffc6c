#include "engine/runtime/partitioner.h"

#include <gtest/gtest.h>

#include "engine/config/config.h"

namespace touchstream::engine {
namespace {

// Partitions among 6 as zlib.crc32 (librdkafka's consistent_random) and kafka-python's murmur2
// (the Java client's, librdkafka's murmur2_random) place these keys.
TEST(PartitionerTest, MatchesKafkaClients) {
  struct Case {
    const char* key;
    int32_t murmur2;
    int32_t crc32;
  };
  for (const Case& c : {Case{"c0", 0, 3}, Case{"c-1", 5, 2}, Case{"customer-42", 3, 5},
                        Case{"abc", 3, 0}, Case{"a-little-bit-long-string", 2, 0}}) {
    EXPECT_EQ(PartitionOf(Partitioner::kMurmur2Random, c.key, 6), c.murmur2) << c.key;
    EXPECT_EQ(PartitionOf(Partitioner::kConsistentRandom, c.key, 6), c.crc32) << c.key;
  }
}

// Names as librdkafka spells them; anything else is refused.
TEST(PartitionerTest, ParsesNames) {
  EXPECT_EQ(ParsePartitioner("consistent_random"), Partitioner::kConsistentRandom);
  EXPECT_EQ(ParsePartitioner("murmur2_random"), Partitioner::kMurmur2Random);
  EXPECT_FALSE(ParsePartitioner("random").has_value());
}

// kafka.partitioner and state.changelog refuse other values, naming the file, line and key.
TEST(PartitionerTest, ConfigErrorsNameTheKey) {
  auto partitioner = LoadConfigFromString("kafka:\n  partitioner: crc\n", "engine.yaml");
  ASSERT_FALSE(partitioner.ok());
  EXPECT_NE(partitioner.status().message().find("engine.yaml:2"), std::string::npos)
      << partitioner.status().message();
  EXPECT_NE(partitioner.status().message().find("kafka.partitioner"), std::string::npos);
  EXPECT_NE(partitioner.status().message().find("murmur2_random"), std::string::npos);
  auto changelog = LoadConfigFromString("state:\n  changelog: maybe\n", "engine.yaml");
  ASSERT_FALSE(changelog.ok());
  EXPECT_NE(changelog.status().message().find("state.changelog"), std::string::npos)
      << changelog.status().message();
  auto off = LoadConfigFromString(
      "kafka: {partitioner: murmur2_random}\nstate: {changelog: false, changelog_topic: x}\n",
      "engine.yaml");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->state.changelog);
  EXPECT_EQ(off->state.changelog_topic, "x");
  EXPECT_EQ(off->kafka.partitioner, "murmur2_random");
}

// The producer places keyed records by kafka.partitioner: a kafka.producer.partitioner that
// disagrees is refused, naming the file, line and both values; one that agrees is accepted.
TEST(PartitionerTest, ProducerPartitionerMustAgree) {
  auto mismatch = LoadConfigFromString(
      "kafka:\n  partitioner: consistent_random\n  producer:\n    partitioner: murmur2_random\n",
      "engine.yaml");
  ASSERT_FALSE(mismatch.ok());
  const std::string message = mismatch.status().message();
  EXPECT_NE(message.find("engine.yaml:4"), std::string::npos) << message;
  EXPECT_NE(message.find("kafka.producer.partitioner"), std::string::npos) << message;
  EXPECT_NE(message.find("'murmur2_random' disagrees with kafka.partitioner 'consistent_random'"),
            std::string::npos)
      << message;
  auto agree = LoadConfigFromString(
      "kafka: {partitioner: murmur2_random, producer: {partitioner: murmur2_random}}\n",
      "engine.yaml");
  EXPECT_TRUE(agree.ok()) << agree.status().ToString();
}

// state.standby_partitions: `all` or a list of distinct partitions, only with the changelog.
TEST(PartitionerTest, StandbyPartitions) {
  auto all = LoadConfigFromString("state: {standby_partitions: all}\n", "engine.yaml");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(all->state.standby_all_partitions);
  EXPECT_TRUE(all->state.standby_enabled());
  auto list = LoadConfigFromString("state: {standby_partitions: [0, 2]}\n", "engine.yaml");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->state.standby_partitions, (std::vector<int32_t>{0, 2}));
  auto none = LoadConfigFromString("state: {dir: /tmp/x}\n", "engine.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->state.standby_enabled());
  for (const char* bad :
       {"state:\n  standby_partitions: [1, 1]\n", "state:\n  standby_partitions: [-1]\n",
        "state:\n  standby_partitions: some\n",
        "state:\n  changelog: false\n  standby_partitions: all\n"}) {
    auto refused = LoadConfigFromString(bad, "engine.yaml");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find("state.standby_partitions"), std::string::npos)
        << refused.status().message();
    EXPECT_NE(refused.status().message().find("engine.yaml:"), std::string::npos)
        << refused.status().message();
  }
}

}  // namespace
}  // namespace touchstream::engine
