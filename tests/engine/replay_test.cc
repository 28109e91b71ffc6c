#include "engine/runtime/replay.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/codec.h"
#include "rules/loader.h"
#include "state/in_memory_store.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::engine {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class EngineReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream events(dir_ / "events.jsonl");
    events
        << R"({"event_id":"e1","customer_id":"c-1","type":"purchase","ts":"2026-01-01T10:00:00Z","properties":{"amount":600.0}})"
        << "\n"
        << R"({"event_id":"e2","customer_id":"c-2","type":"purchase","ts":"2026-01-01T11:00:00Z","properties":{"amount":20.0}})"
        << "\n"
        << "this line is not json\n"
        << R"({"event_id":"e3","customer_id":"c-1","type":"purchase","ts":"2026-01-02T09:30:00Z","properties":{"amount":500.0}})"
        << "\n"
        << R"({"event_id":"e4","customer_id":"c-1","type":"purchase","ts":"2026-01-03T09:30:00Z","properties":{"amount":10.0}})"
        << "\n";
    auto loaded = rules::LoadRulesFromString(R"(
- id: vip
  version: "1"
  trigger: {event: purchase}
  condition: customer.aggregates.total_spend >= 1000.0 && customer.aggregates.total_spend - event.properties.amount < 1000.0
  actions: [{emit: {kind: offer, channel: email, template: "VIP {{ customer.id }}"}}]
)",
                                             "vip.yaml", config_.rule_environment);
    ASSERT_TRUE(loaded.ok());
    rules_ = loaded.rule_set;
  }
  Result<ReplayStats> Run(const std::string& actions_out, std::ostream* errors) {
    auto store = state::NewInMemoryStore();
    EngineMetrics metrics;
    ReplayOptions options;
    options.events_path = (dir_ / "events.jsonl").string();
    options.actions_out = actions_out;
    options.decisions_out = (dir_ / "decisions.jsonl").string();
    options.errors = errors;
    return Replay(config_, rules_, store.get(), &metrics, options);
  }

  EngineConfig config_;
  std::shared_ptr<const rules::RuleSet> rules_;
  test::TempDir temp_dir_{"touchstream-replay"};
  const std::filesystem::path dir_ = temp_dir_.path();
};

// Replay emits exactly the crossing action, stamped with event time, and reports the bad line
// by file and line number.
TEST_F(EngineReplayTest, ExactActionsAndBadLineReported) {
  std::ostringstream errors;
  auto stats = Run((dir_ / "actions.jsonl").string(), &errors);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->events, 4);
  EXPECT_EQ(stats->dead_letters, 1);
  EXPECT_EQ(stats->actions, 1);
  EXPECT_NE(errors.str().find("events.jsonl:3: undecodable"), std::string::npos) << errors.str();

  std::istringstream lines(ReadFile((dir_ / "actions.jsonl").string()));
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  auto action = connectors::DecodeAction(line, connectors::Format::kJson);
  ASSERT_TRUE(action.ok());
  EXPECT_EQ(action->customer_id(), "c-1");
  EXPECT_EQ(action->trigger_event_id(), "e3");
  EXPECT_EQ(action->message(), "VIP c-1");
  EXPECT_EQ(action->ts_ms(), 1767346200000);  // 2026-01-02T09:30:00Z
  EXPECT_FALSE(std::getline(lines, line));
}

// The same input gives byte-identical output.
TEST_F(EngineReplayTest, Deterministic) {
  std::ostringstream errors;
  ASSERT_TRUE(Run((dir_ / "a.jsonl").string(), &errors).ok());
  ASSERT_TRUE(Run((dir_ / "b.jsonl").string(), &errors).ok());
  EXPECT_EQ(ReadFile((dir_ / "a.jsonl").string()), ReadFile((dir_ / "b.jsonl").string()));
  EXPECT_FALSE(ReadFile((dir_ / "a.jsonl").string()).empty());
}

}  // namespace
}  // namespace touchstream::engine
