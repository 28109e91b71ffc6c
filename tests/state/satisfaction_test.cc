// Satisfaction: NPS categories and running NPS, CSAT, and open tickets (bounded, matched on id).
#include "state/satisfaction.h"

#include <gtest/gtest.h>

#include <cmath>

#include "proto/state_read.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

v1::TouchpointEvent Ev(const std::string& type, int64_t ts, const std::string& key = "",
                       int64_t value = 0) {
  test::EventBuilder e("c1", type, ts);
  e.Id(type + "@" + std::to_string(ts));
  if (!key.empty()) e.Int(key, value);
  return e;
}

v1::TouchpointEvent Ticket(const std::string& type, int64_t ts, const std::string& id) {
  return test::EventBuilder("c1", type, ts)
      .Id(type + "@" + std::to_string(ts))
      .String("ticket_id", id);
}

// Categories by score, counts, the running NPS and the latest answer by event time.
TEST(StateSatisfactionTest, NpsCountsCategoriesAndRunningScore) {
  const SatisfactionConfig config;
  v1::CustomerState state;
  for (int score : {10, 9, 8, 3, 0}) {
    EXPECT_TRUE(
        ApplySatisfactionEvent(config, Ev("nps_response", 1000 + score, "score", score), &state));
  }
  const v1::Satisfaction& s = state.satisfaction();
  EXPECT_EQ(s.nps_promoters(), 2);
  EXPECT_EQ(s.nps_passives(), 1);
  EXPECT_EQ(s.nps_detractors(), 2);
  EXPECT_DOUBLE_EQ(RunningNps(s), 0.0);
  // Latest by event time: the answer at 1010 (score 10), though processed first.
  EXPECT_EQ(s.nps_score(), 10);
  EXPECT_EQ(s.nps_ms(), 1010);
  EXPECT_EQ(NpsCategory(s.nps_score()), "promoter");
  EXPECT_EQ(NpsCategory(7), "passive");
  EXPECT_EQ(NpsCategory(6), "detractor");
  // One more promoter: (3 - 2) / 6 * 100.
  ApplySatisfactionEvent(config, Ev("nps_response", 2000, "score", 9), &state);
  EXPECT_DOUBLE_EQ(RunningNps(state.satisfaction()), 100.0 / 6.0);
  EXPECT_TRUE(std::isnan(RunningNps(v1::Satisfaction())));
}

// Scores out of 0-10, missing or not numeric count for nothing; other event types are ignored.
TEST(StateSatisfactionTest, UnusableAnswersAreIgnored) {
  const SatisfactionConfig config;
  v1::CustomerState state;
  EXPECT_FALSE(ApplySatisfactionEvent(config, Ev("nps_response", 1, "score", 11), &state));
  EXPECT_FALSE(ApplySatisfactionEvent(config, Ev("nps_response", 1), &state));
  EXPECT_FALSE(ApplySatisfactionEvent(config, Ev("page_view", 1, "score", 5), &state));
  EXPECT_FALSE(state.has_satisfaction() && state.satisfaction().nps_ms() != 0);
}

// CSAT: latest by event time, count and mean; property and event names are configurable.
TEST(StateSatisfactionTest, CsatLatestAndAverage) {
  SatisfactionConfig config;
  config.csat_event = "survey";
  config.score_property = "rating";
  v1::CustomerState state;
  ApplySatisfactionEvent(config, Ev("survey", 3000, "rating", 4), &state);
  ApplySatisfactionEvent(config, Ev("survey", 1000, "rating", 1), &state);
  ApplySatisfactionEvent(config, Ev("survey", 2000, "rating", 5), &state);
  const v1::Satisfaction& s = state.satisfaction();
  EXPECT_EQ(s.csat_score(), 4);
  EXPECT_EQ(s.csat_ms(), 3000);
  EXPECT_EQ(s.csat_count(), 3);
  EXPECT_EQ(s.csat_sum(), 10);
}

// Tickets open and resolve by id; the oldest open one comes first; duplicates are ignored.
TEST(StateSatisfactionTest, TicketsOpenAndResolveById) {
  const SatisfactionConfig config;
  v1::CustomerState state;
  EXPECT_TRUE(ApplySatisfactionEvent(config, Ticket("ticket_opened", 200, "t2"), &state));
  EXPECT_TRUE(ApplySatisfactionEvent(config, Ticket("ticket_opened", 100, "t1"), &state));
  EXPECT_FALSE(ApplySatisfactionEvent(config, Ticket("ticket_opened", 300, "t1"), &state));
  EXPECT_TRUE(ApplySatisfactionEvent(config, Ticket("ticket_opened", 400, "t3"), &state));
  const v1::Satisfaction& s = state.satisfaction();
  ASSERT_EQ(s.open_tickets_size(), 3);
  EXPECT_EQ(s.open_tickets(0).id(), "t1");
  EXPECT_EQ(s.open_tickets(0).opened_ms(), 100);
  EXPECT_EQ(s.open_tickets(1).id(), "t2");
  EXPECT_TRUE(ApplySatisfactionEvent(config, Ticket("ticket_resolved", 500, "t1"), &state));
  EXPECT_FALSE(ApplySatisfactionEvent(config, Ticket("ticket_resolved", 600, "unknown"), &state));
  ASSERT_EQ(s.open_tickets_size(), 2);
  EXPECT_EQ(s.open_tickets(0).id(), "t2");
  EXPECT_EQ(s.tickets_opened(), 3);
  EXPECT_EQ(s.tickets_resolved(), 1);
}

// Beyond max_open_tickets the oldest open ticket is dropped; a ticket without an id property
// is known by its event id.
TEST(StateSatisfactionTest, OpenTicketsAreBounded) {
  SatisfactionConfig config;
  config.max_open_tickets = 2;
  v1::CustomerState state;
  ApplySatisfactionEvent(config, Ticket("ticket_opened", 100, "a"), &state);
  ApplySatisfactionEvent(config, Ticket("ticket_opened", 200, "b"), &state);
  ApplySatisfactionEvent(config, Ev("ticket_opened", 300), &state);
  const v1::Satisfaction& s = state.satisfaction();
  ASSERT_EQ(s.open_tickets_size(), 2);
  EXPECT_EQ(s.open_tickets(0).id(), "b");
  EXPECT_EQ(s.open_tickets(1).id(), "ticket_opened@300");
  // Older than every kept ticket: not kept.
  EXPECT_FALSE(ApplySatisfactionEvent(config, Ticket("ticket_opened", 50, "old"), &state));
  EXPECT_EQ(s.open_tickets(0).id(), "b");
}

}  // namespace
}  // namespace touchstream::state
