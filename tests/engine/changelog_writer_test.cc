#include "engine/runtime/changelog_writer.h"

#include <gtest/gtest.h>

namespace touchstream::engine {
namespace {

// Each state and timer change of a batch becomes one record on the customer's partition, in
// batch order, with the store's bytes (tombstones for deletes) and the input offsets known;
// offsets and outbox operations make none.
TEST(ChangelogWriterTest, OneRecordPerStateOrTimerChange) {
  ChangelogWriter writer("g.changelog", {"events"}, Partitioner::kConsistentRandom, 6);
  v1::CustomerState state;
  state.set_customer_id("c0");
  state.mutable_aggregates()->set_purchase_count(3);
  v1::Timer timer;
  timer.set_customer_id("c0");
  timer.set_name("r:lapsed");
  timer.set_fire_ms(1000);
  timer.set_payload("p");
  state::CommitBatch batch;
  batch.PutCustomer(state);
  batch.PutTimer(timer);
  batch.PutOffset("events", 3, 42);
  batch.AddOutbox(v1::OutboxEntry());
  batch.DeleteTimer(timer);
  batch.DeleteCustomer("c-1");

  std::vector<v1::OutboxEntry> out;
  writer.AppendRecords(
      batch,
      [](const std::string& topic, int32_t partition) -> std::optional<int64_t> {
        if (topic == "events" && partition == 3) return 42;
        return std::nullopt;
      },
      &out);
  ASSERT_EQ(out.size(), 4u);
  for (const auto& entry : out) EXPECT_EQ(entry.topic(), "g.changelog");
  // "c0" is on partition 3 of 6 (CRC-32), "c-1" on partition 2.
  EXPECT_EQ(out[0].partition(), 3);
  EXPECT_EQ(out[0].key(), "c0");
  v1::CustomerState decoded;
  ASSERT_TRUE(decoded.ParseFromString(out[0].value()));
  EXPECT_EQ(decoded.aggregates().purchase_count(), 3);
  EXPECT_EQ(out[0].headers().at(kChangelogKindHeader), kChangelogCustomerKind);
  EXPECT_EQ(out[0].headers().at(std::string(kNextOffsetHeaderPrefix) + "events"), "42");
  EXPECT_EQ(out[1].key(), ChangelogTimerKey("c0", "r:lapsed"));
  EXPECT_EQ(out[1].headers().at(kChangelogKindHeader), kChangelogTimerKind);
  v1::Timer decoded_timer;
  ASSERT_TRUE(decoded_timer.ParseFromString(out[1].value()));
  EXPECT_EQ(decoded_timer.payload(), "p");
  EXPECT_TRUE(out[2].value().empty());
  EXPECT_EQ(out[2].key(), ChangelogTimerKey("c0", "r:lapsed"));
  EXPECT_EQ(out[3].key(), "c-1");
  EXPECT_EQ(out[3].partition(), 2);
  EXPECT_TRUE(out[3].value().empty());
  EXPECT_EQ(out[3].headers().count(std::string(kNextOffsetHeaderPrefix) + "events"), 0u);
}

}  // namespace
}  // namespace touchstream::engine
