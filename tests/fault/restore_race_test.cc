// PartitionRestore against a changelog that an old owner still writes (found by
// rebalance_test.cc): a member that lost the partition delivers older states after the new
// owner's, and the last batch of a member can be read in part. The restore keeps per customer
// the state that applied the latest input and resumes input only after the batches it read whole;
// a takeover from a standby copy (StandbyTailer) counts the batches the same way.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/dev_broker.h"
#include "connectors/kafka_sink.h"
#include "connectors/partition_reader.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/partition_restore.h"
#include "engine/runtime/standby_tailer.h"
#include "fault_instance.h"
#include "state/customer_codec.h"
#include "state/rocksdb_store.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::testing {
namespace {

constexpr char kChangelog[] = "restore.changelog";
constexpr char kInput[] = "restore.events";

class RestoreRaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = connectors::DevBroker::Start(1, {{kChangelog, 1}, {kInput, 1}});
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(*broker);
    auto sink = connectors::KafkaSink::Create({broker_->bootstrap_servers(), {}});
    ASSERT_TRUE(sink.ok());
    sink_ = std::move(*sink);
    auto store = state::OpenRocksDbStore({temp_dir_.File("store")});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto reader = connectors::PartitionReader::Create({broker_->bootstrap_servers(), {}, 10000});
    ASSERT_TRUE(reader.ok());
    reader_ = std::move(*reader);
  }

  // A customer record of `batch` ("<writer>:<number>:<records>") whose state applied input
  // offset `applied`, naming next input offset `next`.
  void Customer(const std::string& id, int64_t applied, const std::string& batch, int64_t next) {
    v1::CustomerState state;
    state.set_customer_id(id);
    state.set_schema_version(state::kCustomerSchemaVersion);
    state.mutable_aggregates()->set_event_count(applied + 1);
    state.mutable_last_input()->set_topic(kInput);
    state.mutable_last_input()->set_partition(0);
    state.mutable_last_input()->set_offset(applied);
    const std::vector<std::pair<std::string, std::string>> headers = {
        {engine::kChangelogKindHeader, engine::kChangelogCustomerKind},
        {engine::kChangelogBatchHeader, batch},
        {std::string(engine::kNextOffsetHeaderPrefix) + kInput, std::to_string(next)}};
    ASSERT_TRUE(
        sink_->Produce(kChangelog, id, state.SerializeAsString(), headers, ++token_, 0).ok());
    std::vector<connectors::DeliveryReport> reports;
    ASSERT_TRUE(sink_->Flush(10000, &reports).ok());
  }

  Result<engine::RestoreStats> Restore() {
    engine::PartitionRestore restore(reader_.get(), store_.get(), kChangelog, {kInput},
                                     [](std::string_view) { return 0; });
    return restore.Restore(0);
  }

  // A standby copy of changelog partition 0 (in the test's directory) once its checkpoint is
  // `end`.
  std::unique_ptr<engine::StandbyTailer> CopyUpTo(int64_t end) {
    engine::StandbyTailerOptions options;
    options.changelog_topic = kChangelog;
    options.partitions = {0};
    options.dir = temp_dir_.File("standby");
    options.reader.bootstrap_servers = broker_->bootstrap_servers();
    options.log = &log_;
    auto tailer = engine::StandbyTailer::Start(options, &metrics_);
    EXPECT_TRUE(tailer.ok()) << tailer.status().ToString();
    if (!tailer.ok()) return nullptr;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (MetricValue(metrics_, "touchstream_standby_checkpoint", "partition", "0") !=
           static_cast<double>(end)) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "standby copy never reached changelog offset " << end;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::move(*tailer);
  }

  // Takes partition 0 over from `tailer` (it stops copying it) and restores it from the copy
  // and the changelog after it.
  Result<engine::RestoreStats> RestoreFrom(engine::StandbyTailer* tailer) {
    auto seed = tailer->TakeOver(0, 0);
    if (!seed.ok()) return seed.status();
    EXPECT_TRUE(seed->has_value());
    if (!seed->has_value()) return Status::NotFound("no standby copy of partition 0");
    engine::PartitionRestore restore(reader_.get(), store_.get(), kChangelog, {kInput},
                                     [](std::string_view) { return 0; });
    return restore.Restore(0, &**seed);
  }

  int64_t AppliedOffset(const std::string& id) {
    v1::CustomerState state;
    EXPECT_TRUE(store_->GetCustomer(id, &state).ok()) << id;
    return state.last_input().offset();
  }

  test::TempDir temp_dir_{"touchstream-restore"};
  std::unique_ptr<connectors::DevBroker> broker_;
  std::unique_ptr<connectors::KafkaSink> sink_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<connectors::PartitionReader> reader_;
  uint64_t token_ = 0;
  engine::EngineMetrics metrics_;
  engine::Logger log_{&std::cerr, engine::LogFormat::kText, engine::LogLevel::kWarn};
};

