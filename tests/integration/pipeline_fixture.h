// A development broker, a temporary state directory and an engine config pointing at both:
// the setting of every integration test. Everything is torn down by the destructor.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/codec.h"
#include "connectors/dev_broker.h"
#include "connectors/kafka_sink.h"
#include "engine/config/config.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/kafka_pipeline.h"
#include "external_clients.h"
#include "state/state_store.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::testing {

class PipelineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config =
        engine::LoadConfig(std::string(TOUCHSTREAM_SOURCE_DIR) + "/deploy/config/demo.yaml");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    // The event-triggered demo rules only: timed rules fire by the wall clock in `run`, so
    // their output over these historical events depends on when the test runs.
    config_.rules_paths = {std::string(TOUCHSTREAM_SOURCE_DIR) + "/deploy/rules/demo"};
    config_.kafka.embedded_partitions = 3;
    config_.state.dir = (root_ / "state").string();
    config_.metrics_address.clear();
    config_.admin.address.clear();
    // The test events are historical: the demo's retention must not expire them.
    config_.state.retention_ms = 0;
    config_.processing.commit_interval_ms = 50;
    auto broker = connectors::DevBroker::Start(1, engine::TopicsNamedIn(config_));
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(*broker);
    bootstrap_ = broker_->bootstrap_servers();
  }

  // Runs a pipeline over config (with `state_dir`) until the input is idle, or until
  // `stop_after` records were processed when positive.
  void RunPipeline(const engine::EngineConfig& config, int64_t stop_after = 0) {
    auto store = engine::OpenStore(config);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    engine::EngineMetrics metrics;
    Status status = RunPipelineOn(config, store->get(), &metrics, stop_after);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  // RunPipeline over a store the caller opened (e.g. a fault-injecting one), with its metrics;
  // returns what Run returned.
  // Without stop_after, it stops once `input_finished` (when given) is set and the input is idle.
  // `clock` defaults to the system clock.
  Status RunPipelineOn(const engine::EngineConfig& config, state::StateStore* store,
                       engine::EngineMetrics* metrics, int64_t stop_after = 0,
                       const std::atomic<bool>* input_finished = nullptr,
                       const engine::Clock* clock = nullptr) {
    auto rules = engine::LoadRuleSet(config, std::cerr);
    if (!rules.ok()) return rules.status();
    engine::SystemClock system_clock;
    auto pipeline = engine::KafkaPipeline::Create(config, bootstrap_, store, metrics,
                                                  clock != nullptr ? clock : &system_clock);
    if (!pipeline.ok()) return pipeline.status();
    (*pipeline)->UpdateRules(*rules);
    std::atomic<bool> stop{false};
    const std::atomic<bool> always_finished{true};
    std::thread watcher;
    if (stop_after > 0) {
      watcher = std::thread([&] {
        while (!stop && (*pipeline)->records_processed() < stop_after) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        stop = true;
      });
    }
    engine::PipelineRunOptions options;
    options.stop_when_idle_ms = stop_after > 0 ? 0 : 1500;
    options.input_finished = input_finished != nullptr ? input_finished : &always_finished;
    Status status = (*pipeline)->Run(stop, options);
    stop = true;
    if (watcher.joinable()) watcher.join();
    last_records_processed_ = (*pipeline)->records_processed();
    return status;
  }

  // A copy of the config with its own group, state directory and action topic (every channel
  // goes to "actions-<name>"), so that runs can be compared.
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

  // The action ids on `topic`; *messages receives the number of messages (duplicates too).
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

  // Every stored customer state of config's store, as text by customer id. Attributions keep
  // the decision's processing time (the wall clock in `run`), which differs between runs: it
  // is left out, and so is the input topic of the last event applied.
  std::map<std::string, std::string> States(const engine::EngineConfig& config) {
    std::map<std::string, std::string> states;
    auto store = engine::OpenStore(config);
    EXPECT_TRUE(store.ok());
    EXPECT_TRUE((*store)
                    ->ForEachCustomer([&](const v1::CustomerState& s) {
                      v1::CustomerState state = s;
                      for (auto& [rule, attribution] : *state.mutable_impact_attributions())
                        attribution.clear_decided_ms();
                      // Runs over copies of a stream on other topics are compared too.
                      state.mutable_last_input()->clear_topic();
                      states[s.customer_id()] = state.DebugString();
                      return true;
                    })
                    .ok());
    return states;
  }

  // Produces `events` (JSON, keyed by customer id) to the input topic and waits for delivery.
  void ProduceEvents(const std::vector<v1::TouchpointEvent>& events) {
    auto sink = connectors::KafkaSink::Create({bootstrap_, {}});
    ASSERT_TRUE(sink.ok());
    uint64_t token = 0;
    for (const auto& e : events) {
      ASSERT_TRUE((*sink)
                      ->Produce(config_.kafka.input_topics.front(), e.customer_id(),
                                connectors::EncodeEvent(e, connectors::Format::kJson), {}, ++token)
                      .ok());
    }
    std::vector<connectors::DeliveryReport> reports;
    ASSERT_TRUE((*sink)->Flush(30000, &reports).ok());
  }

  // A fresh directory per test (removed with the fixture) for the stores.
  test::TempDir temp_dir_{"touchstream-it"};
  const std::filesystem::path root_ = temp_dir_.path();
  engine::EngineConfig config_;
  std::unique_ptr<connectors::DevBroker> broker_;
  std::string bootstrap_;
  int64_t last_records_processed_ = 0;
};

}  // namespace touchstream::testing
