// The StateStore behaviour suite, run against the RocksDB and the in-memory store.
#include "state/state_store.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/state/store_harness.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

using testing::InMemoryHarness;
using testing::RocksDbHarness;

v1::CustomerState Customer(const std::string& id, int64_t event_count) {
  return test::MakeCustomer(id, event_count);
}

v1::OutboxEntry Outbox(const std::string& id) {
  v1::OutboxEntry entry;
  entry.set_topic("touchstream.actions");
  entry.set_key("c-1");
  entry.set_value("value-" + id);
  entry.set_id(id);
  return entry;
}

using test::MakeTimer;

// (fire_ms, customer_id, name, payload) of each timer, for exact comparisons.
using TimerTuple = std::tuple<int64_t, std::string, std::string, std::string>;
std::vector<TimerTuple> Tuples(const std::vector<v1::Timer>& timers) {
  std::vector<TimerTuple> tuples;
  for (const v1::Timer& t : timers) {
    tuples.emplace_back(t.fire_ms(), t.customer_id(), t.name(), t.payload());
  }
  return tuples;
}

std::vector<TimerTuple> AllTimers(StateStore* store) {
  std::vector<v1::Timer> timers;
  EXPECT_TRUE(store->DueTimers(INT64_MAX, 1000, &timers).ok());
  return Tuples(timers);
}

std::vector<std::pair<uint64_t, std::string>> OutboxIds(StateStore* store) {
  std::vector<std::pair<uint64_t, std::string>> ids;
  Status status = store->ForEachOutbox([&](uint64_t sequence, const v1::OutboxEntry& entry) {
    ids.emplace_back(sequence, entry.id());
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return ids;
}

std::vector<uint64_t> CommitOrDie(StateStore* store, const CommitBatch& batch) {
  std::vector<uint64_t> sequences;
  Status status = store->Commit(batch, &sequences);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return sequences;
}

template <typename Harness>
class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = harness_.Open();
    ASSERT_NE(store_, nullptr);
  }
  void Reopen() {
    store_ = harness_.Reopen();
    ASSERT_NE(store_, nullptr);
  }

  Harness harness_;
  StateStore* store_ = nullptr;
};

struct HarnessNames {
  template <typename Harness>
  static std::string GetName(int) {
    return Harness::kName;
  }
};
using Harnesses = ::testing::Types<RocksDbHarness, InMemoryHarness>;
TYPED_TEST_SUITE(StateStoreTest, Harnesses, HarnessNames);

// A missing customer is NotFound and leaves the output untouched.
TYPED_TEST(StateStoreTest, GetMissingCustomerIsNotFoundAndLeavesOutputUntouched) {
  v1::CustomerState out = Customer("sentinel", 7);
  Status status = this->store_->GetCustomer("c-404", &out);
  EXPECT_EQ(status.code(), Status::Code::kNotFound);
  EXPECT_EQ(out.customer_id(), "sentinel");
  EXPECT_EQ(out.aggregates().event_count(), 7);
}

// A committed customer state reads back equal, also after a restart.
TYPED_TEST(StateStoreTest, PutGetRoundTripSurvivesReopen) {
  v1::CustomerState state = Customer("c-1", 3);
  state.set_first_seen_ms(1000);
  (*state.mutable_activity())["login"].set_count(2);
  (*state.mutable_profile())["tier"].set_string_value("gold");
  CommitBatch batch;
  batch.PutCustomer(state);
  CommitOrDie(this->store_, batch);
  this->Reopen();
  v1::CustomerState out;
  ASSERT_TRUE(this->store_->GetCustomer("c-1", &out).ok());
  EXPECT_EQ(out.SerializeAsString(), state.SerializeAsString());
  EXPECT_EQ(out.activity().at("login").count(), 2);
  EXPECT_EQ(out.profile().at("tier").string_value(), "gold");
}

