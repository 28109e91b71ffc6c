// State that follows its partition (issue 11, docs/scaling-out.md): two instances in one group
// on the development broker, one leaves, the other takes its partitions over and restores their
// customers from the changelog; then an instance loses its state directory and restores it.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "engine/runtime/changelog_writer.h"
#include "external_clients.h"
#include "fault_instance.h"
#include "fault_scenario.h"
#include "pipeline_fixture.h"
#include "state/state_store.h"

namespace touchstream::testing {
namespace {

constexpr int kCustomers = 100;
constexpr char kVipRule[] = R"(
- id: vip-crossing
  version: "1"
  trigger: {becomes_true: "customer.aggregates.total_spend >= 200.0"}
  actions: [{emit: {kind: offer, channel: email, template: "Welcome to VIP"}}]
- id: lapsed
  version: "1"
  trigger: {inactive_for: 30d, event: purchase}
  actions: [{emit: {kind: nudge, channel: email, template: "We miss you"}}]
)";

class ScaleOutTest : public FaultScenarioTest {
 protected:
  void SetUp() override {
    PipelineFixture::SetUp();
    if (HasFatalFailure()) return;
    // The fixture's topics have 3 partitions; the scenario's have 6.
    SetUpScenario(kVipRule, "scale-out", "scale-out.events", 6);
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
      timers->insert(t.customer_id() + "/" + t.name() + "@" + std::to_string(t.fire_ms()) + ":" +
                     std::to_string(t.payload().size()));
    }
    EXPECT_TRUE((*store)
                    ->ForEachCustomer([&](const v1::CustomerState& s) {
                      states[s.customer_id()] = s;
                      return true;
                    })
                    .ok());
    return states;
  }

  // Action ids on the email topic, and how many messages carried them.
  std::set<std::string> VipActionIds(size_t* messages) {
    std::set<std::string> ids;
    const auto all = KcatConsumeHeaders(bootstrap_, config_.TopicFor("email", "offer"));
    *messages = all.size();
    for (const auto& [headers, value] : all) {
      const size_t at = headers.find("touchstream.id=");
      EXPECT_NE(at, std::string::npos) << headers;
      if (at == std::string::npos) continue;
      const size_t start = at + std::string("touchstream.id=").size();
      ids.insert(headers.substr(start, headers.find(',', start) - start));
    }
    return ids;
  }
};

// The issue's scenario: B leaves after the first 10 purchases; A takes its partitions over and
// restores their customers, so every customer ends at 300 with exactly one VIP action each.
// Then A loses its state directory and restores every customer, equal, from the changelog,
// with its timers re-armed in the store.
TEST_F(ScaleOutTest, StateFollowsItsPartition) {
  const auto a_config = InstanceConfig("a");
  const auto b_config = InstanceConfig("b");
  auto a = std::make_unique<Instance>(a_config, bootstrap_);
  auto b = std::make_unique<Instance>(b_config, bootstrap_);
  ASSERT_TRUE(WaitFor([&] {
    return a->Metric("touchstream_assigned_partitions") == 3 &&
           b->Metric("touchstream_assigned_partitions") == 3;
  })) << "assignments: A "
      << a->Metric("touchstream_assigned_partitions") << ", B "
      << b->Metric("touchstream_assigned_partitions");

  Purchases(10, kCustomers);
  ASSERT_TRUE(WaitFor([&] { return a->processed() + b->processed() == 10 * kCustomers; }));
  EXPECT_GT(a->processed(), 0);
  EXPECT_GT(b->processed(), 0);
  const int64_t a_first = a->processed();
  b->Stop();
  ASSERT_TRUE(WaitFor([&] { return a->Metric("touchstream_assigned_partitions") == 6; }));

  Purchases(10, kCustomers);
  ASSERT_TRUE(WaitFor([&] { return a->processed() == a_first + 10 * kCustomers; }));
  EXPECT_GT(a->Metric("touchstream_changelog_restore_records_total"), 0);
  a->Stop();

  std::set<std::string> timers;
  const auto states = States(a_config, &timers);
  ASSERT_EQ(states.size(), static_cast<size_t>(kCustomers));
  // Every customer's inactivity timer, those restored from B's changelog included.
  EXPECT_EQ(timers.size(), static_cast<size_t>(kCustomers));
  for (const auto& [id, state] : states) {
    EXPECT_EQ(state.aggregates().purchase_count(), 20) << id;
    EXPECT_DOUBLE_EQ(state.aggregates().total_spend(), 300.0) << id;
  }
  size_t messages = 0;
  EXPECT_EQ(VipActionIds(&messages).size(), static_cast<size_t>(kCustomers));
  EXPECT_EQ(messages, static_cast<size_t>(kCustomers));

  // Disk loss: A starts from an empty directory and restores every partition.
  std::filesystem::remove_all(a_config.state.dir);
  RunPipeline(a_config);
  EXPECT_EQ(last_records_processed_, 0);
  std::set<std::string> restored_timers;
  const auto restored = States(a_config, &restored_timers);
  ASSERT_EQ(restored.size(), states.size());
  EXPECT_EQ(restored_timers, timers);
  for (const auto& [id, state] : states) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(state, restored.at(id))) << id;
  }
  EXPECT_EQ(VipActionIds(&messages).size(), static_cast<size_t>(kCustomers));
  EXPECT_EQ(messages, static_cast<size_t>(kCustomers));
}

// A changelog topic partitioned unlike the input is refused at start, naming both counts.
TEST_F(ScaleOutTest, ChangelogPartitionCountMustMatchInput) {
  auto config = InstanceConfig("mismatch");
  config.state.changelog_topic = "two.changelog";
  ASSERT_TRUE(broker_->CreateTopic({"two.changelog", 2}).ok());
  auto store = engine::OpenStore(config);
  ASSERT_TRUE(store.ok());
  engine::EngineMetrics metrics;
  engine::SystemClock clock;
  auto pipeline = engine::KafkaPipeline::Create(config, bootstrap_, store->get(), &metrics, &clock);
  ASSERT_FALSE(pipeline.ok());
  const std::string message = pipeline.status().message();
  EXPECT_NE(message.find("'two.changelog' has 2 partitions"), std::string::npos) << message;
  EXPECT_NE(message.find("'scale-out.events' has 6"), std::string::npos) << message;
}

}  // namespace
}  // namespace touchstream::testing
