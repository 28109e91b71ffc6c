#include "state/customer_erasure.h"

#include <gtest/gtest.h>

#include "state/in_memory_store.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

using test::MakeTimer;

// Erasing a customer removes its state, its timers and its unsent messages, and nothing of
// another customer's.
TEST(StateCustomerErasureTest, RemovesEveryTraceOfOneCustomerOnly) {
  auto store = NewInMemoryStore();
  CommitBatch batch;
  for (const std::string id : {"c-1", "c-2"}) {
    v1::CustomerState state;
    state.set_customer_id(id);
    (*state.mutable_timers())["r:cart"] = 1000;
    (*state.mutable_timers())["lifecycle"] = 2000;
    batch.PutCustomer(state);
    batch.PutTimer(MakeTimer(id, "r:cart", 1000));
    batch.PutTimer(MakeTimer(id, "lifecycle", 2000));
    v1::OutboxEntry entry;
    entry.set_topic("touchstream.actions");
    entry.set_key(id);
    batch.AddOutbox(entry);
  }
  ASSERT_TRUE(store->Commit(batch, nullptr).ok());

  auto erased = EraseCustomer(store.get(), "c-1");
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  EXPECT_TRUE(erased->had_state);
  EXPECT_EQ(erased->timers, 2u);
  EXPECT_EQ(erased->outbox_entries, 1u);

  v1::CustomerState state;
  EXPECT_EQ(store->GetCustomer("c-1", &state).code(), Status::Code::kNotFound);
  EXPECT_TRUE(store->GetCustomer("c-2", &state).ok());
  std::vector<v1::Timer> due;
  ASSERT_TRUE(store->DueTimers(10000, 100, &due).ok());
  ASSERT_EQ(due.size(), 2u);
  for (const auto& t : due) EXPECT_EQ(t.customer_id(), "c-2");
  std::vector<std::string> keys;
  ASSERT_TRUE(
      store->ForEachOutbox([&](uint64_t, const v1::OutboxEntry& e) { keys.push_back(e.key()); })
          .ok());
  EXPECT_EQ(keys, std::vector<std::string>{"c-2"});

  // Erasing an unknown customer is not an error.
  auto again = EraseCustomer(store.get(), "c-1");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->had_state);
}

}  // namespace
}  // namespace touchstream::state