// Customers, offsets, outbox entries and timers of one batch are all there after a restart.
TYPED_TEST(StateStoreTest, CommitAppliesEveryKindOfOperationTogether) {
  CommitBatch batch;
  batch.PutCustomer(Customer("c-1", 1));
  batch.PutCustomer(Customer("c-2", 2));
  batch.PutOffset("events", 3, 42);
  batch.AddOutbox(Outbox("a-1"));
  batch.PutTimer(MakeTimer("c-1", "inactive", 5000, "p"));
  EXPECT_EQ(batch.size(), 5u);
  EXPECT_EQ(CommitOrDie(this->store_, batch), (std::vector<uint64_t>{1}));
  this->Reopen();
  v1::CustomerState out;
  EXPECT_TRUE(this->store_->GetCustomer("c-1", &out).ok());
  EXPECT_TRUE(this->store_->GetCustomer("c-2", &out).ok());
  EXPECT_EQ(out.aggregates().event_count(), 2);
  EXPECT_EQ(this->store_->GetOffset("events", 3), std::optional<int64_t>(42));
  EXPECT_EQ(OutboxIds(this->store_), (std::vector<std::pair<uint64_t, std::string>>{{1, "a-1"}}));
  EXPECT_EQ(AllTimers(this->store_), (std::vector<TimerTuple>{{5000, "c-1", "inactive", "p"}}));
}

// A batch with one invalid operation changes nothing, assigns no sequence, and says why.
TYPED_TEST(StateStoreTest, InvalidBatchChangesNothing) {
  CommitBatch batch;
  batch.PutCustomer(Customer("c-1", 1));
  batch.PutOffset("events", 0, 10);
  batch.AddOutbox(Outbox("a-1"));
  batch.PutTimer(MakeTimer("c-1", "ok", 100));
  batch.PutTimer(MakeTimer("c-1", "bad", -5));
  std::vector<uint64_t> sequences = {99};
  Status status = this->store_->Commit(batch, &sequences);
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(status.message().find("negative fire_ms -5"), std::string::npos) << status.message();
  EXPECT_EQ(sequences, (std::vector<uint64_t>{99}));
  this->Reopen();
  v1::CustomerState out;
  EXPECT_EQ(this->store_->GetCustomer("c-1", &out).code(), Status::Code::kNotFound);
  EXPECT_EQ(this->store_->GetOffset("events", 0), std::nullopt);
  EXPECT_TRUE(OutboxIds(this->store_).empty());
  EXPECT_TRUE(AllTimers(this->store_).empty());
  CommitBatch next;
  next.AddOutbox(Outbox("a-2"));
  EXPECT_EQ(CommitOrDie(this->store_, next), (std::vector<uint64_t>{1}));
}

// Outbox sequences are consecutive, keep increasing across restarts, and removed ones are not
// handed out again.
TYPED_TEST(StateStoreTest, OutboxSequencesIncreaseAcrossReopenAndAreNeverReused) {
  CommitBatch first;
  first.AddOutbox(Outbox("a-1"));
  first.AddOutbox(Outbox("a-2"));
  EXPECT_EQ(CommitOrDie(this->store_, first), (std::vector<uint64_t>{1, 2}));
  CommitBatch remove_all;
  remove_all.RemoveOutbox(1);
  remove_all.RemoveOutbox(2);
  EXPECT_TRUE(CommitOrDie(this->store_, remove_all).empty());
  this->Reopen();
  CommitBatch second;
  second.AddOutbox(Outbox("a-3"));
  second.PutOffset("events", 0, 1);
  second.AddOutbox(Outbox("a-4"));
  EXPECT_EQ(CommitOrDie(this->store_, second), (std::vector<uint64_t>{3, 4}));
  this->Reopen();
  CommitBatch third;
  third.AddOutbox(Outbox("a-5"));
  EXPECT_EQ(CommitOrDie(this->store_, third), (std::vector<uint64_t>{5}));
  EXPECT_EQ(OutboxIds(this->store_),
            (std::vector<std::pair<uint64_t, std::string>>{{3, "a-3"}, {4, "a-4"}, {5, "a-5"}}));
}