// The new owner wrote c1 after input 9; the old owner's record of c1 after input 4 arrives
// later: the restore keeps the state after input 9.
TEST_F(RestoreRaceTest, LateOlderStateDoesNotWin) {
  Customer("c1", 9, "new:0:1", 10);
  Customer("c1", 4, "old:3:1", 5);
  auto restored = Restore();
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(AppliedOffset("c1"), 9);
  EXPECT_EQ(store_->GetOffset(kInput, 0), 10);
}

// A batch announced 2 records on this partition but 1 is readable: its states are restored,
// but input resumes after the last batch read whole (offset 5), not after the part (20), so
// the missing record's input is read again.
TEST_F(RestoreRaceTest, InputResumesAfterWholeBatchesOnly) {
  Customer("c2", 4, "w:0:1", 5);
  Customer("c1", 18, "w:1:2", 20);
  auto restored = Restore();
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(AppliedOffset("c1"), 18);
  EXPECT_EQ(AppliedOffset("c2"), 4);
  EXPECT_EQ(store_->GetOffset(kInput, 0), 5);
}

// Records without a batch header (written before batches were named) count as whole.
TEST_F(RestoreRaceTest, RecordsWithoutBatchHeaderCountAsWhole) {
  v1::CustomerState state;
  state.set_customer_id("c3");
  state.set_schema_version(state::kCustomerSchemaVersion);
  ASSERT_TRUE(sink_
                  ->Produce(kChangelog, "c3", state.SerializeAsString(),
                            {{engine::kChangelogKindHeader, engine::kChangelogCustomerKind},
                             {std::string(engine::kNextOffsetHeaderPrefix) + kInput, "7"}},
                            ++token_, 0)
                  .ok());
  std::vector<connectors::DeliveryReport> reports;
  ASSERT_TRUE(sink_->Flush(10000, &reports).ok());
  auto restored = Restore();
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->customers_applied, 1);
  EXPECT_EQ(store_->GetOffset(kInput, 0), 7);
}

// The standby copy holds the part of a batch that was delivered (its writer was killed): a
// takeover from the copy resumes input after the last batch copied whole (5), as a full restore
// does (InputResumesAfterWholeBatchesOnly), not after the part (20).
TEST_F(RestoreRaceTest, StandbyTakeoverResumesAfterWholeBatchesOnly) {
  Customer("c2", 4, "w:0:1", 5);
  Customer("c1", 18, "w:1:2", 20);
  auto tailer = CopyUpTo(2);
  ASSERT_NE(tailer, nullptr);
  auto restored = RestoreFrom(tailer.get());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->records_read, 0);
  EXPECT_EQ(restored->records_from_standby, 2);
  EXPECT_EQ(AppliedOffset("c1"), 18);
  EXPECT_EQ(AppliedOffset("c2"), 4);
  EXPECT_EQ(store_->GetOffset(kInput, 0), 5);
}

// A batch copied in part is kept open in the copy's mark (across a restart of the copy): when
// the rest of it is in the changelog's tail, the takeover counts it whole (20), as a full
// restore of the same records does.
TEST_F(RestoreRaceTest, StandbyBatchCopiedInPartIsCompletedByTheTail) {
  Customer("c2", 4, "w:0:1", 5);
  Customer("c1", 18, "w:1:2", 20);
  CopyUpTo(2).reset();
  auto tailer = CopyUpTo(2);  // reopened: the marks are read back from the standby store
  ASSERT_NE(tailer, nullptr);
  auto seed_then_tail = [&] {
    auto seed = tailer->TakeOver(0, 0);
    // Written after the copy stopped: the tail.
    Customer("c3", 19, "w:1:2", 20);
    return seed;
  }();
  ASSERT_TRUE(seed_then_tail.ok()) << seed_then_tail.status().ToString();
  ASSERT_TRUE(seed_then_tail->has_value());
  engine::PartitionRestore restore(reader_.get(), store_.get(), kChangelog, {kInput},
                                   [](std::string_view) { return 0; });
  auto restored = restore.Restore(0, &**seed_then_tail);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->records_read, 1);
  EXPECT_EQ(AppliedOffset("c3"), 19);
  EXPECT_EQ(store_->GetOffset(kInput, 0), 20);
}

}  // namespace
}  // namespace touchstream::testing
