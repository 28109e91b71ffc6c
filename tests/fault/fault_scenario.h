// The scenario shared by the process-free fault tests (scale-out, standby, restore off the
// processing thread): a rule pack written to a folder of the test's directory, one input topic
// and its changelog with the same partition count on the development broker, and purchases of
// 15.00 for customers "c0".."c<N-1>", keyed by customer id (kcat: librdkafka's default
// partitioner, the engine's default kafka.partitioner). WaitFor is fault_instance.h's.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/runtime/changelog_writer.h"
#include "external_clients.h"
#include "fault_instance.h"
#include "pipeline_fixture.h"

namespace touchstream::testing {

class FaultScenarioTest : public PipelineFixture {
 protected:
  // Call from SetUp after PipelineFixture::SetUp: the rules in `rules_yaml`, consumer group
  // `group`, JSON output, input topic `topic` and its changelog with `partitions` partitions.
  void SetUpScenario(const char* rules_yaml, const std::string& group, const std::string& topic,
                     int partitions) {
    const auto rules_dir = root_ / "rules";
    std::filesystem::create_directories(rules_dir);
    std::ofstream(rules_dir / "vip.yaml") << rules_yaml;
    config_.rules_paths = {rules_dir.string()};
    config_.kafka.group_id = group;
    config_.output.format = "json";
    config_.kafka.input_topics = {topic};
    ASSERT_TRUE(broker_->CreateTopic({topic, partitions}).ok());
    ASSERT_TRUE(broker_->CreateTopic({engine::ChangelogTopicOf(config_), partitions}).ok());
  }

  // The scenario's config with a state directory of its own.
  engine::EngineConfig InstanceConfig(const std::string& name) const {
    engine::EngineConfig config = config_;
    config.state.dir = (root_ / ("state-" + name)).string();
    return config;
  }

  // `rounds` purchases of 15.00 for each of `customers` customers, on the input topic.
  void Purchases(int rounds, int customers) {
    std::vector<KeyedMessage> messages;
    for (int round = 0; round < rounds; ++round) {
      for (int c = 0; c < customers; ++c) {
        const std::string id = "c" + std::to_string(c);
        messages.push_back({id, R"({"customer_id":")" + id +
                                    R"(","type":"purchase","properties":{"amount":15.0}})"});
      }
    }
    KcatProduce(bootstrap_, config_.kafka.input_topics.front(), messages);
  }
};

}  // namespace touchstream::testing
