#include "engine/core/input_position.h"

#include <gtest/gtest.h>

#include "engine/core/processor.h"
#include "state/in_memory_store.h"

namespace touchstream::engine {
namespace {

constexpr char kPurchase[] =
    R"({"customer_id":"c-1","type":"purchase","ts":"2026-01-02T10:00:00Z",)"
    R"("properties":{"amount":15.0}})";

class InputPositionTest : public ::testing::Test {
 protected:
  Status Process(const std::string& topic, int32_t partition, int64_t offset,
                 const std::string& key = "c-1", const std::string& value = kPurchase) {
    connectors::SourceRecord record{topic, partition, offset, key, value, 1767225600000, {}};
    std::vector<v1::OutboxEntry> out;
    return processor_.ProcessRecord(record, 1767312000000, &out);
  }
  v1::CustomerState State() {
    v1::CustomerState state;
    EXPECT_TRUE(cache_.Get("c-1", &state).ok());
    return state;
  }
  double Counter(const std::string& name) {
    for (const auto& family : metrics_.registry()->Collect()) {
      if (family.name == name && !family.metric.empty()) return family.metric[0].counter.value;
    }
    return -1;
  }

  EngineConfig config_;
  std::unique_ptr<state::StateStore> store_ = state::NewInMemoryStore();
  state::CustomerCache cache_{store_.get(), 100};
  EngineMetrics metrics_;
  EventProcessor processor_{config_, &cache_, &metrics_};
};

// The position of the last applied record is kept in the state, and a record at or below it on
// the same topic partition is skipped and counted: totals are those of each event once.
TEST_F(InputPositionTest, ReappliedEventIsNoOp) {
  ASSERT_TRUE(Process("events", 2, 10).ok());
  ASSERT_TRUE(Process("events", 2, 11).ok());
  EXPECT_EQ(State().last_input().topic(), "events");
  EXPECT_EQ(State().last_input().partition(), 2);
  EXPECT_EQ(State().last_input().offset(), 11);
  ASSERT_TRUE(Process("events", 2, 10).ok());
  ASSERT_TRUE(Process("events", 2, 11).ok());
  EXPECT_EQ(State().aggregates().purchase_count(), 2);
  EXPECT_DOUBLE_EQ(State().aggregates().total_spend(), 30.0);
  EXPECT_EQ(Counter("touchstream_input_already_applied_total"), 2);
  ASSERT_TRUE(Process("events", 2, 12).ok());
  EXPECT_EQ(State().aggregates().purchase_count(), 3);
  EXPECT_EQ(State().last_input().offset(), 12);
}

// Another topic or partition is never taken for a duplicate, whatever its offset.
TEST_F(InputPositionTest, OtherPartitionIsApplied) {
  ASSERT_TRUE(Process("events", 2, 10).ok());
  ASSERT_TRUE(Process("events", 3, 1).ok());
  ASSERT_TRUE(Process("other", 3, 0).ok());
  EXPECT_EQ(State().aggregates().purchase_count(), 3);
  EXPECT_EQ(State().last_input().topic(), "other");
  EXPECT_EQ(Counter("touchstream_input_already_applied_total"), 0);
}

// A key other than the customer id is counted, and the event processed.
TEST_F(InputPositionTest, KeyMismatchIsCounted) {
  ASSERT_TRUE(Process("events", 0, 0, "c-2").ok());
  ASSERT_TRUE(Process("events", 0, 1, "c-1").ok());
  EXPECT_EQ(Counter("touchstream_input_key_mismatch_total"), 1);
  EXPECT_EQ(State().aggregates().purchase_count(), 2);
}

// With processing.key_mismatch: dead_letter, a key other than the customer id (or none) is
// counted and the record dead-lettered with reason key_mismatch; the state never sees it.
TEST(InputKeyMismatchTest, DeadLetteredWhenConfigured) {
  EngineConfig config;
  config.processing.key_mismatch = "dead_letter";
  config.output.dead_letter_topic = "dlq";
  auto store = state::NewInMemoryStore();
  state::CustomerCache cache(store.get(), 100);
  EngineMetrics metrics;
  EventProcessor processor(config, &cache, &metrics);
  std::vector<v1::OutboxEntry> out;
  for (const auto& [offset, key] :
       std::vector<std::pair<int64_t, std::string>>{{0, "c-2"}, {1, ""}, {2, "c-1"}}) {
    connectors::SourceRecord record{"events", 0, offset, key, kPurchase, 1767225600000, {}};
    ASSERT_TRUE(processor.ProcessRecord(record, 1767312000000, &out).ok());
  }
  std::vector<std::string> dead;
  for (const v1::OutboxEntry& entry : out) {
    if (entry.topic() != "dlq") continue;
    EXPECT_EQ(entry.headers().at("touchstream.error.reason"), "key_mismatch");
    EXPECT_EQ(entry.value(), kPurchase);
    dead.push_back(entry.headers().at("touchstream.source.offset"));
  }
  EXPECT_EQ(dead, (std::vector<std::string>{"0", "1"}));
  v1::CustomerState state;
  ASSERT_TRUE(cache.Get("c-1", &state).ok());
  EXPECT_EQ(state.aggregates().purchase_count(), 1);
  EXPECT_EQ(state.last_input().offset(), 2);
}

// A message keyed by its customer id on another partition than the customer's (its producer used
// another partitioner) is a mismatch too, once the processor knows the customers' partitions.
TEST(InputKeyMismatchTest, APartitionOtherThanTheCustomersIsAMismatch) {
  for (const std::string policy : {"process", "dead_letter"}) {
    SCOPED_TRACE(policy);
    EngineConfig config;
    config.processing.key_mismatch = policy;
    config.output.dead_letter_topic = "dlq";
    auto store = state::NewInMemoryStore();
    state::CustomerCache cache(store.get(), 100);
    EngineMetrics metrics;
    EventProcessor processor(config, &cache, &metrics);
    processor.SetPartitionOfCustomer([](std::string_view id) { return id == "c-1" ? 1 : 0; });
    std::vector<v1::OutboxEntry> out;
    for (const auto& [partition, offset] :
         std::vector<std::pair<int32_t, int64_t>>{{1, 0}, {0, 0}, {1, 1}}) {
      connectors::SourceRecord record{"events",  partition,     offset, "c-1",
                                      kPurchase, 1767225600000, {}};
      ASSERT_TRUE(processor.ProcessRecord(record, 1767312000000, &out).ok());
    }
    std::vector<std::string> dead;
    for (const v1::OutboxEntry& entry : out) {
      if (entry.topic() != "dlq") continue;
      EXPECT_EQ(entry.headers().at("touchstream.error.reason"), "partition_mismatch");
      EXPECT_NE(entry.headers()
                    .at("touchstream.error.message")
                    .find("on partition 0, its customer_id belongs to partition 1"),
                std::string::npos)
          << entry.headers().at("touchstream.error.message");
      dead.push_back(entry.headers().at("touchstream.source.partition"));
    }
    v1::CustomerState state;
    ASSERT_TRUE(cache.Get("c-1", &state).ok());
    if (policy == "dead_letter") {
      EXPECT_EQ(dead, (std::vector<std::string>{"0"}));
      EXPECT_EQ(state.aggregates().purchase_count(), 2);
    } else {
      EXPECT_TRUE(dead.empty());
      EXPECT_EQ(state.aggregates().purchase_count(), 3);
    }
  }
}

// An erasure leaves no state behind, not even its position.
TEST_F(InputPositionTest, ErasureKeepsNoPosition) {
  ASSERT_TRUE(Process("events", 0, 0).ok());
  ASSERT_TRUE(
      Process("events", 0, 1, "c-1", R"({"customer_id":"c-1","type":"erase_request"})").ok());
  v1::CustomerState state;
  EXPECT_EQ(cache_.Get("c-1", &state).code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace touchstream::engine
