// PartitionRestore against a changelog that an old owner still writes (found by
// rebalance_test.cc): a member that lost the partition delivers older states after the new
// owner's, and the last batch of a member can be read in part. The restore keeps per customer
// the state that applied the latest input and resumes input only after the batches it read whole.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "connectors/dev_broker.h"
#include "connectors/kafka_sink.h"
#include "connectors/partition_reader.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/partition_restore.h"
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

}  // namespace
}  // namespace touchstream::testing
