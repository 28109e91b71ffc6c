// Rebalances with real processes (issue 11): `touchstream run` instances in one consumer group
// over a 6-partition input join, stop cleanly (SIGTERM), are killed (SIGKILL) and meet a broker
// outage longer than the session timeout mid-stream; at the end the union of the owners'
// `state export` (each customer taken from the instance that owns its partition, as the admin
// API's 421 tells) equals one uninterrupted run, and every action id of that run is present.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <regex>
#include <thread>

#include "engine/runtime/partitioner.h"
#include "tests/fault/process_fixture.h"

namespace touchstream::testing {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// One `touchstream run` of the group, with its own state directory and admin port.
struct Instance {
  std::string name;
  RunConfig config;
  std::filesystem::path config_path;
  std::unique_ptr<EngineProcess> process;
  int admin_port = -1;
};

class RebalanceTest : public ProcessFaultTest {
 protected:
  void SetUp() override {
    ProcessFaultTest::SetUp();
    if (HasFatalFailure()) return;
    group_ = Config("rebalance");
    group_.admin = true;
    // A customer of every partition, to ask the instances which one owns it, and every
    // partition's last event (customer, offset): one producer writes the input in order into
    // empty partitions, so an event's offset is the number of earlier events of its partition.
    std::map<int32_t, int64_t> next_offset;
    for (const auto& event : events_) {
      const int32_t p = engine::PartitionOf(engine::Partitioner::kConsistentRandom,
                                            event.customer_id(), kPartitions);
      sample_.emplace(p, event.customer_id());
      last_[p] = {event.customer_id(), next_offset[p]++};
    }
    ASSERT_EQ(sample_.size(), static_cast<size_t>(kPartitions));
  }

  // Starts instance `name` of the group and waits for its admin port.
  std::unique_ptr<Instance> StartInstance(const std::string& name) {
    auto instance = std::make_unique<Instance>();
    instance->name = name;
    instance->config = group_;
    instance->config.state_dir = (root_ / ("state-" + name)).string();
    instance->config_path = Write(instance->config, name);
    instance->process = Start(instance->config_path, name);
    const auto lines =
        WaitForLine(root_ / (name + ".err"), "admin API on port ", std::chrono::seconds(20));
    std::smatch match;
    if (!lines.empty() && std::regex_search(lines.front(), match, std::regex("port (\\d+)"))) {
      instance->admin_port = std::stoi(match[1]);
    }
    EXPECT_GT(instance->admin_port, 0) << name << " printed no admin port";
    return instance;
  }

  // Partition -> the instance among `instances` that owns it (answers the partition's sample
  // customer rather than 421), once every partition has exactly one owner; empty on timeout.
  std::map<int32_t, Instance*> Owners(const std::vector<Instance*>& instances,
                                      std::chrono::seconds timeout) {
    std::map<int32_t, Instance*> owners;
    WaitUntil(
        [&] {
          owners.clear();
          for (const auto& [partition, customer] : sample_) {
            int owning = 0;
            for (Instance* instance : instances) {
              const int status = HttpGet(instance->admin_port, "/customers/" + customer);
              if (status == 200 || status == 404) {
                ++owning;
                owners[partition] = instance;
              } else if (status != 421) {
                return false;
              }
            }
            if (owning != 1) return false;
          }
          return true;
        },
        timeout);
    if (owners.size() != static_cast<size_t>(kPartitions)) owners.clear();
    return owners;
  }

  // Waits for the group to consume the input and settle, records the owners, stops every
  // running instance with SIGTERM and returns the union of the owners' states with the ids on
  // the action topic.
  RunOutcome FinishAndCollect(const std::vector<Instance*>& running) {
    const auto settle = Clock::now();
    EXPECT_TRUE(WaitUntil([&] { return AllApplied(running); }, std::chrono::seconds(120)))
        << "the last event of some partition not applied in 120 s";
    std::cout << "input applied " << MsSince(settle) << " ms after the last slice\n";
    const auto owners = Owners(running, std::chrono::seconds(60));
    EXPECT_EQ(owners.size(), static_cast<size_t>(kPartitions)) << "no stable ownership in 60 s";
    std::cout << "ownership:";
    for (const auto& [partition, instance] : owners) {
      std::cout << " p" << partition << "=" << instance->name;
    }
    std::cout << "\n";
    for (Instance* instance : running) {
      EXPECT_EQ(instance->process->Terminate(std::chrono::seconds(60)), 0)
          << instance->name << " did not stop cleanly";
    }
    RunOutcome outcome;
    for (Instance* instance : running) {
      auto states = ExportState(instance->config_path, root_, "export-" + instance->name);
      EXPECT_TRUE(states.ok()) << states.status().ToString();
      if (!states.ok()) continue;
      for (auto& [id, state] : *states) {
        const int32_t p =
            engine::PartitionOf(engine::Partitioner::kConsistentRandom, id, kPartitions);
        auto owner = owners.find(p);
        if (owner == owners.end() || owner->second != instance) continue;
        ClearUncomparedFields(&state);
        outcome.states[id] = std::move(state);
      }
    }
    auto ids = ActionIdCounts(bootstrap_, group_.actions_topic);
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    if (ids.ok()) outcome.action_ids = std::move(*ids);
    return outcome;
  }

