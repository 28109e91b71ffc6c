#include "engine/core/processor.h"

#include <gtest/gtest.h>

#include "connectors/codec.h"
#include "rules/loader.h"
#include "state/in_memory_store.h"
#include "state/state_store.h"
#include "tests/testing/builders.h"

namespace touchstream::engine {
namespace {

constexpr char kRules[] = R"(
- id: welcome-offer
  version: "3"
  trigger: {event: purchase}
  condition: customer.aggregates.purchase_count == 1
  actions:
    - emit:
        kind: offer
        channel: [email, push]
        template: "Welcome! {{ event.properties.sku }} is yours."
        payload: {coupon: "WELCOME10"}
- id: big-spender-alert
  version: "1"
  trigger: {event: purchase}
  condition: event.properties.amount / event.properties.qty > 100.0
  actions:
    - emit: {kind: alert, channel: crm, template: "big basket"}
- id: retired
  version: "1"
  enabled: false
  trigger: {event: purchase}
  actions:
    - emit: {kind: offer, channel: email, template: "never"}
)";

class EngineProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.output.format = "json";  // the tests decode JSON
    config_.output.channel_topics = {{"email", "actions.email"}};
    config_.output.default_topic = "actions";
    config_.output.alerts_topic = "alerts";
    config_.output.decisions_topic = "decisions";
    config_.output.dead_letter_topic = "dlq";
    config_.processing.max_event_bytes = 512;
    auto loaded = rules::LoadRulesFromString(kRules, "test.yaml", config_.rule_environment);
    ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors.front().ToString());
    processor_.SetRules(loaded.rule_set);
  }

  std::vector<v1::OutboxEntry> Process(const std::string& value, int64_t offset = 7) {
    connectors::SourceRecord record{"events", 2, offset, "key", value, 1767225600000, {}};
    std::vector<v1::OutboxEntry> out;
    Status s = processor_.ProcessRecord(record, 1767312000000, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  static std::vector<v1::OutboxEntry> OnTopic(const std::vector<v1::OutboxEntry>& out,
                                              const std::string& topic) {
    std::vector<v1::OutboxEntry> selected;
    for (const auto& e : out) {
      if (e.topic() == topic) selected.push_back(e);
    }
    return selected;
  }

  EngineConfig config_;
  std::unique_ptr<state::StateStore> store_ = state::NewInMemoryStore();
  state::CustomerCache cache_{store_.get(), 100};
  EngineMetrics metrics_;
  EventProcessor processor_{config_, &cache_, &metrics_};
};

constexpr char kPurchase[] =
    R"({"event_id":"e-1","customer_id":"c-1","type":"purchase","ts":"2026-01-02T10:00:00Z",)"
    R"("properties":{"amount":50.0,"qty":1,"sku":"A1"}})";

// The first purchase fires the welcome offer to the first channel of the preference list,
// with a deterministic action id and every field filled in.
TEST_F(EngineProcessorTest, FirstPurchaseFiresWelcomeOffer) {
  auto out = Process(kPurchase);
  auto actions = OnTopic(out, "actions.email");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].key(), "c-1");
  auto action = connectors::DecodeAction(actions[0].value(), connectors::Format::kJson);
  ASSERT_TRUE(action.ok()) << action.status().ToString();
  EXPECT_EQ(action->rule_id(), "welcome-offer");
  EXPECT_EQ(action->rule_version(), "3");
  EXPECT_EQ(action->kind(), "offer");
  EXPECT_EQ(action->channel(), "email");
  EXPECT_EQ(action->message(), "Welcome! A1 is yours.");
  EXPECT_EQ(action->payload().at("coupon"), "WELCOME10");
  EXPECT_EQ(action->trigger_event_id(), "e-1");
  EXPECT_EQ(action->ts_ms(), 1767312000000);
  EXPECT_EQ(action->action_id(), actions[0].id());
  EXPECT_EQ(actions[0].headers().at("touchstream.channel"), "email");

  auto decisions = OnTopic(out, "decisions");
  ASSERT_EQ(decisions.size(), 1u);
  auto decision = connectors::DecodeDecision(decisions[0].value(), connectors::Format::kJson);
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->outcome(), v1::Decision::FIRED);
  EXPECT_EQ(decision->action_id(), action->action_id());
  EXPECT_EQ(decision->inputs().at("customer.aggregates.purchase_count"), "1");
}

