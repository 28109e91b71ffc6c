// CommitBatch: operation recording and validation.
#include "state/commit_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "state/customer_codec.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

using test::MakeTimer;

// Operations are counted and kept in call order, with states encoded.
TEST(StateCommitBatchTest, RecordsOperationsInOrder) {
  CommitBatch batch;
  EXPECT_TRUE(batch.empty());
  v1::CustomerState state;
  state.set_customer_id("c-1");
  state.set_first_seen_ms(5);
  batch.PutCustomer(state);
  batch.AddOutbox(v1::OutboxEntry());
  batch.RemoveOutbox(3);
  batch.AddOutbox(v1::OutboxEntry());
  batch.DeleteTimer(MakeTimer("c-1", "t", 9));
  EXPECT_FALSE(batch.empty());
  EXPECT_EQ(batch.size(), 5u);
  EXPECT_EQ(batch.outbox_additions(), 2u);
  const auto& put = std::get<CommitBatch::PutCustomerOp>(batch.operations()[0]);
  EXPECT_EQ(put.customer_id, "c-1");
  // Written with the current encoding version, whatever the caller's copy says.
  state.set_schema_version(kCustomerSchemaVersion);
  EXPECT_EQ(put.encoded_state, state.SerializeAsString());
  EXPECT_EQ(std::get<CommitBatch::RemoveOutboxOp>(batch.operations()[2]).sequence, 3u);
  EXPECT_EQ(std::get<CommitBatch::DeleteTimerOp>(batch.operations()[4]).fire_ms, 9);
  EXPECT_TRUE(batch.Validate().ok());
}

// Each kind of invalid operation is named by Validate.
TEST(StateCommitBatchTest, ValidateRejectsInvalidOperations) {
  struct Case {
    const char* expected_message;
    void (*fill)(CommitBatch*);
  };
  const Case cases[] = {
      {"customer id of PutCustomer is empty",
       [](CommitBatch* b) { b->PutCustomer(v1::CustomerState()); }},
      {"customer id of DeleteCustomer is empty", [](CommitBatch* b) { b->DeleteCustomer(""); }},
      {"customer id of a timer contains a NUL byte",
       [](CommitBatch* b) { b->PutTimer(MakeTimer(std::string("c\0d", 3), "t", 1)); }},
      {"timer name contains a NUL byte",
       [](CommitBatch* b) { b->DeleteTimer(MakeTimer("c", std::string("t\0", 2), 1)); }},
      {"customer id of a timer is empty",
       [](CommitBatch* b) { b->PutTimer(MakeTimer("", "t", 1)); }},
      {"timer 't' of customer 'c' has negative fire_ms -1",
       [](CommitBatch* b) { b->PutTimer(MakeTimer("c", "t", -1)); }},
      {"PutOffset events/-1 with negative partition or offset 5",
       [](CommitBatch* b) { b->PutOffset("events", -1, 5); }},
      {"PutOffset events/0 with negative partition or offset -2",
       [](CommitBatch* b) { b->PutOffset("events", 0, -2); }},
  };
  for (const Case& c : cases) {
    CommitBatch batch;
    batch.PutOffset("events", 0, 1);
    c.fill(&batch);
    Status status = batch.Validate();
    EXPECT_EQ(status.code(), Status::Code::kInvalidArgument) << c.expected_message;
    EXPECT_EQ(status.message(), c.expected_message);
  }
}

// An empty timer name is allowed.
TEST(StateCommitBatchTest, EmptyTimerNameIsValid) {
  CommitBatch batch;
  batch.PutTimer(MakeTimer("c", "", 0));
  EXPECT_TRUE(batch.Validate().ok());
}

}  // namespace
}  // namespace touchstream::state