  // The input in `parts` slices, produced one by one; ProduceSlice(i) produces slice i.
  void ProduceSlice(int i, int parts) {
    const size_t slice = events_.size() / parts + 1;
    Produce(group_.input_topic, std::min(events_.size(), slice * i),
            std::min(events_.size(), slice * (i + 1)));
  }

  // Waits until the group's changelog holds more than `records` records (work was committed).
  void WaitChangelogBeyond(int64_t records) {
    EXPECT_TRUE(WaitUntil(
        [&] {
          auto end = TopicEndOffsets(bootstrap_, group_.changelog_topic);
          return end.ok() && *end > records;
        },
        std::chrono::seconds(30)))
        << "nothing committed in 30 s";
  }
  int64_t ChangelogEnd() {
    auto end = TopicEndOffsets(bootstrap_, group_.changelog_topic);
    return end.ok() ? *end : 0;
  }

  // True when every partition's last event is applied by the instance owning it (its
  // customer's last_input, read through the admin API). Kafka's committed offsets are no
  // measure here: after an outage the members' commits are refused ("unknown member") until
  // they rejoin.
  bool AllApplied(const std::vector<Instance*>& instances) {
    for (const auto& [partition, last] : last_) {
      bool applied = false;
      for (Instance* instance : instances) {
        std::string body;
        if (HttpGet(instance->admin_port, "/customers/" + last.first, &body) != 200) continue;
        v1::CustomerState state;
        if (!google::protobuf::util::JsonStringToMessage(body, &state).ok()) continue;
        applied = state.last_input().partition() == partition &&
                  state.last_input().offset() == last.second;
      }
      if (!applied) return false;
    }
    return true;
  }

  RunConfig group_;
  std::map<int32_t, std::string> sample_;
  std::map<int32_t, std::pair<std::string, int64_t>> last_;
};

// Three instances; mid-stream one stops cleanly, one is killed with SIGKILL and a new one
// joins: the owners' states equal the reference, every reference action id is present.
TEST_F(RebalanceTest, JoinCleanStopAndKillEqualUninterruptedRun) {
  const auto start = Clock::now();
  const RunOutcome reference = Reference();
  constexpr int kParts = 4;
  auto a = StartInstance("a");
  auto b = StartInstance("b");
  auto c = StartInstance("c");
  ProduceSlice(0, kParts);
  WaitChangelogBeyond(0);
  std::this_thread::sleep_for(std::chrono::seconds(1));

  EXPECT_EQ(b->process->Terminate(std::chrono::seconds(60)), 0) << "b did not stop cleanly";
  std::cout << "b stopped (SIGTERM) at " << MsSince(start) << " ms\n";
  int64_t changelog = ChangelogEnd();
  ProduceSlice(1, kParts);
  WaitChangelogBeyond(changelog);
  std::this_thread::sleep_for(std::chrono::seconds(1));

  c->process->Kill9();
  std::cout << "c killed (SIGKILL) at " << MsSince(start) << " ms\n";
  ProduceSlice(2, kParts);
  auto d = StartInstance("d");
  std::cout << "d joined at " << MsSince(start) << " ms\n";
  ProduceSlice(3, kParts);

  const RunOutcome outcome = FinishAndCollect({a.get(), d.get()});
  ExpectEqualOutcome(reference, outcome, "rebalance (join, SIGTERM, SIGKILL, join)");
  std::cout << "test took " << MsSince(start) / 1000 << " s\n";
}

// The broker goes down for longer than the session timeout (8 s > 6 s) while one instance is
// joining and another leaves (SIGTERM during the outage), then comes back: the owners' states
// equal the reference, every reference action id is present.
TEST_F(RebalanceTest, BrokerOutageDuringRebalanceEqualsUninterruptedRun) {
  const auto start = Clock::now();
  const RunOutcome reference = Reference();
  constexpr int kParts = 3;
  auto a = StartInstance("a");
  auto b = StartInstance("b");
  ProduceSlice(0, kParts);
  WaitChangelogBeyond(0);
  std::this_thread::sleep_for(std::chrono::seconds(1));

  // c is created while the broker is up (a start needs the topics' metadata) and joins across
  // the outage; b is asked to stop during it.
  auto c = StartInstance("c");
  ASSERT_EQ(rd_kafka_mock_broker_set_down(broker_->mock_cluster(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::cout << "broker down at " << MsSince(start) << " ms\n";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  kill(b->process->pid(), SIGTERM);
  std::this_thread::sleep_for(std::chrono::seconds(7));
  ASSERT_EQ(rd_kafka_mock_broker_set_up(broker_->mock_cluster(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::cout << "broker up at " << MsSince(start) << " ms\n";
  EXPECT_EQ(b->process->Wait(std::chrono::seconds(60)), 0) << "b did not stop cleanly";
  std::cout << "b stopped at " << MsSince(start) << " ms\n";
  ProduceSlice(1, kParts);
  ProduceSlice(2, kParts);

  const RunOutcome outcome = FinishAndCollect({a.get(), c.get()});
  ExpectEqualOutcome(reference, outcome, "broker outage during a rebalance");
  std::cout << "test took " << MsSince(start) / 1000 << " s\n";
}

}  // namespace
}  // namespace touchstream::testing