// ForEachOutbox visits in numeric sequence order, past one-byte sequences, skipping removed ones.
TYPED_TEST(StateStoreTest, ForEachOutboxVisitsInSequenceOrder) {
  CommitBatch batch;
  for (int i = 1; i <= 300; ++i) batch.AddOutbox(Outbox("a-" + std::to_string(i)));
  std::vector<uint64_t> sequences = CommitOrDie(this->store_, batch);
  ASSERT_EQ(sequences.size(), 300u);
  EXPECT_EQ(sequences.front(), 1u);
  EXPECT_EQ(sequences.back(), 300u);
  CommitBatch removals;
  for (uint64_t sequence = 2; sequence <= 299; ++sequence) removals.RemoveOutbox(sequence);
  CommitOrDie(this->store_, removals);
  EXPECT_EQ(OutboxIds(this->store_),
            (std::vector<std::pair<uint64_t, std::string>>{{1, "a-1"}, {300, "a-300"}}));
}

// Operations on one key apply in batch order: the last one wins.
TYPED_TEST(StateStoreTest, LaterOperationOnSameCustomerWins) {
  CommitBatch batch;
  batch.PutCustomer(Customer("gone", 1));
  batch.DeleteCustomer("gone");
  batch.DeleteCustomer("back");
  batch.PutCustomer(Customer("back", 2));
  CommitOrDie(this->store_, batch);
  v1::CustomerState out;
  EXPECT_EQ(this->store_->GetCustomer("gone", &out).code(), Status::Code::kNotFound);
  ASSERT_TRUE(this->store_->GetCustomer("back", &out).ok());
  EXPECT_EQ(out.aggregates().event_count(), 2);
}

// DeleteCustomer removes a stored customer.
TYPED_TEST(StateStoreTest, DeleteCustomerRemovesStoredState) {
  CommitBatch put;
  put.PutCustomer(Customer("c-1", 1));
  CommitOrDie(this->store_, put);
  CommitBatch del;
  del.DeleteCustomer("c-1");
  CommitOrDie(this->store_, del);
  this->Reopen();
  v1::CustomerState out;
  EXPECT_EQ(this->store_->GetCustomer("c-1", &out).code(), Status::Code::kNotFound);
}

// Offsets are kept per topic and partition and overwritten by later commits.
TYPED_TEST(StateStoreTest, OffsetsArePerPartitionAndOverwritten) {
  CommitBatch batch;
  batch.PutOffset("events", 1, 100);
  batch.PutOffset("events", 12, 1200);
  batch.PutOffset("events.eu", 1, 7);
  CommitOrDie(this->store_, batch);
  CommitBatch later;
  later.PutOffset("events", 1, 101);
  CommitOrDie(this->store_, later);
  this->Reopen();
  EXPECT_EQ(this->store_->GetOffset("events", 1), std::optional<int64_t>(101));
  EXPECT_EQ(this->store_->GetOffset("events", 12), std::optional<int64_t>(1200));
  EXPECT_EQ(this->store_->GetOffset("events.eu", 1), std::optional<int64_t>(7));
  EXPECT_EQ(this->store_->GetOffset("events", 2), std::nullopt);
  EXPECT_EQ(this->store_->GetOffset("other", 1), std::nullopt);
}

// ForEachCustomer visits in id order and stops when the callback returns false.
TYPED_TEST(StateStoreTest, ForEachCustomerVisitsInIdOrderUntilStopped) {
  CommitBatch batch;
  for (const char* id : {"c-3", "c-1", "c-4", "c-2"}) batch.PutCustomer(Customer(id, 1));
  CommitOrDie(this->store_, batch);
  std::vector<std::string> all;
  ASSERT_TRUE(this->store_
                  ->ForEachCustomer([&](const v1::CustomerState& s) {
                    all.push_back(s.customer_id());
                    return true;
                  })
                  .ok());
  EXPECT_EQ(all, (std::vector<std::string>{"c-1", "c-2", "c-3", "c-4"}));
  std::vector<std::string> first_two;
  ASSERT_TRUE(this->store_
                  ->ForEachCustomer([&](const v1::CustomerState& s) {
                    first_two.push_back(s.customer_id());
                    return first_two.size() < 2;
                  })
                  .ok());
  EXPECT_EQ(first_two, (std::vector<std::string>{"c-1", "c-2"}));
}