// output.topic_formats overrides output.format per topic: protobuf actions, JSON decisions.
TEST_F(EngineProcessorTest, FormatIsChosenPerTopic) {
  config_.output.format = "protobuf";
  config_.output.topic_formats = {{"decisions", "json"}};
  auto out = Process(kPurchase);
  auto actions = OnTopic(out, "actions.email");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_TRUE(connectors::DecodeAction(actions[0].value(), connectors::Format::kProtobuf).ok());
  EXPECT_FALSE(connectors::DecodeAction(actions[0].value(), connectors::Format::kJson).ok());
  auto decisions = OnTopic(out, "decisions");
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_TRUE(connectors::DecodeDecision(decisions[0].value(), connectors::Format::kJson).ok());
}

// The same event processed again (a re-delivery after a crash) yields the same action id.
TEST_F(EngineProcessorTest, ActionIdIsDeterministic) {
  EngineMetrics metrics;
  auto store = state::NewInMemoryStore();
  state::CustomerCache cache(store.get(), 10);
  EventProcessor other(config_, &cache, &metrics);
  other.SetRules(processor_.rules());
  std::vector<v1::OutboxEntry> a, b;
  connectors::SourceRecord record{"events", 0, 1, "", kPurchase, 0, {}};
  ASSERT_TRUE(other.ProcessRecord(record, 5, &a).ok());
  a.erase(a.begin() + 1, a.end());
  b = OnTopic(Process(kPurchase), "actions.email");
  EXPECT_EQ(a[0].id(), b[0].id());
}

// A protobuf-encoded event is detected (input_format auto) and processed like its JSON twin.
TEST_F(EngineProcessorTest, ProtobufInputIsProcessed) {
  auto event = connectors::DecodeEvent(kPurchase, connectors::Format::kJson);
  ASSERT_TRUE(event.ok());
  auto out = Process(connectors::EncodeEvent(*event, connectors::Format::kProtobuf));
  auto actions = OnTopic(out, "actions.email");
  ASSERT_EQ(actions.size(), 1u);
  auto action = connectors::DecodeAction(actions[0].value(), connectors::Format::kJson);
  EXPECT_EQ(action->message(), "Welcome! A1 is yours.");
  EXPECT_EQ(action->trigger_event_id(), "e-1");
}

// A second purchase does not fire the welcome offer again; state counts both.
TEST_F(EngineProcessorTest, SecondPurchaseDoesNotFire) {
  Process(kPurchase);
  auto out = Process(
      R"({"event_id":"e-2","customer_id":"c-1","type":"purchase","ts":"2026-01-03T10:00:00Z","properties":{"amount":20.0,"qty":1}})",
      8);
  EXPECT_TRUE(OnTopic(out, "actions.email").empty());
  v1::CustomerState state;
  ASSERT_TRUE(cache_.Get("c-1", &state).ok());
  EXPECT_EQ(state.aggregates().purchase_count(), 2);
  EXPECT_DOUBLE_EQ(state.aggregates().total_spend(), 70.0);
  EXPECT_EQ(state.rules().at("welcome-offer").fire_count(), 1);
}

// Alerts go to the alerts topic whatever their channel.
TEST_F(EngineProcessorTest, AlertsGoToAlertsTopic) {
  auto out = Process(
      R"({"event_id":"e-3","customer_id":"c-2","type":"purchase","properties":{"amount":500.0,"qty":2}})");
  ASSERT_EQ(OnTopic(out, "alerts").size(), 1u);
}

// Division by zero at run time makes the condition false and is recorded as an eval error.
TEST_F(EngineProcessorTest, RuntimeErrorIsRecordedNotFired) {
  auto out = Process(
      R"({"event_id":"e-4","customer_id":"c-3","type":"purchase","properties":{"amount":5.0,"qty":0}})");
  EXPECT_TRUE(OnTopic(out, "alerts").empty());
  bool found = false;
  for (const auto& entry : OnTopic(out, "decisions")) {
    auto d = connectors::DecodeDecision(entry.value(), connectors::Format::kJson);
    ASSERT_TRUE(d.ok());
    if (d->rule_id() == "big-spender-alert") {
      found = true;
      EXPECT_EQ(d->outcome(), v1::Decision::NOT_MATCHED);
      EXPECT_EQ(d->reason().rfind("eval_error", 0), 0u) << d->reason();
    }
  }
  EXPECT_TRUE(found);
}

