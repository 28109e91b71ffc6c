// Event history: newest first, bounded, storage reused once full.
#include "state/event_history.h"

#include <gtest/gtest.h>

#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

v1::TouchpointEvent Ev(const std::string& id, const std::string& type, int64_t ts) {
  return test::EventBuilder("", type, ts).Id(id).Channel("web");
}

std::vector<std::string> Types(const v1::CustomerState& s) {
  return {s.history().types().begin(), s.history().types().end()};
}

// The latest `size` events, newest first, with parallel ids, channels and times.
TEST(StateEventHistoryTest, KeepsTheLatestNewestFirst) {
  v1::CustomerState state;
  RecordEvent(3, Ev("e1", "login", 10), &state);
  RecordEvent(3, Ev("e2", "page_view", 20), &state);
  EXPECT_EQ(Types(state), (std::vector<std::string>{"page_view", "login"}));
  RecordEvent(3, Ev("e3", "cart_add", 30), &state);
  RecordEvent(3, Ev("e4", "purchase", 40), &state);
  EXPECT_EQ(Types(state), (std::vector<std::string>{"purchase", "cart_add", "page_view"}));
  const v1::EventHistory& h = state.history();
  EXPECT_EQ(h.event_ids(0), "e4");
  EXPECT_EQ(h.event_ids(2), "e2");
  EXPECT_EQ(h.channels(1), "web");
  EXPECT_EQ(h.ts_ms(0), 40);
  EXPECT_EQ(h.ts_ms(2), 20);
}

// A smaller size trims the history; 0 clears it.
TEST(StateEventHistoryTest, SizeChangesTrimOrClear) {
  v1::CustomerState state;
  for (int i = 0; i < 5; ++i) RecordEvent(5, Ev("e", "t" + std::to_string(i), i), &state);
  RecordEvent(2, Ev("e", "t5", 5), &state);
  EXPECT_EQ(Types(state), (std::vector<std::string>{"t5", "t4"}));
  EXPECT_EQ(state.history().ts_ms_size(), 2);
  RecordEvent(0, Ev("e", "t6", 6), &state);
  EXPECT_FALSE(state.has_history());
}

}  // namespace
}  // namespace touchstream::state
