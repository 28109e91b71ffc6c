#include "tests/testing/fault_injecting_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "state/commit_batch.h"
#include "state/in_memory_store.h"

namespace touchstream::test {
namespace {

state::CommitBatch PutCustomerBatch(const std::string& customer_id) {
  v1::CustomerState customer;
  customer.set_customer_id(customer_id);
  state::CommitBatch batch;
  batch.PutCustomer(customer);
  batch.PutOffset("events", 0, 7);
  batch.AddOutbox(v1::OutboxEntry());
  return batch;
}

class TestingFaultInjectingStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<state::StateStore> inner_ = state::NewInMemoryStore();
  FaultInjectingStore store_{*inner_};
};

// Without a plan every call is forwarded and counted.
TEST_F(TestingFaultInjectingStoreTest, ForwardsEverythingWithoutAPlan) {
  std::vector<uint64_t> sequences;
  ASSERT_TRUE(store_.Commit(PutCustomerBatch("c-1"), &sequences).ok());
  EXPECT_EQ(sequences, std::vector<uint64_t>{1});
  v1::CustomerState out;
  EXPECT_TRUE(store_.GetCustomer("c-1", &out).ok());
  EXPECT_EQ(out.customer_id(), "c-1");
  EXPECT_EQ(store_.GetOffset("events", 0), 7);
  EXPECT_EQ(store_.GetCustomer("c-2", &out).code(), Status::Code::kNotFound);
  EXPECT_EQ(store_.commit_calls(), 1);
  EXPECT_EQ(store_.read_calls(), 3);
  EXPECT_EQ(store_.failed_commits(), 0);
  EXPECT_EQ(store_.failed_reads(), 0);
}

// FailNextCommits(n) fails exactly the next n commits, applying nothing, then forwards again.
TEST_F(TestingFaultInjectingStoreTest, FailNextCommitsFailsThatManyAndAppliesNothing) {
  store_.FailNextCommits(2, Status::IOError("disk full"));
  std::vector<uint64_t> sequences{42};
  Status first = store_.Commit(PutCustomerBatch("c-1"), &sequences);
  EXPECT_EQ(first.code(), Status::Code::kIOError);
  EXPECT_EQ(first.message(), "disk full");
  EXPECT_EQ(sequences, std::vector<uint64_t>{42});
  EXPECT_FALSE(store_.Commit(PutCustomerBatch("c-1"), &sequences).ok());
  v1::CustomerState out;
  EXPECT_EQ(inner_->GetCustomer("c-1", &out).code(), Status::Code::kNotFound);
  EXPECT_EQ(inner_->GetOffset("events", 0), std::nullopt);

  ASSERT_TRUE(store_.Commit(PutCustomerBatch("c-1"), &sequences).ok());
  EXPECT_TRUE(inner_->GetCustomer("c-1", &out).ok());
  EXPECT_EQ(sequences, (std::vector<uint64_t>{42, 1}));  // no sequence was used by the failures
  EXPECT_EQ(store_.commit_calls(), 3);
  EXPECT_EQ(store_.failed_commits(), 2);
}

// FailCommitsFrom(k) lets k-1 commits through and fails every later one, with the default
// status naming the method and the call number.
TEST_F(TestingFaultInjectingStoreTest, FailCommitsFromFailsTheKthAndLater) {
  store_.FailCommitsFrom(3);
  EXPECT_TRUE(store_.Commit(PutCustomerBatch("c-1"), nullptr).ok());
  EXPECT_TRUE(store_.Commit(PutCustomerBatch("c-2"), nullptr).ok());
  Status third = store_.Commit(PutCustomerBatch("c-3"), nullptr);
  EXPECT_EQ(third.code(), Status::Code::kIOError);
  EXPECT_EQ(third.message(), "injected fault: Commit call #3");
  EXPECT_FALSE(store_.Commit(PutCustomerBatch("c-4"), nullptr).ok());
  EXPECT_EQ(store_.failed_commits(), 2);
  v1::CustomerState out;
  EXPECT_TRUE(inner_->GetCustomer("c-2", &out).ok());
  EXPECT_EQ(inner_->GetCustomer("c-3", &out).code(), Status::Code::kNotFound);

  store_.ClearFaults();
  EXPECT_TRUE(store_.Commit(PutCustomerBatch("c-5"), nullptr).ok());
  EXPECT_EQ(store_.commit_calls(), 5);
}

// A "from k" at or below the calls already made fails the next call.
TEST_F(TestingFaultInjectingStoreTest, FailCommitsFromInThePastFailsTheNextCall) {
  EXPECT_TRUE(store_.Commit(PutCustomerBatch("c-1"), nullptr).ok());
  store_.FailCommitsFrom(1, Status::Unavailable("gone"));
  EXPECT_EQ(store_.Commit(PutCustomerBatch("c-2"), nullptr).code(), Status::Code::kUnavailable);
}

// Read faults apply to every read method, not to commits; GetOffset fails as nullopt.
TEST_F(TestingFaultInjectingStoreTest, FailNextReadsCoversEveryReadMethod) {
  ASSERT_TRUE(store_.Commit(PutCustomerBatch("c-1"), nullptr).ok());
  store_.FailNextReads(7, Status::Corruption("bad block"));
  v1::CustomerState out;
  EXPECT_EQ(store_.GetCustomer("c-1", &out).code(), Status::Code::kCorruption);
  EXPECT_EQ(out.customer_id(), "");
  EXPECT_EQ(store_.GetOffset("events", 0), std::nullopt);
  int visited = 0;
  EXPECT_FALSE(store_.ForEachOutbox([&](uint64_t, const v1::OutboxEntry&) { ++visited; }).ok());
  EXPECT_FALSE(
      store_.ForEachCustomer([&](const v1::CustomerState&) { return ++visited > 0; }).ok());
  EXPECT_FALSE(
      store_.ForEachCustomerFrom("c", [&](const v1::CustomerState&) { return ++visited > 0; })
          .ok());
  std::vector<v1::Timer> timers;
  EXPECT_FALSE(store_.DueTimers(1000, 10, &timers).ok());
  EXPECT_FALSE(store_
                   .ForEachImpactCounts([&](const std::string&, const std::string&,
                                            const v1::ImpactCounts&) { ++visited; })
                   .ok());
  EXPECT_EQ(visited, 0);
  EXPECT_TRUE(store_.Commit(PutCustomerBatch("c-2"), nullptr).ok());
  EXPECT_EQ(store_.failed_reads(), 7);

  EXPECT_TRUE(store_.GetCustomer("c-1", &out).ok());
  EXPECT_EQ(store_.GetOffset("events", 0), 7);
  EXPECT_EQ(store_.read_calls(), 9);
  EXPECT_EQ(store_.failed_commits(), 0);
}

// FailReadsFrom(k) fails the k-th read and every later one until ClearFaults.
TEST_F(TestingFaultInjectingStoreTest, FailReadsFromFailsTheKthAndLater) {
  ASSERT_TRUE(store_.Commit(PutCustomerBatch("c-1"), nullptr).ok());
  store_.FailReadsFrom(2);
  v1::CustomerState out;
  EXPECT_TRUE(store_.GetCustomer("c-1", &out).ok());
  Status second = store_.GetCustomer("c-1", &out);
  EXPECT_EQ(second.message(), "injected fault: GetCustomer call #2");
  EXPECT_FALSE(store_.ForEachCustomer([](const v1::CustomerState&) { return true; }).ok());
  store_.ClearFaults();
  EXPECT_TRUE(store_.GetCustomer("c-1", &out).ok());
  EXPECT_EQ(store_.failed_reads(), 2);
}

// The owning constructor keeps the inner store alive and forwards to it.
TEST(TestingFaultInjectingStoreOwningTest, OwnsItsInnerStore) {
  FaultInjectingStore store(state::NewInMemoryStore());
  ASSERT_TRUE(store.Commit(PutCustomerBatch("c-1"), nullptr).ok());
  v1::CustomerState out;
  EXPECT_TRUE(store.inner().GetCustomer("c-1", &out).ok());
  EXPECT_TRUE(store.Flush().ok());
}

}  // namespace
}  // namespace touchstream::test
