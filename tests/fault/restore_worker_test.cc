// Restores off the processing thread (RestoreWorker, docs/scaling-out.md#restore-on-assignment):
// the worker's cancel path on the development broker, and an engine whose partition is being
// restored that keeps processing its other partitions.
#include "engine/runtime/restore_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/dev_broker.h"
#include "connectors/kafka_sink.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/partitioner.h"
#include "external_clients.h"
#include "fault_instance.h"
#include "fault_scenario.h"
#include "pipeline_fixture.h"
#include "state/customer_codec.h"
#include "state/rocksdb_store.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::testing {
namespace {

using namespace std::chrono_literals;

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

constexpr char kChangelog[] = "worker.changelog";
constexpr char kInput[] = "worker.events";

class RestoreWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = connectors::DevBroker::Start(1, {{kChangelog, 1}, {kInput, 1}});
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(*broker);
    auto store = state::OpenRocksDbStore({temp_dir_.File("store")});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    // One customer on changelog partition 0, naming input offset 5.
    auto sink = connectors::KafkaSink::Create({broker_->bootstrap_servers(), {}});
    ASSERT_TRUE(sink.ok());
    v1::CustomerState state;
    state.set_customer_id("c1");
    state.set_schema_version(state::kCustomerSchemaVersion);
    ASSERT_TRUE((*sink)
                    ->Produce(kChangelog, "c1", state.SerializeAsString(),
                              {{engine::kChangelogKindHeader, engine::kChangelogCustomerKind},
                               {engine::kChangelogBatchHeader, "w:0:1"},
                               {std::string(engine::kNextOffsetHeaderPrefix) + kInput, "5"}},
                              1, 0)
                    .ok());
    std::vector<connectors::DeliveryReport> reports;
    ASSERT_TRUE((*sink)->Flush(10000, &reports).ok());
  }

  // A worker whose restores wait in the hook until release_ is set.
  std::unique_ptr<engine::RestoreWorker> StartWorker() {
    engine::RestoreWorkerOptions options;
    options.changelog_topic = kChangelog;
    options.input_topics = {kInput};
    options.partition_of = [](std::string_view) { return 0; };
    options.reader.bootstrap_servers = broker_->bootstrap_servers();
    options.log = &log_;
    auto worker = engine::RestoreWorker::Start(std::move(options), store_.get());
    EXPECT_TRUE(worker.ok()) << worker.status().ToString();
    (*worker)->set_before_restore([this](int32_t partition) {
      last_entered_ = partition;
      ++entered_;
      while (!release_.load()) std::this_thread::sleep_for(1ms);
    });
    return std::move(*worker);
  }

  test::TempDir temp_dir_{"touchstream-restore-worker"};
  std::unique_ptr<connectors::DevBroker> broker_;
  std::unique_ptr<state::StateStore> store_;
  engine::Logger log_{&std::cerr, engine::LogFormat::kText, engine::LogLevel::kWarn};
  // Restores that reached the hook, and the partition of the last one.
  std::atomic<int> entered_{0};
  std::atomic<int32_t> last_entered_{-1};
  std::atomic<bool> release_{false};
};

// A restore revoked while it runs stops before writing its partition's offsets, and its result
// is forgotten; a queued one never starts (partition 1 has no changelog partition: had it run,
// it would have finished with an error).
TEST_F(RestoreWorkerTest, CancelStopsTheRunningRestoreAndForgetsIt) {
  auto worker = StartWorker();
  worker->Begin(0);
  worker->Begin(1);
  ASSERT_TRUE(WaitFor([&] { return entered_ == 1; }));  // partition 0 is in the hook
  worker->Cancel(1);                                    // queued: dropped at once
  auto cancelled = std::async(std::launch::async, [&] { worker->Cancel(0); });
  // Cancel waits for the running restore; it has asked it to stop before the hook returns.
  EXPECT_EQ(cancelled.wait_for(200ms), std::future_status::timeout);
  release_ = true;
  ASSERT_EQ(cancelled.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(worker->has_finished());
  EXPECT_TRUE(worker->TakeFinished().empty());
  EXPECT_FALSE(store_->GetOffset(kInput, 0).has_value());
  EXPECT_FALSE(store_->GetOffset(kChangelog, 0).has_value());
  worker.reset();
  EXPECT_EQ(entered_, 1);
  EXPECT_EQ(last_entered_, 0);
}

// Without a cancel the same restore finishes and waits to be taken; a restore begun again after
// a cancel runs.
TEST_F(RestoreWorkerTest, RestoreAfterCancelFinishes) {
  auto worker = StartWorker();
  worker->Begin(0);
  ASSERT_TRUE(WaitFor([&] { return entered_ == 1; }));
  auto cancelled = std::async(std::launch::async, [&] { worker->Cancel(0); });
  EXPECT_EQ(cancelled.wait_for(200ms), std::future_status::timeout);
  release_ = true;
  cancelled.get();
  EXPECT_FALSE(store_->GetOffset(kChangelog, 0).has_value());
  worker->Begin(0);
  ASSERT_TRUE(WaitFor([&] { return worker->has_finished(); }));
  std::vector<engine::FinishedRestore> finished = worker->TakeFinished();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].partition, 0);
  ASSERT_TRUE(finished[0].result.ok()) << finished[0].result.status().ToString();
  EXPECT_EQ(finished[0].result->customers_applied, 1);
  EXPECT_EQ(store_->GetOffset(kInput, 0), 5);
  EXPECT_EQ(store_->GetOffset(kChangelog, 0), 1);
}

