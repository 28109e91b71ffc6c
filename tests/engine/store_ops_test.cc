// Store operations through Replay (stream time) and their building blocks: retention expiry
// (sweep and on touch), erase events, RFM quantile refresh, the retention sweep's resumable
// steps, the refresh period, and the task queue of the admin API.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/time_format.h"
#include "engine/config/config.h"
#include "engine/runtime/retention_sweep.h"
#include "engine/runtime/rfm_refresh.h"
#include "engine/runtime/task_queue.h"
#include "state/in_memory_store.h"
#include "tests/engine/replay_fixture.h"

namespace touchstream::engine {
namespace {

// One purchase arms a 60-day follow-up, so an expired or erased customer's timer is visible.
constexpr char kFollowUpRule[] = R"(
- id: follow-up
  trigger: {event: purchase, after: 60d}
  actions: [{emit: {kind: nudge, channel: email, template: "Back?"}}]
)";

// One action as the tests compare it: "customer rule@time".
std::string Describe(const v1::Action& a) {
  return a.customer_id() + " " + a.rule_id() + "@" + FormatRfc3339Ms(a.ts_ms());
}

class EngineStoreOpsTest : public ReplayFixture {
 protected:
  // Replays `events` through `rules_yaml` until `until`; returns the actions described.
  std::vector<std::string> Replay(const std::string& rules_yaml,
                                  const std::vector<std::string>& events,
                                  const std::string& until) {
    return DescribeAll(ReplayActions(rules_yaml, events, until), Describe);
  }

  bool Stored(const std::string& id) {
    v1::CustomerState state;
    return store_->GetCustomer(id, &state).ok();
  }
  size_t StoredTimers() {
    std::vector<v1::Timer> timers;
    EXPECT_TRUE(store_->DueTimers(INT64_MAX, 1000, &timers).ok());
    return timers.size();
  }
};

const std::vector<std::string> kRetentionEvents = {
    Event("e1", "c-1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":10})"),
    Event("e2", "c-2", "page_view", "2026-01-20T10:00:00Z"),
    Event("e3", "c-2", "page_view", "2026-02-10T10:00:00Z"),
};

// Without retention the follow-up of c-1 fires after 60 days (the control for the next test).
TEST_F(EngineStoreOpsTest, WithoutRetentionNothingExpires) {
  Config("rules: []\n");
  EXPECT_EQ(Replay(kFollowUpRule, kRetentionEvents, "2026-03-10T00:00:00Z"),
            (std::vector<std::string>{"c-1 follow-up@2026-03-02T10:00:00Z"}));
  EXPECT_TRUE(Stored("c-1"));
  EXPECT_EQ(metrics_.customers_expired(), 0);
}

// With 30 days of retention, the stream-time sweep on Feb 10 expires c-1 (last seen Jan 1):
// its state and armed timer are deleted, so the follow-up never fires; c-2 stays.
TEST_F(EngineStoreOpsTest, RetentionExpiresStateAndTimersByStreamTime) {
  Config("state: {retention: 30d}\n");
  EXPECT_EQ(Replay(kFollowUpRule, kRetentionEvents, "2026-03-10T00:00:00Z"),
            std::vector<std::string>{});
  EXPECT_FALSE(Stored("c-1"));
  EXPECT_TRUE(Stored("c-2"));
  EXPECT_EQ(StoredTimers(), 0u);
  EXPECT_EQ(metrics_.customers_expired(), 1);
}

// A customer's event after the retention starts a fresh state (expired first, counted once).
TEST_F(EngineStoreOpsTest, ExpiredCustomerReturnsFresh) {
  Config("state: {retention: 30d}\n");
  Replay("[]",
         {Event("e1", "c-1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":10})"),
          Event("e2", "c-1", "purchase", "2026-03-01T10:00:00Z", R"({"amount":20})")},
         "2026-03-01T10:00:00Z");
  v1::CustomerState state;
  ASSERT_TRUE(store_->GetCustomer("c-1", &state).ok());
  EXPECT_EQ(state.aggregates().purchase_count(), 1);
  EXPECT_EQ(state.aggregates().total_spend(), 20);
  EXPECT_EQ(state.first_seen_ms(), *ParseRfc3339Ms("2026-03-01T10:00:00Z"));
  EXPECT_EQ(metrics_.customers_expired(), 1);
}

// An erase_request event erases the customer (state and timers), counted by source; a later
// event starts afresh. The event type is configurable.
TEST_F(EngineStoreOpsTest, EraseEventErasesStateAndTimers) {
  for (const std::string type : {"erase_request", "forget_me"}) {
    SetUp();
    Config(type == "erase_request" ? "rules: []\n" : "state: {erase_event_type: forget_me}\n");
    EngineMetrics fresh_metrics;
    std::swap(metrics_, fresh_metrics);
    EXPECT_EQ(Replay(kFollowUpRule,
                     {Event("e1", "c-1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":10})"),
                      Event("e2", "c-1", type, "2026-01-02T10:00:00Z"),
                      Event("e3", "c-1", "page_view", "2026-01-03T10:00:00Z")},
                     "2026-04-01T00:00:00Z"),
              std::vector<std::string>{})
        << type;
    v1::CustomerState state;
    ASSERT_TRUE(store_->GetCustomer("c-1", &state).ok());
    EXPECT_EQ(state.aggregates().event_count(), 1) << type;
    EXPECT_EQ(state.aggregates().purchase_count(), 0) << type;
    EXPECT_EQ(StoredTimers(), 0u) << type;
    EXPECT_EQ(metrics_.customers_erased_by_event(), 1) << type;
  }
}

