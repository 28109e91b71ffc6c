// CustomerCache: load-once, dirty tracking, flush into a batch, LRU eviction, Erase.
#include "state/customer_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "state/in_memory_store.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

// An in-memory store that counts GetCustomer calls, and can be told to fail them.
class CountingStore final : public StateStore {
 public:
  Status GetCustomer(std::string_view customer_id, v1::CustomerState* out) override {
    ++gets;
    if (!fail_with.ok()) return fail_with;
    return inner_->GetCustomer(customer_id, out);
  }
  Status Commit(const CommitBatch& batch, std::vector<uint64_t>* sequences) override {
    return inner_->Commit(batch, sequences);
  }
  std::optional<int64_t> GetOffset(std::string_view topic, int32_t partition) override {
    return inner_->GetOffset(topic, partition);
  }
  Status ForEachOutbox(const std::function<void(uint64_t, const v1::OutboxEntry&)>& fn) override {
    return inner_->ForEachOutbox(fn);
  }
  Status ForEachCustomer(const std::function<bool(const v1::CustomerState&)>& fn) override {
    return inner_->ForEachCustomer(fn);
  }
  Status ForEachCustomerFrom(std::string_view first_id,
                             const std::function<bool(const v1::CustomerState&)>& fn) override {
    return inner_->ForEachCustomerFrom(first_id, fn);
  }
  Status DueTimers(int64_t up_to_ms, size_t limit, std::vector<v1::Timer>* out) override {
    return inner_->DueTimers(up_to_ms, limit, out);
  }
  Status ForEachImpactCounts(const std::function<void(const std::string&, const std::string&,
                                                      const v1::ImpactCounts&)>& fn) override {
    return inner_->ForEachImpactCounts(fn);
  }
  Status Flush() override { return inner_->Flush(); }

  int gets = 0;
  Status fail_with;

 private:
  std::unique_ptr<StateStore> inner_ = NewInMemoryStore();
};

class StateCustomerCacheTest : public ::testing::Test {
 protected:
  void Store(const std::string& id, int64_t event_count) {
    CommitBatch batch;
    batch.PutCustomer(test::MakeCustomer(id, event_count));
    ASSERT_TRUE(store_.Commit(batch, nullptr).ok());
  }
  int64_t StoredEventCount(const std::string& id) {
    v1::CustomerState state;
    Status status = store_.GetCustomer(id, &state);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return state.aggregates().event_count();
  }
  void FlushAndCommit(CustomerCache* cache) {
    CommitBatch batch;
    cache->FlushDirtyInto(&batch);
    ASSERT_TRUE(store_.Commit(batch, nullptr).ok());
  }

  CountingStore store_;
};

// A stored customer is read from the store once; later calls return the same cached object.
TEST_F(StateCustomerCacheTest, LoadsFromStoreOnce) {
  Store("c-1", 5);
  CustomerCache cache(&store_, 10);
  Result<v1::CustomerState*> first = cache.GetForUpdate("c-1");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->aggregates().event_count(), 5);
  Result<v1::CustomerState*> second = cache.GetForUpdate("c-1");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  v1::CustomerState copy;
  ASSERT_TRUE(cache.Get("c-1", &copy).ok());
  EXPECT_EQ(store_.gets, 1);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.dirty_count(), 1u);
}

// An unknown customer starts fresh (schema 1, id set), is dirty, and reaches the store only
// through a flushed batch.
TEST_F(StateCustomerCacheTest, UnknownCustomerStartsFresh) {
  CustomerCache cache(&store_, 10);
  Result<v1::CustomerState*> state = cache.GetForUpdate("c-new");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ((*state)->schema_version(), 1u);
  EXPECT_EQ((*state)->customer_id(), "c-new");
  EXPECT_EQ((*state)->aggregates().event_count(), 0);
  EXPECT_EQ(cache.dirty_count(), 1u);
  v1::CustomerState out;
  EXPECT_EQ(store_.GetCustomer("c-new", &out).code(), Status::Code::kNotFound);
  FlushAndCommit(&cache);
  EXPECT_EQ(StoredEventCount("c-new"), 0);
}

// Each dirty customer goes into the batch once, however often it was modified; a second flush
// adds nothing.
TEST_F(StateCustomerCacheTest, FlushAddsEachDirtyStateOnce) {
  Store("c-1", 1);
  CustomerCache cache(&store_, 10);
  (*cache.GetForUpdate("c-1"))->mutable_aggregates()->set_event_count(2);
  (*cache.GetForUpdate("c-2"))->mutable_aggregates()->set_event_count(7);
  (*cache.GetForUpdate("c-1"))->mutable_aggregates()->set_event_count(3);
  EXPECT_EQ(cache.dirty_count(), 2u);
  CommitBatch batch;
  cache.FlushDirtyInto(&batch);
  EXPECT_EQ(batch.size(), 2u);
  EXPECT_EQ(cache.dirty_count(), 0u);
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(store_.Commit(batch, nullptr).ok());
  EXPECT_EQ(StoredEventCount("c-1"), 3);
  EXPECT_EQ(StoredEventCount("c-2"), 7);
  CommitBatch empty;
  cache.FlushDirtyInto(&empty);
  EXPECT_TRUE(empty.empty());
}