// The engine: partition 1 of a fresh instance is held in its restore (the test's hook) while
// partition 0, restored, is processed: its events become actions before partition 1's restore
// ends. Partition 1 is not served meanwhile (421) and /readyz names it; once released, the
// state equals an uninterrupted run's.
constexpr int kCustomers = 40;
constexpr int kPartitions = 2;
constexpr char kTopic[] = "offthread.events";
constexpr char kRules[] = R"(
- id: vip-crossing
  version: "1"
  trigger: {becomes_true: "customer.aggregates.total_spend >= 200.0"}
  actions: [{emit: {kind: offer, channel: email, template: "Welcome to VIP"}}]
)";

class RestoreOffThreadTest : public FaultScenarioTest {
 protected:
  void SetUp() override {
    PipelineFixture::SetUp();
    if (HasFatalFailure()) return;
    SetUpScenario(kRules, "offthread", kTopic, kPartitions);
    if (HasFatalFailure()) return;
    const auto partitioner = engine::ParsePartitioner(config_.kafka.partitioner);
    ASSERT_TRUE(partitioner.has_value());
    for (int c = 0; c < kCustomers; ++c) {
      const std::string id = "c" + std::to_string(c);
      ++per_partition_[engine::PartitionOf(*partitioner, id, kPartitions)];
      if (engine::PartitionOf(*partitioner, id, kPartitions) == 1) held_customer_ = id;
    }
    ASSERT_GT(per_partition_[0], 0);
    ASSERT_GT(per_partition_[1], 0);
  }

  // A before_restore hook that holds partition 1's restore (setting held_) until release_.
  std::function<void(int32_t)> HoldRestoreOfPartition1() {
    return [this](int32_t partition) {
      if (partition != 1) return;
      held_ = true;
      const auto limit = std::chrono::steady_clock::now() + 120s;
      while (!release_.load() && std::chrono::steady_clock::now() < limit) {
        std::this_thread::sleep_for(1ms);
      }
    };
  }

  std::map<int32_t, int> per_partition_;
  std::string held_customer_;
  std::atomic<bool> release_{false};
  std::atomic<bool> held_{false};
};