// Due timers come in (fire_ms, customer_id, name) order, up to and including up_to_ms.
TYPED_TEST(StateStoreTest, DueTimersInFiringOrderUpToInclusiveBound) {
  CommitBatch batch;
  batch.PutTimer(MakeTimer("c-2", "b", 1'700'000'000'000));
  batch.PutTimer(MakeTimer("c-1", "z", 300));
  batch.PutTimer(MakeTimer("c-2", "a", 1'700'000'000'000));
  batch.PutTimer(MakeTimer("c-1", "a", 1'700'000'000'000));
  batch.PutTimer(MakeTimer("c-9", "a", 256));
  batch.PutTimer(MakeTimer("c-1", "late", 1'700'000'000'001));
  CommitOrDie(this->store_, batch);
  std::vector<v1::Timer> due;
  ASSERT_TRUE(this->store_->DueTimers(1'700'000'000'000, 100, &due).ok());
  EXPECT_EQ(Tuples(due), (std::vector<TimerTuple>{{256, "c-9", "a", ""},
                                                  {300, "c-1", "z", ""},
                                                  {1'700'000'000'000, "c-1", "a", ""},
                                                  {1'700'000'000'000, "c-2", "a", ""},
                                                  {1'700'000'000'000, "c-2", "b", ""}}));
  due.clear();
  ASSERT_TRUE(this->store_->DueTimers(299, 100, &due).ok());
  EXPECT_EQ(Tuples(due), (std::vector<TimerTuple>{{256, "c-9", "a", ""}}));
}

// DueTimers returns at most `limit` timers, the earliest ones, and nothing for limit 0 or a
// bound before every timer.
TYPED_TEST(StateStoreTest, DueTimersHonoursLimit) {
  CommitBatch batch;
  for (int i = 5; i >= 1; --i) batch.PutTimer(MakeTimer("c-" + std::to_string(i), "t", i * 10));
  CommitOrDie(this->store_, batch);
  std::vector<v1::Timer> due;
  ASSERT_TRUE(this->store_->DueTimers(1000, 3, &due).ok());
  EXPECT_EQ(Tuples(due), (std::vector<TimerTuple>{
                             {10, "c-1", "t", ""}, {20, "c-2", "t", ""}, {30, "c-3", "t", ""}}));
  due.clear();
  ASSERT_TRUE(this->store_->DueTimers(1000, 0, &due).ok());
  ASSERT_TRUE(this->store_->DueTimers(9, 10, &due).ok());
  ASSERT_TRUE(this->store_->DueTimers(-1, 10, &due).ok());
  EXPECT_TRUE(due.empty());
}

// Re-arming a timer of the same (customer, name) replaces it, earlier or later, across commits,
// within one batch and across a restart; other names and customers are untouched.
TYPED_TEST(StateStoreTest, PutTimerReplacesTimerOfSameName) {
  CommitBatch first;
  first.PutTimer(MakeTimer("c-1", "nudge", 1000, "v1"));
  first.PutTimer(MakeTimer("c-1", "other", 1000, "o"));
  first.PutTimer(MakeTimer("c-2", "nudge", 1000, "c2"));
  CommitOrDie(this->store_, first);
  CommitBatch earlier;
  earlier.PutTimer(MakeTimer("c-1", "nudge", 500, "v2"));
  CommitOrDie(this->store_, earlier);
  EXPECT_EQ(AllTimers(this->store_), (std::vector<TimerTuple>{{500, "c-1", "nudge", "v2"},
                                                              {1000, "c-1", "other", "o"},
                                                              {1000, "c-2", "nudge", "c2"}}));
  this->Reopen();
  CommitBatch several;
  several.PutTimer(MakeTimer("c-1", "nudge", 3000, "v3"));
  several.PutTimer(MakeTimer("c-1", "nudge", 2000, "v4"));
  several.PutTimer(MakeTimer("c-1", "nudge", 2000, "v5"));
  CommitOrDie(this->store_, several);
  EXPECT_EQ(AllTimers(this->store_), (std::vector<TimerTuple>{{1000, "c-1", "other", "o"},
                                                              {1000, "c-2", "nudge", "c2"},
                                                              {2000, "c-1", "nudge", "v5"}}));
}

