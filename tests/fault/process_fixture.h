// The setting of the process-level fault tests (kill_test.cc, rebalance_test.cc): the
// development broker in the test process, a seeded journey stream on a 6-partition input topic,
// real `touchstream run` processes (process_harness.h) reading it, and the reference every
// faulty run is compared with: one uninterrupted `run` over the same stream.
//
// Determinism: `run` evaluates with the wall clock, so the stream is dated in the future
// (2030): every timer the rules arm (abandoned cart 2 h, lapsed buyer 45 d, lifecycle) is
// stored, restored and compared, but none comes due while a test runs, and quiet hours (read
// at send time) never apply. State is compared field by field except impact attributions'
// decided_ms and the input topic's name (ClearUncomparedFields); actions are compared by action id.
#pragma once

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/codec.h"
#include "connectors/dev_broker.h"
#include "connectors/journey_generator.h"
#include "connectors/kafka_sink.h"
#include "tests/fault/process_harness.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::testing {

// The end of a run as seen from outside: its exported states and the ids on its action topic.
struct RunOutcome {
  std::map<std::string, v1::CustomerState> states;
  std::map<std::string, int> action_ids;
};

class ProcessFaultTest : public ::testing::Test {
 protected:
  static constexpr int kPartitions = 6;
  // Under AddressSanitizer every process is slower: a smaller stream.
#if defined(__SANITIZE_ADDRESS__)
  static constexpr int kCustomers = 120;
#else
  static constexpr int kCustomers = 400;
#endif

  void SetUp() override {
    auto broker = connectors::DevBroker::Start(1, {});
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(*broker);
    bootstrap_ = broker_->bootstrap_servers();
    connectors::JourneyOptions journeys;
    journeys.customers = kCustomers;
    journeys.days = 45;
    journeys.seed = 2030;
    journeys.start_ms = 1893456000000;  // 2030-01-01T00:00:00Z
    events_ = connectors::GenerateJourneys(journeys);
    ASSERT_GT(events_.size(), 1000u);
  }