// Get copies without marking dirty, caches what it loads, and does not cache misses.
TEST_F(StateCustomerCacheTest, GetIsReadOnly) {
  Store("c-1", 4);
  CustomerCache cache(&store_, 10);
  v1::CustomerState out;
  ASSERT_TRUE(cache.Get("c-1", &out).ok());
  EXPECT_EQ(out.aggregates().event_count(), 4);
  ASSERT_TRUE(cache.Get("c-1", &out).ok());
  EXPECT_EQ(store_.gets, 1);
  EXPECT_EQ(cache.dirty_count(), 0u);
  out.set_customer_id("untouched");
  EXPECT_EQ(cache.Get("c-missing", &out).code(), Status::Code::kNotFound);
  EXPECT_EQ(out.customer_id(), "untouched");
  EXPECT_EQ(cache.size(), 1u);
  CommitBatch batch;
  cache.FlushDirtyInto(&batch);
  EXPECT_TRUE(batch.empty());
}

// Dirty entries are never evicted: the cache grows past capacity until the flush, which then
// keeps the most recently used entries.
TEST_F(StateCustomerCacheTest, EvictsLeastRecentlyUsedOnlyAtFlush) {
  Store("c-a", 1);
  Store("c-b", 2);
  CustomerCache cache(&store_, 2);
  ASSERT_TRUE(cache.GetForUpdate("c-a").ok());
  ASSERT_TRUE(cache.GetForUpdate("c-b").ok());
  ASSERT_TRUE(cache.GetForUpdate("c-c").ok());
  v1::CustomerState out;
  ASSERT_TRUE(cache.Get("c-a", &out).ok());  // c-a is now the most recently used
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.dirty_count(), 3u);
  CommitBatch batch;
  cache.FlushDirtyInto(&batch);
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(store_.Commit(batch, nullptr).ok());
  const int gets_before = store_.gets;
  ASSERT_TRUE(cache.Get("c-a", &out).ok());
  ASSERT_TRUE(cache.Get("c-c", &out).ok());
  EXPECT_EQ(store_.gets, gets_before);  // both still cached
  ASSERT_TRUE(cache.Get("c-b", &out).ok());
  EXPECT_EQ(store_.gets, gets_before + 1);  // c-b was evicted
  EXPECT_EQ(out.aggregates().event_count(), 2);
}

// Erase discards unflushed changes, hides the customer until the flush, and the flush deletes
// the stored state (without reading it again); erasing an unknown customer is harmless.
TEST_F(StateCustomerCacheTest, EraseDeletesAtFlushAndDropsChanges) {
  Store("c-1", 1);
  CustomerCache cache(&store_, 10);
  (*cache.GetForUpdate("c-1"))->mutable_aggregates()->set_event_count(99);
  (*cache.GetForUpdate("c-2"))->mutable_aggregates()->set_event_count(2);
  cache.Erase("c-1");
  cache.Erase("c-unknown");
  const int gets = store_.gets;
  v1::CustomerState out;
  EXPECT_EQ(cache.Get("c-1", &out).code(), Status::Code::kNotFound);
  EXPECT_EQ(store_.gets, gets);  // not read from the store again
  EXPECT_EQ(cache.dirty_count(), 3u);
  FlushAndCommit(&cache);
  EXPECT_EQ(cache.size(), 1u);  // erased entries leave the cache
  EXPECT_EQ(store_.GetCustomer("c-1", &out).code(), Status::Code::kNotFound);
  EXPECT_EQ(StoredEventCount("c-2"), 2);
  EXPECT_EQ(cache.Get("c-1", &out).code(), Status::Code::kNotFound);
}

// A customer erased and then updated before the flush starts afresh: the flush stores the new
// state, not the erased one.
TEST_F(StateCustomerCacheTest, UpdateAfterEraseStartsFresh) {
  Store("c-1", 7);
  CustomerCache cache(&store_, 10);
  ASSERT_TRUE(cache.GetForUpdate("c-1").ok());
  cache.Erase("c-1");
  Result<v1::CustomerState*> fresh = cache.GetForUpdate("c-1");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->customer_id(), "c-1");
  EXPECT_EQ((*fresh)->aggregates().event_count(), 0);
  (*fresh)->mutable_aggregates()->set_event_count(1);
  FlushAndCommit(&cache);
  EXPECT_EQ(StoredEventCount("c-1"), 1);
}

// Store errors other than NotFound are returned and nothing is cached.
TEST_F(StateCustomerCacheTest, StoreErrorsPropagate) {
  store_.fail_with = Status::IOError("disk gone");
  CustomerCache cache(&store_, 10);
  Result<v1::CustomerState*> state = cache.GetForUpdate("c-1");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), Status::Code::kIOError);
  v1::CustomerState out;
  EXPECT_EQ(cache.Get("c-1", &out).code(), Status::Code::kIOError);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.dirty_count(), 0u);
}

}  // namespace
}  // namespace touchstream::state
