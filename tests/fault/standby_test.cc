// Standby partitions (state.standby_partitions, docs/scaling-out.md#standby-partitions) on the
// development broker and real RocksDB directories: a standby copy follows the changelog of the
// partitions its instance does not own, and a takeover then reads only the changelog's tail.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "connectors/partition_reader.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/standby_tailer.h"
#include "external_clients.h"
#include "fault_instance.h"
#include "fault_scenario.h"
#include "pipeline_fixture.h"
#include "state/state_store.h"

namespace touchstream::testing {
namespace {

constexpr int kCustomers = 300;
constexpr int kPartitions = 6;
constexpr char kTopic[] = "standby.events";
constexpr char kRules[] = R"(
- id: vip-crossing
  version: "1"
  trigger: {becomes_true: "customer.aggregates.total_spend >= 200.0"}
  actions: [{emit: {kind: offer, channel: email, template: "Welcome to VIP"}}]
- id: lapsed
  version: "1"
  trigger: {inactive_for: 30d, event: purchase}
  actions: [{emit: {kind: nudge, channel: email, template: "We miss you"}}]
)";

class StandbyTest : public FaultScenarioTest {
 protected:
  void SetUp() override {
    PipelineFixture::SetUp();
    if (HasFatalFailure()) return;
    SetUpScenario(kRules, "standby", kTopic, kPartitions);
  }

  engine::EngineConfig InstanceConfig(const std::string& name, bool standby) const {
    engine::EngineConfig config = FaultScenarioTest::InstanceConfig(name);
    config.state.standby_all_partitions = standby;
    return config;
  }

  // The changelog's end offset per partition.
  std::map<int32_t, int64_t> ChangelogEnds() {
    connectors::PartitionReaderOptions options;
    options.bootstrap_servers = bootstrap_;
    auto reader = connectors::PartitionReader::Create(options);
    EXPECT_TRUE(reader.ok());
    std::map<int32_t, int64_t> ends;
    for (int32_t p = 0; p < kPartitions; ++p) {
      auto marks = (*reader)->Watermarks(engine::ChangelogTopicOf(config_), p, 10000);
      EXPECT_TRUE(marks.ok()) << marks.status().ToString();
      ends[p] = marks.ok() ? marks->second : -1;
    }
    return ends;
  }

  // The customers' states, and in *timers the stored timers ("customer/name@fire_ms").
  std::map<std::string, v1::CustomerState> States(const engine::EngineConfig& config,
                                                  std::set<std::string>* timers) {
    std::map<std::string, v1::CustomerState> states;
    auto store = engine::OpenStore(config);
    EXPECT_TRUE(store.ok());
    std::vector<v1::Timer> due;
    EXPECT_TRUE((*store)->DueTimers(std::numeric_limits<int64_t>::max(), 100000, &due).ok());
    for (const auto& t : due) {
      timers->insert(t.customer_id() + "/" + t.name() + "@" + std::to_string(t.fire_ms()));
    }
    EXPECT_TRUE((*store)
                    ->ForEachCustomer([&](const v1::CustomerState& s) {
                      states[s.customer_id()] = s;
                      return true;
                    })
                    .ok());
    return states;
  }

  void ExpectEqualStates(const engine::EngineConfig& reference, const engine::EngineConfig& other) {
    std::set<std::string> reference_timers;
    std::set<std::string> other_timers;
    const auto expected = States(reference, &reference_timers);
    const auto actual = States(other, &other_timers);
    ASSERT_EQ(actual.size(), expected.size());
    EXPECT_EQ(other_timers, reference_timers);
    for (const auto& [id, state] : expected) {
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(state, actual.at(id))) << id;
    }
  }
};

