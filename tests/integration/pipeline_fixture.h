// A development broker, a temporary state directory and an engine config pointing at both:
// the setting of every integration test. Everything is torn down by the destructor.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "connectors/dev_broker.h"
#include "engine/config/config.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/kafka_pipeline.h"
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
    auto rules = engine::LoadRuleSet(config, std::cerr);
    ASSERT_TRUE(rules.ok());
    engine::EngineMetrics metrics;
    engine::SystemClock clock;
    auto pipeline =
        engine::KafkaPipeline::Create(config, bootstrap_, store->get(), &metrics, &clock);
    ASSERT_TRUE(pipeline.ok()) << pipeline.status().ToString();
    (*pipeline)->UpdateRules(*rules);
    std::atomic<bool> stop{false};
    std::atomic<bool> input_finished{true};
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
    options.input_finished = &input_finished;
    Status status = (*pipeline)->Run(stop, options);
    stop = true;
    if (watcher.joinable()) watcher.join();
    ASSERT_TRUE(status.ok()) << status.ToString();
    last_records_processed_ = (*pipeline)->records_processed();
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
