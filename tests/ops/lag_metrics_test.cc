// EventTimeLagMetrics: per-partition seconds behind, 0 when caught up, series of revoked
// partitions removed.
#include "engine/ops/lag_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace touchstream::engine {
namespace {

class EventTimeLagTest : public ::testing::Test {
 protected:
  // The gauge values by "topic/partition".
  std::map<std::string, double> Values() {
    std::map<std::string, double> values;
    for (const auto& family : registry_.Collect()) {
      if (family.name != "touchstream_event_time_lag_seconds") continue;
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

  prometheus::Registry registry_;
  EventTimeLagMetrics lag_{registry_};
};

// While messages wait, the lag is now minus the last processed record's timestamp.
TEST_F(EventTimeLagTest, BehindByTheLastProcessedTimestamp) {
  lag_.RecordProcessed("events", 0, 10'000);
  lag_.RecordProcessed("events", 0, 12'000);
  lag_.RecordProcessed("events", 1, 5'000);
  lag_.Update({{"events", 0, 40}, {"events", 1, 3}}, 15'500);
  EXPECT_EQ(Values(), (std::map<std::string, double>{{"events/0", 3.5}, {"events/1", 10.5}}));
  // Time passes with nothing processed: the lag grows.
  lag_.Update({{"events", 0, 40}, {"events", 1, 3}}, 20'500);
  EXPECT_EQ(Values(), (std::map<std::string, double>{{"events/0", 8.5}, {"events/1", 15.5}}));
}

// A caught-up partition is 0 behind however old its last record; if messages arrive and are not
// processed, the lag counts from when it was last caught up.
TEST_F(EventTimeLagTest, CaughtUpIsZeroThenCountsFromThere) {
  lag_.RecordProcessed("events", 0, 1'000);
  lag_.Update({{"events", 0, 0}}, 100'000);
  EXPECT_EQ(Values().at("events/0"), 0);
  lag_.Update({{"events", 0, 7}}, 104'000);
  EXPECT_EQ(Values().at("events/0"), 4);
}

// Unknown lag leaves a partition out; a partition with messages waiting and nothing known
// processed has no series; records without a timestamp are ignored.
TEST_F(EventTimeLagTest, UnknownHasNoSeries) {
  lag_.RecordProcessed("events", 2, 0);
  lag_.Update({{"events", 0, -1}, {"events", 2, 5}}, 50'000);
  EXPECT_TRUE(Values().empty());
}

// A partition no longer assigned loses its series, and starts afresh when assigned again.
TEST_F(EventTimeLagTest, RevokedPartitionsAreRemoved) {
  lag_.RecordProcessed("events", 0, 1'000);
  lag_.RecordProcessed("events", 1, 1'000);
  lag_.Update({{"events", 0, 1}, {"events", 1, 1}}, 2'000);
  ASSERT_EQ(Values().size(), 2u);
  lag_.Update({{"events", 1, 1}}, 3'000);
  EXPECT_EQ(Values(), (std::map<std::string, double>{{"events/1", 2}}));
  lag_.Update({{"events", 0, 1}, {"events", 1, 1}}, 4'000);
  EXPECT_EQ(Values(), (std::map<std::string, double>{{"events/1", 3}}));
}

}  // namespace
}  // namespace touchstream::engine