// DeleteTimer removes only the timer at exactly that fire_ms; a deleted timer can be re-armed.
TYPED_TEST(StateStoreTest, DeleteTimerMatchesExactFireTime) {
  CommitBatch arm;
  arm.PutTimer(MakeTimer("c-1", "nudge", 1000, "v1"));
  CommitOrDie(this->store_, arm);
  CommitBatch stale;
  stale.DeleteTimer(MakeTimer("c-1", "nudge", 999));
  CommitOrDie(this->store_, stale);
  EXPECT_EQ(AllTimers(this->store_), (std::vector<TimerTuple>{{1000, "c-1", "nudge", "v1"}}));
  CommitBatch fire_and_rearm;
  fire_and_rearm.DeleteTimer(MakeTimer("c-1", "nudge", 1000));
  fire_and_rearm.PutTimer(MakeTimer("c-1", "nudge", 4000, "v2"));
  CommitOrDie(this->store_, fire_and_rearm);
  EXPECT_EQ(AllTimers(this->store_), (std::vector<TimerTuple>{{4000, "c-1", "nudge", "v2"}}));
  CommitBatch fire;
  fire.DeleteTimer(MakeTimer("c-1", "nudge", 4000));
  CommitOrDie(this->store_, fire);
  EXPECT_TRUE(AllTimers(this->store_).empty());
  this->Reopen();
  CommitBatch again;
  again.PutTimer(MakeTimer("c-1", "nudge", 50, "v3"));
  CommitOrDie(this->store_, again);
  EXPECT_EQ(AllTimers(this->store_), (std::vector<TimerTuple>{{50, "c-1", "nudge", "v3"}}));
}

// Flush keeps everything readable, before and after a restart.
TYPED_TEST(StateStoreTest, FlushKeepsDataReadable) {
  CommitBatch batch;
  batch.PutCustomer(Customer("c-1", 1));
  batch.PutTimer(MakeTimer("c-1", "t", 10));
  CommitOrDie(this->store_, batch);
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Reopen();
  v1::CustomerState out;
  EXPECT_TRUE(this->store_->GetCustomer("c-1", &out).ok());
  EXPECT_EQ(AllTimers(this->store_), (std::vector<TimerTuple>{{10, "c-1", "t", ""}}));
}

// Impact counters add up across commits (and twice in one batch), survive a restart, are
// listed in (rule, arm) order, and an invalid rule id refuses the whole batch.
TYPED_TEST(StateStoreTest, ImpactCountsAddUpAcrossCommits) {
  v1::ImpactCounts one;
  one.set_decisions(2);
  one.set_sent(1);
  one.set_converted(1);
  one.set_conversion_value(12.5);
  CommitBatch batch;
  batch.AddImpactCounts("winback", "treatment", one);
  batch.AddImpactCounts("winback", "treatment", one);
  batch.AddImpactCounts("winback", "holdout", one);
  CommitOrDie(this->store_, batch);
  CommitBatch second;
  second.AddImpactCounts("winback", "treatment", one);
  CommitOrDie(this->store_, second);
  CommitBatch invalid;
  invalid.AddImpactCounts("winback", "treatment", one);
  invalid.AddImpactCounts("a/b", "treatment", one);
  EXPECT_EQ(this->store_->Commit(invalid, nullptr).code(), Status::Code::kInvalidArgument);
  this->Reopen();
  std::vector<std::string> rows;
  ASSERT_TRUE(this->store_
                  ->ForEachImpactCounts([&](const std::string& rule, const std::string& arm,
                                            const v1::ImpactCounts& c) {
                    rows.push_back(rule + "/" + arm + " " + std::to_string(c.decisions()) + " " +
                                   std::to_string(c.sent()) + " " + std::to_string(c.converted()) +
                                   " " + std::to_string(c.conversion_value()));
                  })
                  .ok());
  EXPECT_EQ(rows, (std::vector<std::string>{"winback/holdout 2 1 1 12.500000",
                                            "winback/treatment 6 3 3 37.500000"}));
}

}  // namespace
}  // namespace touchstream::state