const std::vector<std::string> kRfmEvents = {
    Event("p1", "c-1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":10})"),
    Event("p2", "c-2", "purchase", "2026-01-01T11:00:00Z", R"({"amount":20})"),
    Event("p3", "c-3", "purchase", "2026-01-01T12:00:00Z", R"({"amount":30})"),
    Event("p4", "c-4", "purchase", "2026-01-01T13:00:00Z", R"({"amount":40})"),
    Event("p5", "c-5", "purchase", "2026-01-01T14:00:00Z", R"({"amount":50})"),
    Event("p6", "c-6", "purchase", "2026-01-02T10:00:00Z", R"({"amount":35})"),
};

int MonetaryScore(state::StateStore& store, const std::string& id) {
  v1::CustomerState state;
  EXPECT_TRUE(store.GetCustomer(id, &state).ok());
  return state.rfm().m_score();
}

// With quantile scoring and a daily refresh, the breakpoints are recomputed when stream time
// enters Jan 2: monetary quantiles of c-1..c-5 are 20/30/40/50, so c-6's 35 scores 3 (the
// configured [50, 200, 500, 1000], used on Jan 1, score it 1).
TEST_F(EngineStoreOpsTest, RfmQuantilesRefreshByStreamTime) {
  Config("rfm: {scoring: quantiles, refresh: 1d}\n");
  Replay("[]", kRfmEvents, "2026-01-02T10:00:00Z");
  EXPECT_EQ(MonetaryScore(*store_, "c-5"), 2);  // 50 on Jan 1, configured breakpoints
  EXPECT_EQ(MonetaryScore(*store_, "c-6"), 3);
}

// Breakpoint scoring never reads the store for breakpoints.
TEST_F(EngineStoreOpsTest, RfmBreakpointScoringIsNotRefreshed) {
  Config("rfm: {scoring: breakpoints}\n");
  Replay("[]", kRfmEvents, "2026-01-02T10:00:00Z");
  EXPECT_EQ(MonetaryScore(*store_, "c-6"), 1);
}

// The state and admin keys are read; durations accept 0 (keep forever); bad ones name the key.
TEST(EngineStoreOpsConfigTest, ReadsRetentionEraseAndAdminKeys) {
  auto defaults = LoadConfigFromString("{}", "engine.yaml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->state.retention_ms, 0);
  EXPECT_EQ(defaults->state.erase_event_type, "erase_request");
  EXPECT_EQ(defaults->admin.address, "127.0.0.1:9465");
  auto config = LoadConfigFromString(R"(
state: {retention: 400d, retention_sweep_batch: 50, retention_sweep_interval_ms: 20,
        erase_event_type: gdpr_erase}
admin: {address: ""}
)",
                                     "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->state.retention_ms, 400 * state::kMsPerDay);
  EXPECT_EQ(config->state.retention_sweep_batch, 50);
  EXPECT_EQ(config->state.retention_sweep_interval_ms, 20);
  EXPECT_EQ(config->state.erase_event_type, "gdpr_erase");
  EXPECT_EQ(config->admin.address, "");
  auto zero = LoadConfigFromString("state: {retention: 0}\n", "engine.yaml");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->state.retention_ms, 0);
  auto bad = LoadConfigFromString("state:\n  retention: forever\n", "engine.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.status().message().find("engine.yaml:2:14: error: state.retention: expected a duration"),
      std::string::npos)
      << bad.status().message();
}

// RfmRefresh is due at first, then once per refresh period.
TEST(EngineRfmRefreshTest, DueOncePerPeriod) {
  state::AnalyticsConfig config;
  config.rfm_enabled = true;
  config.rfm.scoring = state::RfmScoring::kQuantiles;
  config.rfm.refresh_ms = 1000;
  auto store = state::NewInMemoryStore();
  int applied = 0;
  RfmRefresh refresh(config, store.get(), [&](const state::RfmBreakpoints&) { ++applied; });
  EXPECT_TRUE(refresh.Due(1500));
  ASSERT_TRUE(refresh.Refresh(1500).ok());
  EXPECT_EQ(applied, 1);
  EXPECT_FALSE(refresh.Due(1999));
  EXPECT_TRUE(refresh.Due(2000));
  config.rfm.scoring = state::RfmScoring::kBreakpoints;
  EXPECT_FALSE(refresh.Due(5000));
}