TEST_F(RestoreOffThreadTest, OtherPartitionsAreProcessedWhileOneRestores) {
  // A processes 10 purchases per customer (150.00 each) and leaves: the changelog holds them.
  const auto a_config = InstanceConfig("a");
  auto a = std::make_unique<Instance>(a_config, bootstrap_);
  Purchases(10, kCustomers);
  ASSERT_TRUE(WaitFor([&] { return a->processed() == 10 * kCustomers; }));
  a->Stop();

  // B starts on an empty state directory: both partitions are restored; partition 1's restore
  // waits in the hook until released.
  const auto b_config = InstanceConfig("b");  // the pipeline keeps a reference to it
  auto b = std::make_unique<Instance>(b_config, bootstrap_, HoldRestoreOfPartition1());
  ASSERT_TRUE(WaitFor([&] {
    return held_.load() && b->Metric("touchstream_assigned_partitions") == kPartitions &&
           b->Metric("touchstream_changelog_restore_records_total", "outcome", "applied") ==
               static_cast<double>(per_partition_[0]);
  })) << "partition 0 was not restored while partition 1's restore was held";

  // 10 more purchases per customer: partition 0's customers cross 200.00 and become VIPs while
  // partition 1 is still being restored.
  Purchases(10, kCustomers);
  ASSERT_TRUE(WaitFor([&] {
    return b->processed() == 10 * per_partition_[0] &&
           b->Metric("touchstream_actions_produced_total") ==
               static_cast<double>(per_partition_[0]);
  })) << "partition 0 was not processed while partition 1 restored";
  EXPECT_FALSE(release_.load());
  const engine::AdminResponse ready = b->AdminGet("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("restoring partition 1"), std::string::npos) << ready.body;
  const engine::AdminResponse customer = b->AdminGet("/customers/" + held_customer_);
  EXPECT_EQ(customer.status, 421) << customer.body;
  std::this_thread::sleep_for(300ms);  // nothing of partition 1 is processed meanwhile
  EXPECT_EQ(b->processed(), 10 * per_partition_[0]);

  release_ = true;
  ASSERT_TRUE(WaitFor([&] {
    return b->processed() == 10 * kCustomers &&
           b->Metric("touchstream_actions_produced_total") == static_cast<double>(kCustomers);
  }));
  EXPECT_EQ(b->AdminGet("/readyz").status, 200);
  EXPECT_EQ(b->AdminGet("/customers/" + held_customer_).status, 200);
  b->Stop();

  // The reference: one uninterrupted run over the same input, in a group of its own.
  engine::EngineConfig reference = InstanceConfig("reference");
  reference.kafka.group_id = "offthread-reference";
  ASSERT_TRUE(broker_->CreateTopic({engine::ChangelogTopicOf(reference), kPartitions}).ok());
  auto r = std::make_unique<Instance>(reference, bootstrap_);
  ASSERT_TRUE(WaitFor([&] { return r->processed() == 20 * kCustomers; }));
  r->Stop();
  const auto expected = States(reference);
  ASSERT_EQ(expected.size(), static_cast<size_t>(kCustomers));
  EXPECT_EQ(States(b_config), expected);
}

// A purchase of a customer of partition 1 placed on partition 0 (its producer used another
// partitioner) while partition 1 is restored waits for the restore: processed before it, it
// would be overwritten by the restored state and lost.
TEST_F(RestoreOffThreadTest, ARecordOnAnotherPartitionWaitsForItsCustomersRestore) {
  const auto a_config = InstanceConfig("a");
  auto a = std::make_unique<Instance>(a_config, bootstrap_);
  Purchases(1, kCustomers);
  ASSERT_TRUE(WaitFor([&] { return a->processed() == kCustomers; }));
  a->Stop();

  const auto b_config = InstanceConfig("b");
  auto b = std::make_unique<Instance>(b_config, bootstrap_, HoldRestoreOfPartition1());
  ASSERT_TRUE(WaitFor([&] {
    return held_.load() && b->Metric("touchstream_assigned_partitions") == kPartitions &&
           b->Metric("touchstream_changelog_restore_records_total", "outcome", "applied") ==
               static_cast<double>(per_partition_[0]);
  }));
  // On partition 0: a purchase of a partition-0 customer, then the held customer's.
  std::string own_customer;
  const auto partitioner = engine::ParsePartitioner(config_.kafka.partitioner);
  for (int c = 0; c < kCustomers && own_customer.empty(); ++c) {
    const std::string id = "c" + std::to_string(c);
    if (engine::PartitionOf(*partitioner, id, kPartitions) == 0) own_customer = id;
  }
  const auto purchase = [](const std::string& id) {
    return KeyedMessage{
        id, R"({"customer_id":")" + id + R"(","type":"purchase","properties":{"amount":15.0}})"};
  };
  KcatProduce(bootstrap_, kTopic, {purchase(own_customer), purchase(held_customer_)}, 0);
  ASSERT_TRUE(WaitFor([&] { return b->processed() >= 1; }));
  std::this_thread::sleep_for(300ms);  // partition 0 stops at the held customer's record
  EXPECT_EQ(b->processed(), 1);
  EXPECT_EQ(b->Metric("touchstream_input_key_mismatch_total"), 0);

  release_ = true;
  ASSERT_TRUE(WaitFor([&] { return b->processed() == 2; }));
  EXPECT_EQ(b->Metric("touchstream_input_key_mismatch_total"), 1);
  b->Stop();
  const auto states = States(b_config);
  ASSERT_EQ(states.count(held_customer_), 1u);
  EXPECT_NE(states.at(held_customer_).find("purchase_count: 2"), std::string::npos)
      << states.at(held_customer_);
  EXPECT_NE(states.at(own_customer).find("purchase_count: 2"), std::string::npos)
      << states.at(own_customer);
}

}  // namespace
}  // namespace touchstream::testing