  // On failure, the end of every process log, to tell what the processes said.
  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& entry : std::filesystem::directory_iterator(root_)) {
      if (entry.path().extension() != ".err") continue;
      std::ifstream in(entry.path());
      std::vector<std::string> lines;
      for (std::string line; std::getline(in, line);) lines.push_back(line);
      // Every line that is not info (warnings, errors, sanitizer reports), then the last 30.
      const size_t tail = lines.size() > 30 ? lines.size() - 30 : 0;
      std::cout << "--- " << entry.path().filename().string() << " (" << lines.size()
                << " lines: those not at info level before the last 30, then the last 30)\n";
      for (size_t i = 0; i < tail; ++i) {
        if (lines[i].find(" info ") == std::string::npos) std::cout << lines[i] << "\n";
      }
      for (size_t i = tail; i < lines.size(); ++i) std::cout << lines[i] << "\n";
    }
  }

  // Produces events_[from, to) to `topic`, keyed by customer id, and waits for them. Every run
  // reads a topic of its own, filled in the same order: the same events at the same partitions
  // and offsets.
  void Produce(const std::string& topic, size_t from, size_t to) {
    // Keyed like kcat and the engine's default kafka.partitioner (consistent_random), not like
    // KafkaSink's default (murmur2_random): the engine must know which partition owns whom.
    auto sink = connectors::KafkaSink::Create({bootstrap_, {{"partitioner", "consistent_random"}}});
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    for (size_t i = from; i < to; ++i) {
      ASSERT_TRUE((*sink)
                      ->Produce(topic, events_[i].customer_id(),
                                connectors::EncodeEvent(events_[i], connectors::Format::kJson), {},
                                i + 1)
                      .ok());
    }
    std::vector<connectors::DeliveryReport> reports;
    ASSERT_TRUE((*sink)->Flush(30000, &reports).ok());
    for (const auto& report : reports) ASSERT_TRUE(report.status.ok()) << report.status.ToString();
  }
  void ProduceAll(const std::string& topic) {
    Produce(topic, 0, events_.size());
  }

  // A run config of its own for `name` (group g-<name>, state dir, input topic in-<name>, action
  // and changelog topics, created with kPartitions partitions).
  RunConfig Config(const std::string& name, const std::string& state_name = "") {
    RunConfig config;
    config.bootstrap_servers = bootstrap_;
    config.group_id = "g-" + name;
    config.input_topic = "in-" + name;
    config.state_dir = (root_ / ("state-" + (state_name.empty() ? name : state_name))).string();
    config.actions_topic = "actions-" + name;
    config.dead_letter_topic = "dead-letter-" + name;
    config.rules_paths = {std::string(TOUCHSTREAM_SOURCE_DIR) + "/deploy/rules/demo",
                          std::string(TOUCHSTREAM_SOURCE_DIR) + "/deploy/rules/journeys"};
    // The development broker waits group.initial.rebalance.delay.ms (3 s) before the first
    // assignment of a group; a session timeout below that never completes a join.
    config.consumer = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    config.changelog_topic = config.group_id + ".changelog";
    config.extra_yaml = kPolicyYaml;
    for (const std::string& topic : {config.input_topic, config.actions_topic,
                                     config.changelog_topic, config.dead_letter_topic}) {
      Status created = broker_->CreateTopic({topic, kPartitions});
      EXPECT_TRUE(created.ok() || created.message().find("exist") != std::string::npos)
          << created.ToString();
    }
    return config;
  }

  std::filesystem::path Write(const RunConfig& config, const std::string& file) {
    const auto path = root_ / (file + ".yaml");
    WriteRunConfig(path, config);
    return path;
  }

  // Starts `touchstream run --config <config_path>`; logs in <root>/<log>.out|.err.
  std::unique_ptr<EngineProcess> Start(const std::filesystem::path& config_path,
                                       const std::string& log) {
    return std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--config", config_path.string()}, root_ / (log + ".out"),
        root_ / (log + ".err"));
  }

  // Waits until the group committed the whole input (see WaitCommittedToEnd).
  void WaitConsumed(const RunConfig& config,
                    std::chrono::seconds timeout = std::chrono::seconds(90)) {
    Status s = WaitCommittedToEnd(bootstrap_, config.group_id, config.input_topic, timeout);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The states of `config_path`'s store (wall-clock fields cleared) and the action ids of its
  // topic.
  RunOutcome Outcome(const RunConfig& config, const std::filesystem::path& config_path,
                     const std::string& name) {
    RunOutcome outcome;
    auto states = ExportState(config_path, root_, name);
    EXPECT_TRUE(states.ok()) << states.status().ToString();
    if (states.ok()) outcome.states = std::move(*states);
    for (auto& [id, state] : outcome.states) ClearUncomparedFields(&state);
    auto ids = ActionIdCounts(bootstrap_, config.actions_topic);
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    if (ids.ok()) outcome.action_ids = std::move(*ids);
    return outcome;
  }

  // One uninterrupted `run` over the whole stream, stopped with SIGTERM once the group
  // committed the input.
  RunOutcome Reference() {
    const RunConfig config = Config("reference");
    ProduceAll(config.input_topic);
    const auto path = Write(config, "reference");
    auto process = Start(path, "reference");
    WaitConsumed(config);
    EXPECT_EQ(process->Terminate(std::chrono::seconds(60)), 0);
    RunOutcome reference = Outcome(config, path, "reference");
    EXPECT_EQ(reference.states.size(), static_cast<size_t>(kCustomers));
    EXPECT_GT(reference.action_ids.size(), static_cast<size_t>(kCustomers / 8));
    for (const auto& [id, count] : reference.action_ids) EXPECT_EQ(count, 1) << id;
    std::cout << "reference: " << events_.size() << " events, " << reference.states.size()
              << " customers, " << reference.action_ids.size() << " actions\n";
    return reference;
  }

  // Expects `actual` to equal the reference: every customer's state, every action id present
  // (and no other); returns how many duplicate messages it has (always with an equal id).
  static int ExpectEqualOutcome(const RunOutcome& reference, const RunOutcome& actual,
                                const std::string& what) {
    EXPECT_EQ(actual.states.size(), reference.states.size()) << what;
    int differing = 0;
    for (const auto& [id, state] : reference.states) {
      auto it = actual.states.find(id);
      if (it == actual.states.end()) {
        ADD_FAILURE() << what << ": customer " << id << " missing";
        continue;
      }
      std::string diff;
      google::protobuf::util::MessageDifferencer differencer;
      differencer.ReportDifferencesToString(&diff);
      if (!differencer.Compare(state, it->second) && ++differing <= 3) {
        ADD_FAILURE() << what << ": customer " << id << " differs:\n" << diff;
      }
    }
    EXPECT_EQ(differing, 0) << what << ": customers whose state differs";
    int missing = 0, extra = 0, duplicates = 0;
    for (const auto& [id, count] : reference.action_ids) {
      if (actual.action_ids.count(id) == 0 && ++missing <= 5) {
        ADD_FAILURE() << what << ": action " << id << " missing";
      }
    }
    for (const auto& [id, count] : actual.action_ids) {
      if (reference.action_ids.count(id) == 0 && ++extra <= 5) {
        ADD_FAILURE() << what << ": action " << id << " not in the reference";
      }
      duplicates += count - 1;
    }
    EXPECT_EQ(missing, 0) << what << ": reference actions missing";
    EXPECT_EQ(extra, 0) << what << ": actions not in the reference";
    std::cout << what << ": " << actual.states.size() << " customers, " << actual.action_ids.size()
              << " action ids, " << duplicates << " duplicate messages (equal ids)\n";
    return duplicates;
  }

  // The seed of the fault schedule: TOUCHSTREAM_FAULT_SEED when set, else `fallback`; printed.
  static uint64_t FaultSeed(uint64_t fallback) {
    const char* env = std::getenv("TOUCHSTREAM_FAULT_SEED");
    const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
    std::cout << "fault schedule seed " << seed << " (set TOUCHSTREAM_FAULT_SEED to replay)\n";
    return seed;
  }

  static constexpr char kPolicyYaml[] = R"(policy:
  default_time_zone: Europe/Paris
  caps:
    - {name: weekly, max: 1, per: 7d, categories: [marketing]}
    - {name: push_daily, max: 1, per: 1d, channel: push}
  max_actions_per_moment: 2
  exclusion_period: 3d
  experiments:
    welcome: {salt: fault-2030}
consent:
  event_type: consent_change
loyalty:
  points_expire_after: 365d
  tiers:
    basis: points
    levels: [{name: member, min: 0}, {name: silver, min: 500}, {name: gold, min: 2000}]
aggregates:
  spend_90d: sum(purchase.amount) over 90d
  views_7d: count(page_view) over 7d
history:
  size: 10
events:
  purchase: {amount: double, sku: string, category: string, quantity: int}
  nps_response: {score: int}
  csat_response: {score: int}
  complaint: {reason: string, severity: int}
)";

  test::TempDir temp_dir_{"touchstream-fault"};
  const std::filesystem::path root_ = temp_dir_.path();
  std::unique_ptr<connectors::DevBroker> broker_;
  std::string bootstrap_;
  std::vector<v1::TouchpointEvent> events_;
};

}  // namespace touchstream::testing
