// The setting of the replay-based engine tests: a temporary directory per test, an engine
// config, an in-memory store and metrics, and Replay run over JSON lines of events, with the
// actions and decisions read back as protos. Each test file describes actions its own way
// (DescribeAll with its own Describe), so its expectations stay exact strings.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/time_format.h"
#include "connectors/codec.h"
#include "engine/config/config.h"
#include "engine/ops/metrics.h"
#include "engine/runtime/replay.h"
#include "rules/loader.h"
#include "state/in_memory_store.h"
#include "tests/testing/builders.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::engine {

// One input event as a JSON line (test::EventJson): `ts` in RFC 3339, `properties` a JSON
// object; `channel` is left out when empty.
inline std::string Event(const std::string& id, const std::string& customer,
                         const std::string& type, const std::string& ts,
                         const std::string& properties = "{}", const std::string& channel = "") {
  return test::EventJson(id, customer, type, ts, properties, channel);
}

// A decision as "rule OUTCOME reason", e.g. "cool SUPPRESSED cooldown".
inline std::string DescribeDecision(const v1::Decision& d) {
  return d.rule_id() + " " + v1::Decision::Outcome_Name(d.outcome()) + " " + d.reason();
}

// `describe` applied to each of `items`, in order.
template <typename T, typename Describe>
std::vector<std::string> DescribeAll(const std::vector<T>& items, Describe describe) {
  std::vector<std::string> out;
  for (const T& item : items) out.push_back(describe(item));
  return out;
}

// The members are the tests' to read and set: config_ through Config (or directly) before a
// replay, store_ replaced to start from an empty store.
class ReplayFixture : public ::testing::Test {
 protected:
  void SetUp() override { store_ = state::NewInMemoryStore(); }

  // Replaces config_ with `yaml` (read as <dir>/touchstream.yaml); a config error fails the
  // test.
  void Config(const std::string& yaml) {
    auto loaded = LoadConfigFromString(yaml, (dir_ / "touchstream.yaml").string());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    config_ = *loaded;
  }

  // Replays `events` (JSON lines) through `rules_yaml` with config_, store_ and metrics_;
  // returns the actions written, in processing order. With `until` (RFC 3339) the clock then
  // advances to it and the timers due by then fire. Rule errors (then no actions), a failed
  // replay, dead letters and undecodable output fail the test.
  std::vector<v1::Action> ReplayActions(const std::string& rules_yaml,
                                        const std::vector<std::string>& events,
                                        const std::string& until = "") {
    auto loaded = rules::LoadRulesFromString(rules_yaml, "rules.yaml", config_.rule_environment);
    std::string errors;
    for (const auto& e : loaded.errors) errors += e.ToString() + "\n";
    EXPECT_TRUE(loaded.ok()) << errors;
    if (!loaded.ok()) return {};
    {
      std::ofstream out(dir_ / "events.jsonl");
      for (const std::string& e : events) out << e << "\n";
    }
    ReplayOptions options;
    options.events_path = (dir_ / "events.jsonl").string();
    options.actions_out = (dir_ / "actions.jsonl").string();
    options.decisions_out = (dir_ / "decisions.jsonl").string();
    if (!until.empty()) {
      const auto until_ms = ParseRfc3339Ms(until);
      EXPECT_TRUE(until_ms.has_value()) << "until: " << until;
      options.until_ms = until_ms.value_or(0);
    }
    std::ostringstream bad;
    options.errors = &bad;
    auto stats =
        touchstream::engine::Replay(config_, loaded.rule_set, store_.get(), &metrics_, options);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(bad.str(), "");
    std::vector<v1::Action> actions;
    std::ifstream in(options.actions_out);
    for (std::string line; std::getline(in, line);) {
      auto action = connectors::DecodeAction(line, connectors::Format::kJson);
      EXPECT_TRUE(action.ok()) << line;
      if (action.ok()) actions.push_back(*action);
    }
    return actions;
  }

  // The decisions written by the last ReplayActions, in order.
  std::vector<v1::Decision> LastDecisions() {
    std::vector<v1::Decision> decisions;
    std::ifstream in(dir_ / "decisions.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto decision = connectors::DecodeDecision(line, connectors::Format::kJson);
      EXPECT_TRUE(decision.ok()) << line;
      if (decision.ok()) decisions.push_back(*decision);
    }
    return decisions;
  }

  // The stored state of customer `id`; a missing customer fails the test.
  v1::CustomerState State(const std::string& id) {
    v1::CustomerState state;
    EXPECT_TRUE(store_->GetCustomer(id, &state).ok());
    return state;
  }

  // A fresh directory per test (removed with the fixture), holding the replay's files.
  test::TempDir temp_dir_{"touchstream-replay-fixture"};
  const std::filesystem::path dir_ = temp_dir_.path();
  EngineConfig config_;
  EngineMetrics metrics_;
  std::unique_ptr<state::StateStore> store_;
};

}  // namespace touchstream::engine