// Missing event id and time are derived from the Kafka record.
TEST_F(EngineProcessorTest, DerivesEventIdAndTime) {
  auto out = Process(
      R"({"customer_id":"c-9","type":"purchase","properties":{"amount":1.0,"qty":1,"sku":"Z"}})",
      42);
  auto actions = OnTopic(out, "actions.email");
  ASSERT_EQ(actions.size(), 1u);
  auto action = connectors::DecodeAction(actions[0].value(), connectors::Format::kJson);
  EXPECT_EQ(action->trigger_event_id(), "events/2/42");
  v1::CustomerState state;
  ASSERT_TRUE(cache_.Get("c-9", &state).ok());
  EXPECT_EQ(state.first_seen_ms(), 1767225600000);
}

struct BadInput {
  const char* name;
  std::string value;
  const char* reason;
};

void PrintTo(const BadInput& input, std::ostream* out) {
  *out << input.name;
}

class EngineProcessorDeadLetterTest : public EngineProcessorTest,
                                      public ::testing::WithParamInterface<BadInput> {};

// Each kind of bad input goes to the dead-letter topic, unchanged, with headers naming the
// reason and where it came from; nothing else is produced.
TEST_P(EngineProcessorDeadLetterTest, GoesToDeadLetterTopic) {
  auto out = Process(GetParam().value, 99);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic(), "dlq");
  EXPECT_EQ(out[0].value(), GetParam().value);
  EXPECT_EQ(out[0].headers().at("touchstream.error.reason"), GetParam().reason);
  EXPECT_EQ(out[0].headers().at("touchstream.source.topic"), "events");
  EXPECT_EQ(out[0].headers().at("touchstream.source.partition"), "2");
  EXPECT_EQ(out[0].headers().at("touchstream.source.offset"), "99");
  EXPECT_FALSE(out[0].headers().at("touchstream.error.message").empty());
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, EngineProcessorDeadLetterTest,
    ::testing::Values(BadInput{"NotJson", "{not json", "undecodable"},
                      BadInput{"BadTime", R"({"customer_id":"c","type":"login","ts":"yesterday"})",
                               "undecodable"},
                      BadInput{"NoCustomer", R"({"type":"login"})", "missing_customer_id"},
                      BadInput{"NoType", R"({"customer_id":"c-1"})", "missing_type"},
                      BadInput{"TooLarge",
                               R"({"customer_id":"c-1","type":"login","source":")" +
                                   std::string(600, 'x') + R"("})",
                               "too_large"}),
    [](const auto& info) { return std::string(info.param.name); });

// In stream-time mode "now" is the largest event time seen, never moving back.
TEST(EngineProcessorTimeTest, StreamTimeIsMaxEventTime) {
  EngineConfig config;
  config.output.format = "json";
  config.output.decisions_topic = "decisions";
  auto loaded = rules::LoadRulesFromString(R"(
- id: any
  version: "1"
  trigger: {event: "*"}
  actions: [{emit: {kind: nudge, channel: push, template: "x"}}]
)",
                                           "t.yaml", config.rule_environment);
  ASSERT_TRUE(loaded.ok());
  auto store = state::NewInMemoryStore();
  state::CustomerCache cache(store.get(), 10);
  EngineMetrics metrics;
  EventProcessor processor(config, &cache, &metrics, TimeMode::kStreamTime);
  processor.SetRules(loaded.rule_set);
  std::vector<int64_t> times;
  for (int64_t ts : {1000, 5000, 3000}) {
    const v1::TouchpointEvent event =
        test::EventBuilder("c", "login", ts).Id("e" + std::to_string(ts));
    std::vector<v1::OutboxEntry> out;
    ASSERT_TRUE(processor.ProcessEvent(event, 999999, &out).ok());
    auto action = connectors::DecodeAction(out.at(0).value(), connectors::Format::kJson);
    times.push_back(action->ts_ms());
  }
  EXPECT_EQ(times, (std::vector<int64_t>{1000, 5000, 5000}));
}

}  // namespace
}  // namespace touchstream::engine
