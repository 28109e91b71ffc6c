// A deployment of several instances in one group, on the development broker: `report impact`'s
// counters read from the changelog equal a single instance's (issue 11), and every record the
// engine produces keyed by a customer id lands on the partition kafka.partitioner gives it.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "connectors/partition_reader.h"
#include "engine/impact/impact_report.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/impact_changelog.h"
#include "engine/runtime/partitioner.h"
#include "external_clients.h"
#include "fault_instance.h"
#include "pipeline_fixture.h"
#include "state/in_memory_store.h"

namespace touchstream::testing {
namespace {

constexpr int kCustomers = 300;
constexpr int kPartitions = 6;
constexpr char kTopic[] = "deployment.events";

class DeploymentTest : public PipelineFixture {
 protected:
  void SetUp() override {
    PipelineFixture::SetUp();
    if (HasFatalFailure()) return;
    // The demo rules: the welcome offer has a 10% holdout and a purchase conversion.
    config_.output.format = "json";
    config_.kafka.input_topics = {kTopic};
    ASSERT_TRUE(broker_->CreateTopic({kTopic, kPartitions}).ok());
  }

  engine::EngineConfig GroupConfig(const std::string& group, const std::string& name) {
    engine::EngineConfig config = config_;
    config.kafka.group_id = group;
    config.state.dir = (root_ / ("state-" + group + "-" + name)).string();
    return config;
  }

  // `rounds` purchases per customer (the first one triggers the welcome offer, the later ones
  // convert it), for customers [first, last).
  void Purchases(int first, int last, int rounds) {
    std::vector<KeyedMessage> messages;
    for (int round = 0; round < rounds; ++round) {
      for (int c = first; c < last; ++c) {
        const std::string id = "d" + std::to_string(c);
        messages.push_back({id, R"({"customer_id":")" + id +
                                    R"(","type":"purchase","properties":{"amount":)" +
                                    std::to_string(10 + c % 7) + R"(,"sku":"S1"}})"});
      }
    }
    KcatProduce(bootstrap_, kTopic, messages);
  }

  std::string Report(state::StateStore* store) {
    std::ostringstream out;
    EXPECT_TRUE(engine::WriteImpactReport(store, /*json=*/true, out).ok());
    return out.str();
  }