// A owns every partition; B's standby copy follows the changelog while A processes. A stops, B
// takes every partition over and reads only the changelog records its copy lacked (the tail);
// its state then equals A's, the single instance's.
TEST_F(StandbyTest, TakeoverReadsOnlyTheTail) {
  const auto a_config = InstanceConfig("a", false);
  const auto b_config = InstanceConfig("b", true);
  auto a = std::make_unique<Instance>(a_config, bootstrap_);
  ASSERT_TRUE(WaitFor([&] { return a->Metric("touchstream_assigned_partitions") == kPartitions; }));

  // B, not yet in the group: the tailer of its standby store alone.
  engine::EngineMetrics b_standby_metrics;
  engine::StandbyTailerOptions options;
  options.changelog_topic = engine::ChangelogTopicOf(config_);
  for (int32_t p = 0; p < kPartitions; ++p) options.partitions.insert(p);
  options.dir = b_config.state.dir + ".standby";
  options.reader.bootstrap_servers = bootstrap_;
  engine::Logger log(&std::cerr, engine::LogFormat::kText, engine::LogLevel::kInfo);
  options.log = &log;
  auto tailer = engine::StandbyTailer::Start(options, &b_standby_metrics);
  ASSERT_TRUE(tailer.ok()) << tailer.status().ToString();

  Purchases(10, kCustomers);
  ASSERT_TRUE(WaitFor([&] { return a->processed() == 10 * kCustomers; }));
  // B's copy follows: every partition's checkpoint reaches the changelog's end.
  const auto copied_up_to = [&](int32_t p) {
    return MetricValue(b_standby_metrics, "touchstream_standby_checkpoint", "partition",
                       std::to_string(p));
  };
  ASSERT_TRUE(WaitFor([&] {
    int64_t written = 0;
    const auto ends = ChangelogEnds();
    for (const auto& [p, end] : ends) written += end;
    if (written < 10 * kCustomers) return false;  // A's changelog records are still on their way
    for (const auto& [p, end] : ends) {
      if (copied_up_to(p) != static_cast<double>(end)) return false;
    }
    return true;
  })) << "standby copy behind the changelog";
  tailer->reset();
  std::map<int32_t, int64_t> checkpoints;
  int64_t copied_end = 0;
  for (int32_t p = 0; p < kPartitions; ++p) {
    checkpoints[p] = static_cast<int64_t>(copied_up_to(p));
    copied_end += checkpoints[p];
  }
  // Every record up to the checkpoints, customers and timers.
  EXPECT_EQ(MetricValue(b_standby_metrics, "touchstream_standby_records_total"),
            static_cast<double>(copied_end));

  // The tail: written after B's copy stopped.
  Purchases(1, kCustomers);
  ASSERT_TRUE(WaitFor([&] { return a->processed() == 11 * kCustomers; }));
  a->Stop();
  int64_t tail = 0;
  for (const auto& [p, end] : ChangelogEnds()) tail += end - checkpoints.at(p);
  EXPECT_GT(tail, 0);

  // B starts with its standby store: until the group assigns it the partitions, its copy goes on
  // following; the restore reads what the copy still lacked then, so the two add up to the tail.
  auto b = std::make_unique<Instance>(b_config, bootstrap_);
  const auto read = [&] {
    return b->Metric("touchstream_changelog_restore_records_total", "outcome", "read");
  };
  const auto copied = [&] { return b->Metric("touchstream_standby_records_total"); };
  ASSERT_TRUE(WaitFor([&] {
    // Restores run beside processing: every partition's is installed once none is restoring.
    return b->Metric("touchstream_assigned_partitions") == kPartitions &&
           b->Metric("touchstream_restoring_partitions") == 0 &&
           read() + copied() >= static_cast<double>(tail);
  }));
  b->Stop();
  EXPECT_EQ(read() + copied(), static_cast<double>(tail));
  EXPECT_LE(read(), static_cast<double>(tail));
  EXPECT_GT(b->Metric("touchstream_changelog_restore_from_standby_total"), 0);
  ExpectEqualStates(a_config, b_config);
}

// Both instances keep standbys; each owns half. When B leaves, A takes B's partitions over from
// its copies (the changelog tail only: nothing was written since), and the partitions it took
// over stop being copied (their checkpoint gauge reads -1).
TEST_F(StandbyTest, GroupMembersCopyWhatTheyDoNotOwn) {
  const auto a_config = InstanceConfig("a", true);
  const auto b_config = InstanceConfig("b", true);
  auto a = std::make_unique<Instance>(a_config, bootstrap_);
  auto b = std::make_unique<Instance>(b_config, bootstrap_);
  ASSERT_TRUE(WaitFor([&] {
    return a->Metric("touchstream_assigned_partitions") == kPartitions / 2 &&
           b->Metric("touchstream_assigned_partitions") == kPartitions / 2;
  }));
  Purchases(10, kCustomers);
  ASSERT_TRUE(WaitFor([&] { return a->processed() + b->processed() == 10 * kCustomers; }));
  // A's copies of B's partitions reach the changelog's end.
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& [p, end] : ChangelogEnds()) {
      const double copied =
          a->Metric("touchstream_standby_checkpoint", "partition", std::to_string(p));
      if (copied != -1 && copied != static_cast<double>(end)) return false;
    }
    return true;
  }));
  const double read_before =
      a->Metric("touchstream_changelog_restore_records_total", "outcome", "read");
  b->Stop();
  ASSERT_TRUE(WaitFor([&] { return a->Metric("touchstream_assigned_partitions") == kPartitions; }));
  Purchases(1, kCustomers);
  ASSERT_TRUE(WaitFor([&] { return a->processed() + b->processed() == 11 * kCustomers; }));
  for (int32_t p = 0; p < kPartitions; ++p) {
    EXPECT_EQ(a->Metric("touchstream_standby_checkpoint", "partition", std::to_string(p)), -1) << p;
  }
  // B's last commit at its stop may have added a few records after A's copy: no more.
  EXPECT_LE(
      a->Metric("touchstream_changelog_restore_records_total", "outcome", "read") - read_before,
      10);
  EXPECT_GT(a->Metric("touchstream_changelog_restore_from_standby_total"), 0);
  a->Stop();
  std::set<std::string> timers;
  const auto states = States(a_config, &timers);
  ASSERT_EQ(states.size(), static_cast<size_t>(kCustomers));
  EXPECT_EQ(timers.size(), static_cast<size_t>(kCustomers));
  for (const auto& [id, state] : states) {
    EXPECT_EQ(state.aggregates().purchase_count(), 11) << id;
  }
}

}  // namespace
}  // namespace touchstream::testing
