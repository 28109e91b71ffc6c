// Stopping the engine mid-stream and starting it again ends in the same state and the same
// set of action ids as one uninterrupted run: nothing lost, duplicates only with equal ids.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "connectors/codec.h"
#include "connectors/journey_generator.h"
#include "connectors/kafka_sink.h"
#include "engine/runtime/changelog_writer.h"
#include "external_clients.h"
#include "pipeline_fixture.h"
#include "state/state_store.h"

namespace touchstream::testing {
namespace {

class RestartTest : public PipelineFixture {
 protected:
  // A copy of the config with its own group, state directory and action topics.
  engine::EngineConfig Variant(const std::string& name) {
    engine::EngineConfig config = config_;
    config.kafka.group_id = "group-" + name;
    config.state.dir = (root_ / ("state-" + name)).string();
    config.output.channel_topics.clear();
    config.output.alerts_topic.clear();
    config.output.decisions_topic.clear();
    config.output.default_topic = "actions-" + name;
    EXPECT_TRUE(broker_->CreateTopic({config.output.default_topic, 3}).ok());
    EXPECT_TRUE(broker_->CreateTopic({engine::ChangelogTopicOf(config), 3}).ok());
    return config;
  }

  std::set<std::string> ActionIds(const std::string& topic, size_t* messages) {
    std::set<std::string> ids;
    auto all = KcatConsumeAll(bootstrap_, topic);
    *messages = all.size();
    for (const auto& m : all) {
      auto action = connectors::DecodeAction(m.value, connectors::Format::kJson);
      EXPECT_TRUE(action.ok());
      ids.insert(action->action_id());
    }
    return ids;
  }

  std::map<std::string, std::string> States(const engine::EngineConfig& config) {
    std::map<std::string, std::string> states;
    auto store = engine::OpenStore(config);
    EXPECT_TRUE(store.ok());
    EXPECT_TRUE((*store)
                    ->ForEachCustomer([&](const v1::CustomerState& s) {
                      std::string bytes;
                      EXPECT_TRUE(s.SerializeToString(&bytes));
                      // Attributions keep the decision's processing time (the wall clock in
                      // `run`), which differs between runs; everything else must be equal.
                      v1::CustomerState state = s;
                      for (auto& [rule, attribution] : *state.mutable_impact_attributions())
                        attribution.clear_decided_ms();
                      states[s.customer_id()] = state.DebugString();
                      return true;
                    })
                    .ok());
    return states;
  }
};

// Runs the same journeys once straight through and once stopped twice mid-stream.
TEST_F(RestartTest, StopAndResumeEqualsUninterruptedRun) {
  connectors::JourneyOptions journeys;
  journeys.customers = 150;
  journeys.days = 30;
  journeys.seed = 7;
  const auto events = connectors::GenerateJourneys(journeys);
  ASSERT_GT(events.size(), 1000u);
  auto sink = connectors::KafkaSink::Create({bootstrap_, {}});
  ASSERT_TRUE(sink.ok());
  uint64_t token = 0;
  for (const auto& e : events) {
    ASSERT_TRUE((*sink)
                    ->Produce("touchstream.events", e.customer_id(),
                              connectors::EncodeEvent(e, connectors::Format::kJson), {}, ++token)
                    .ok());
  }
  std::vector<connectors::DeliveryReport> reports;
  ASSERT_TRUE((*sink)->Flush(30000, &reports).ok());

  const auto straight = Variant("straight");
  RunPipeline(straight);
  EXPECT_EQ(last_records_processed_, static_cast<int64_t>(events.size()));

  const auto interrupted = Variant("interrupted");
  const int64_t third = static_cast<int64_t>(events.size()) / 3;
  RunPipeline(interrupted, third);
  const int64_t first_run = last_records_processed_;
  EXPECT_GE(first_run, third);
  RunPipeline(interrupted, third);
  const int64_t second_run = last_records_processed_;
  RunPipeline(interrupted);
  // Each run resumed where the previous one committed: nothing was processed twice.
  EXPECT_EQ(first_run + second_run + last_records_processed_, static_cast<int64_t>(events.size()));

  size_t straight_messages = 0, interrupted_messages = 0;
  const auto straight_ids = ActionIds("actions-straight", &straight_messages);
  const auto interrupted_ids = ActionIds("actions-interrupted", &interrupted_messages);
  EXPECT_GT(straight_ids.size(), 10u);
  EXPECT_EQ(straight_ids, interrupted_ids);
  EXPECT_EQ(straight_messages, straight_ids.size());
  EXPECT_GE(interrupted_messages, interrupted_ids.size());

  const auto straight_states = States(straight);
  EXPECT_EQ(straight_states.size(), 150u);
  EXPECT_EQ(straight_states, States(interrupted));
}

}  // namespace
}  // namespace touchstream::testing