  // The deployment's report, read from the changelog of `group`.
  std::string ReportFromChangelog(const std::string& group) {
    connectors::PartitionReaderOptions options;
    options.bootstrap_servers = bootstrap_;
    auto reader = connectors::PartitionReader::Create(options);
    EXPECT_TRUE(reader.ok());
    auto totals = state::NewInMemoryStore();
    engine::EngineConfig named = config_;
    named.kafka.group_id = group;
    Status read = engine::ReadImpactFromChangelog(reader->get(), engine::ChangelogTopicOf(named),
                                                  totals.get());
    EXPECT_TRUE(read.ok()) << read.ToString();
    return Report(totals.get());
  }
};

// Three instances share the input; one leaves once all three have their share, and its
// partitions move. The impact
// report read from the changelog equals the single instance's report over the same input, and so
// does the single instance's own report read from its changelog.
TEST_F(DeploymentTest, ImpactAcrossInstancesEqualsOneInstance) {
  Purchases(0, kCustomers / 2, 3);
  Purchases(kCustomers / 2, kCustomers, 3);

  // The reference: one instance over everything.
  const auto one = GroupConfig("impact-one", "a");
  ASSERT_TRUE(broker_->CreateTopic({engine::ChangelogTopicOf(one), kPartitions}).ok());
  RunPipeline(one);
  ASSERT_EQ(last_records_processed_, 3 * kCustomers);
  std::string reference;
  {
    auto store = engine::OpenStore(one);
    ASSERT_TRUE(store.ok());
    reference = Report(store->get());
  }
  ASSERT_NE(reference.find("welcome-offer"), std::string::npos) << reference;
  EXPECT_EQ(ReportFromChangelog("impact-one"), reference);

  // Three instances in another group over the same input; c leaves after the first half.
  const auto a_config = GroupConfig("impact-three", "a");
  const auto b_config = GroupConfig("impact-three", "b");
  const auto c_config = GroupConfig("impact-three", "c");
  ASSERT_TRUE(broker_->CreateTopic({engine::ChangelogTopicOf(a_config), kPartitions}).ok());
  auto a = std::make_unique<Instance>(a_config, bootstrap_);
  auto b = std::make_unique<Instance>(b_config, bootstrap_);
  auto c = std::make_unique<Instance>(c_config, bootstrap_);
  // c leaves once every instance has its share (librdkafka 2.0's sticky assignor asserts when a
  // member closes before its first assignment).
  ASSERT_TRUE(WaitFor([&] {
    return a->Metric("touchstream_assigned_partitions") == kPartitions / 3 &&
           b->Metric("touchstream_assigned_partitions") == kPartitions / 3 &&
           c->Metric("touchstream_assigned_partitions") == kPartitions / 3;
  }));
  c->Stop();
  ASSERT_TRUE(WaitFor([&] {
    return a->processed() + b->processed() + c->processed() >= 3 * kCustomers;
  })) << a->processed()
      << " + " << b->processed() << " + " << c->processed();
  a->Stop();
  b->Stop();
  EXPECT_EQ(ReportFromChangelog("impact-three"), reference);

  // The same through the command line.
  const auto yaml = root_ / "impact-three.yaml";
  std::ofstream(yaml) << "kafka: {group_id: impact-three, input_topics: [" << kTopic << "]}\n";
  const std::string printed =
      RunShell(std::string(TOUCHSTREAM_BINARY) + " report impact --config " + yaml.string() +
               " --from-changelog --bootstrap-servers " + bootstrap_ + " --json");
  EXPECT_EQ(printed, reference);
}

// Actions keyed by customer id land on the partition kafka.partitioner gives the key, with the
// default (consistent_random) and with murmur2_random.
TEST_F(DeploymentTest, KeyedOutputFollowsTheConfiguredPartitioner) {
  for (const char* name : {"consistent_random", "murmur2_random"}) {
    SCOPED_TRACE(name);
    auto config = GroupConfig(std::string("placement-") + name, "a");
    config.kafka.partitioner = name;
    const std::string actions = std::string("placement.actions.") + name;
    config.output.channel_topics["email"] = actions;
    config.output.channel_topics["push"] = actions;
    ASSERT_TRUE(broker_->CreateTopic({engine::ChangelogTopicOf(config), kPartitions}).ok());
    ASSERT_TRUE(broker_->CreateTopic({actions, 4}).ok());
    if (std::string(name) == "consistent_random") Purchases(0, kCustomers, 1);
    RunPipeline(config);
    const std::string lines = RunShell("kcat -b " + bootstrap_ + " -C -t " + actions +
                                       " -o beginning -e -q -f '%p %k\\n'");
    std::istringstream in(lines);
    int32_t partition = 0;
    std::string key;
    int records = 0;
    const auto partitioner = *engine::ParsePartitioner(name);
    while (in >> partition >> key) {
      EXPECT_EQ(partition, engine::PartitionOf(partitioner, key, 4)) << key;
      ++records;
    }
    EXPECT_GT(records, kCustomers / 2);
  }
}

// With admin.advertised_address set, an instance that does not own a customer answers 421 with
// the partition and the owner's admin address (announced on <group>.owners); the owner answers
// 200.
TEST_F(DeploymentTest, MisdirectedAnswerNamesTheOwner) {
  auto a_config = GroupConfig("owners", "a");
  auto b_config = GroupConfig("owners", "b");
  a_config.admin.advertised_address = "a.internal:9465";
  b_config.admin.advertised_address = "b.internal:9465";
  ASSERT_TRUE(broker_->CreateTopic({engine::ChangelogTopicOf(a_config), kPartitions}).ok());
  ASSERT_TRUE(broker_->CreateTopic({"owners.owners", 1}).ok());
  auto a = std::make_unique<Instance>(a_config, bootstrap_);
  auto b = std::make_unique<Instance>(b_config, bootstrap_);
  ASSERT_TRUE(WaitFor([&] {
    return a->Metric("touchstream_assigned_partitions") == kPartitions / 2 &&
           b->Metric("touchstream_assigned_partitions") == kPartitions / 2;
  }));
  Purchases(0, 20, 1);
  ASSERT_TRUE(WaitFor([&] { return a->processed() + b->processed() == 20; }));
  std::string last;
  const bool answered = WaitFor(
      [&] {
        for (int c = 0; c < 20; ++c) {
          const std::string target = "/customers/d" + std::to_string(c);
          const engine::AdminResponse from_a = a->AdminGet(target);
          const engine::AdminResponse from_b = b->AdminGet(target);
          const bool a_owns = from_a.status == 200;
          const engine::AdminResponse& owner = a_owns ? from_a : from_b;
          const engine::AdminResponse& other = a_owns ? from_b : from_a;
          const std::string expected =
              std::string(R"("owner":")") + (a_owns ? "a" : "b") + ".internal:9465\"";
          last = target + ": " + std::to_string(owner.status) + " / " +
                 std::to_string(other.status) + " " + other.body;
          if (owner.status != 200 || other.status != 421) return false;
          if (other.body.find(R"("partition":)") == std::string::npos) return false;
          if (other.body.find(expected) == std::string::npos) return false;
        }
        return true;
      },
      30);
  EXPECT_TRUE(answered) << last;
}

}  // namespace
}  // namespace touchstream::testing