// A refresh in steps reads `batch` customers per step and, at the end of the scan, applies the
// breakpoints a full refresh computes; nothing is applied before.
TEST(EngineRfmRefreshTest, StepsGiveTheBreakpointsOfAFullRefresh) {
  state::AnalyticsConfig config;
  config.rfm_enabled = true;
  config.rfm.scoring = state::RfmScoring::kQuantiles;
  config.rfm.refresh_ms = 1000;
  constexpr int64_t kDay = 86400000;
  constexpr int64_t kNow = 400 * kDay;
  auto store = state::NewInMemoryStore();
  state::CommitBatch batch;
  for (int i = 0; i < 7; ++i) {
    v1::CustomerState customer;
    customer.set_customer_id("c" + std::to_string(i));
    customer.mutable_rfm()->set_last_purchase_ms(kNow - (1 + i * i) * kDay);
    batch.PutCustomer(customer);
  }
  ASSERT_TRUE(store->Commit(batch, nullptr).ok());
  std::vector<state::RfmBreakpoints> full, stepped;
  RfmRefresh whole(config, store.get(), [&](const auto& b) { full.push_back(b); });
  ASSERT_TRUE(whole.Refresh(kNow).ok());
  RfmRefresh steps(config, store.get(), [&](const auto& b) { stepped.push_back(b); });
  ASSERT_TRUE(steps.Step(kNow, 3).ok());
  ASSERT_TRUE(steps.Step(kNow, 3).ok());
  EXPECT_TRUE(stepped.empty());
  ASSERT_TRUE(steps.Step(kNow, 3).ok());
  ASSERT_EQ(stepped.size(), 1u);
  EXPECT_EQ(stepped.front(), full.front());
  EXPECT_EQ(stepped.front().recency_days, (std::array<double, 4>{2, 5, 17, 26}));
  // Not due again in the same period: no new scan starts.
  ASSERT_TRUE(steps.Step(kNow + 1, 3).ok());
  EXPECT_EQ(stepped.size(), 1u);
}

// A sweep step examines at most `batch` customers, resumes after the last one and wraps at the
// end; only customers past the retention are erased, and the erasure commits with the cache.
TEST(EngineRetentionSweepTest, StepsResumeAndWrap) {
  auto store = state::NewInMemoryStore();
  state::CommitBatch batch;
  for (const auto& [id, last_seen] : std::vector<std::pair<std::string, int64_t>>{
           {"a", 100}, {"b", 900}, {"c", 100}, {"d", 950}, {"e", 100}}) {
    v1::CustomerState state;
    state.set_customer_id(id);
    state.set_last_seen_ms(last_seen);
    batch.PutCustomer(state);
  }
  ASSERT_TRUE(store->Commit(batch, nullptr).ok());
  EngineConfig config;
  EngineMetrics metrics;
  state::CustomerCache cache(store.get(), 10);
  EventProcessor processor(config, &cache, &metrics);
  RetentionSweep sweep(500, 2, store.get(), &processor, &metrics);
  std::vector<v1::OutboxEntry> out;
  v1::OutboxEntry unsent;
  unsent.set_key("c");
  out.push_back(unsent);
  std::vector<std::pair<size_t, bool>> steps;
  for (int i = 0; i < 3; ++i) {
    auto step = sweep.Step(1000, &out);
    ASSERT_TRUE(step.ok()) << step.status().ToString();
    steps.emplace_back(step->expired, step->wrapped);
  }
  EXPECT_EQ(steps, (std::vector<std::pair<size_t, bool>>{{1, false}, {1, false}, {1, true}}));
  EXPECT_TRUE(out.empty());  // c's unsent entry went with it
  EXPECT_EQ(processor.TakeErasedCustomers(), (std::vector<std::string>{"a", "c", "e"}));
  state::CommitBatch erasures;
  cache.FlushDirtyInto(&erasures);
  ASSERT_TRUE(store->Commit(erasures, nullptr).ok());
  std::vector<std::string> left;
  ASSERT_TRUE(store
                  ->ForEachCustomer([&](const v1::CustomerState& s) {
                    left.push_back(s.customer_id());
                    return true;
                  })
                  .ok());
  EXPECT_EQ(left, (std::vector<std::string>{"b", "d"}));
  EXPECT_EQ(metrics.customers_expired(), 3);
}

// Tasks run in order on the draining thread; after Close new posts are refused and queued
// tasks are dropped through their drop callback.
TEST(EngineTaskQueueTest, RunsInOrderAndDropsOnClose) {
  TaskQueue queue;
  std::vector<int> ran;
  EXPECT_TRUE(queue.Post([&] { ran.push_back(1); }));
  EXPECT_TRUE(queue.Post([&] { ran.push_back(2); }));
  EXPECT_EQ(queue.RunPending(), 2u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  bool dropped = false;
  EXPECT_TRUE(queue.Post([&] { ran.push_back(3); }, [&] { dropped = true; }));
  queue.Close();
  EXPECT_TRUE(dropped);
  EXPECT_FALSE(queue.Post([&] { ran.push_back(4); }));
  EXPECT_EQ(queue.RunPending(), 0u);
  EXPECT_EQ(ran.size(), 2u);
}

}  // namespace
}  // namespace touchstream::engine
