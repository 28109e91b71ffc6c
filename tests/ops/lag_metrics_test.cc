// PartitionLagMetrics: per-partition lag in messages and seconds behind (0 when caught up),
// series of revoked partitions removed.
#include "engine/ops/lag_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace touchstream::engine {
namespace {

class PartitionLagTest : public ::testing::Test {
 protected:
  // The values of the family `name` by "topic/partition".
  std::map<std::string, double> Values(const std::string& name) {
    std::map<std::string, double> values;
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const auto& metric : family.metric) {
        std::string topic, partition;
        for (const auto& label : metric.label) {
          (label.name == "topic" ? topic : partition) = label.value;
        }
        values[topic + "/" + partition] = metric.gauge.value;
      }
    }
    return values;
  }
  std::map<std::string, double> Seconds() { return Values("touchstream_event_time_lag_seconds"); }
  std::map<std::string, double> Messages() { return Values("touchstream_consumer_lag"); }

  prometheus::Registry registry_;
  PartitionLagMetrics lag_{registry_};
};

// While messages wait, the lag is now minus the last processed record's timestamp; the message
// lag is as given.
TEST_F(PartitionLagTest, BehindByTheLastProcessedTimestamp) {
  lag_.RecordProcessed("events", 0, 10'000);
  lag_.RecordProcessed("events", 0, 12'000);
  lag_.RecordProcessed("events", 1, 5'000);
  lag_.Update({{"events", 0, 40}, {"events", 1, 3}}, 15'500);
  EXPECT_EQ(Seconds(), (std::map<std::string, double>{{"events/0", 3.5}, {"events/1", 10.5}}));
  EXPECT_EQ(Messages(), (std::map<std::string, double>{{"events/0", 40}, {"events/1", 3}}));
  // Time passes with nothing processed: the lag grows.
  lag_.Update({{"events", 0, 40}, {"events", 1, 3}}, 20'500);
  EXPECT_EQ(Seconds(), (std::map<std::string, double>{{"events/0", 8.5}, {"events/1", 15.5}}));
}

// A caught-up partition is 0 behind however old its last record; if messages arrive and are not
// processed, the lag counts from when it was last caught up.
TEST_F(PartitionLagTest, CaughtUpIsZeroThenCountsFromThere) {
  lag_.RecordProcessed("events", 0, 1'000);
  lag_.Update({{"events", 0, 0}}, 100'000);
  EXPECT_EQ(Seconds().at("events/0"), 0);
  lag_.Update({{"events", 0, 7}}, 104'000);
  EXPECT_EQ(Seconds().at("events/0"), 4);
  EXPECT_EQ(Messages().at("events/0"), 7);
}

// Unknown lag leaves a partition out (and keeps earlier values); a partition with messages
// waiting and nothing known processed has a message lag but no event-time series; records
// without a timestamp are ignored.
TEST_F(PartitionLagTest, UnknownHasNoSeries) {
  lag_.RecordProcessed("events", 2, 0);
  lag_.Update({{"events", 0, -1}, {"events", 2, 5}}, 50'000);
  EXPECT_TRUE(Seconds().empty());
  EXPECT_EQ(Messages(), (std::map<std::string, double>{{"events/2", 5}}));
  lag_.Update({{"events", 0, -1}, {"events", 2, -1}}, 51'000);
  EXPECT_EQ(Messages(), (std::map<std::string, double>{{"events/2", 5}}));
}

// A partition no longer assigned loses both series, and starts afresh when assigned again.
TEST_F(PartitionLagTest, RevokedPartitionsAreRemoved) {
  lag_.RecordProcessed("events", 0, 1'000);
  lag_.RecordProcessed("events", 1, 1'000);
  lag_.Update({{"events", 0, 1}, {"events", 1, 1}}, 2'000);
  ASSERT_EQ(Seconds().size(), 2u);
  lag_.Update({{"events", 1, 1}}, 3'000);
  EXPECT_EQ(Seconds(), (std::map<std::string, double>{{"events/1", 2}}));
  EXPECT_EQ(Messages(), (std::map<std::string, double>{{"events/1", 1}}));
  lag_.Update({{"events", 0, 1}, {"events", 1, 1}}, 4'000);
  EXPECT_EQ(Seconds(), (std::map<std::string, double>{{"events/1", 3}}));
  EXPECT_EQ(Messages(), (std::map<std::string, double>{{"events/0", 1}, {"events/1", 1}}));
}

}  // namespace
}  // namespace touchstream::engine
