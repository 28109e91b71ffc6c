#include "connectors/codec.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace touchstream::connectors {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::TouchpointEvent SampleEvent() {
  v1::TouchpointEvent event;
  event.set_event_id("e-1");
  event.set_customer_id("c-42");
  event.set_type("purchase");
  event.set_ts_ms(1767607200000);  // 2026-01-05T10:00:00Z
  event.set_channel("web");
  event.set_source("shop");
  auto& properties = *event.mutable_properties();
  properties["amount"].set_double_value(120.5);
  properties["round"].set_double_value(120.0);
  properties["sku"].set_string_value("A1");
  properties["qty"].set_int_value(2);
  properties["gift"].set_bool_value(true);
  return event;
}

v1::Action SampleAction() {
  v1::Action action;
  action.set_action_id("a-1");
  action.set_customer_id("c-42");
  action.set_rule_id("big-spender");
  action.set_rule_version("3");
  action.set_kind("offer");
  action.set_channel("email");
  action.set_message("Thanks, Ada!");
  (*action.mutable_payload())["discount"] = "10%";
  action.set_ts_ms(1767607200250);
  action.set_trigger_event_id("e-1");
  action.set_experiment_arm("treatment");
  return action;
}

v1::Decision SampleDecision() {
  v1::Decision decision;
  decision.set_decision_id("d-1");
  decision.set_customer_id("c-42");
  decision.set_rule_id("big-spender");
  decision.set_rule_version("3");
  decision.set_trigger_event_id("e-1");
  decision.set_outcome(v1::Decision::HELD_OUT);
  decision.set_reason("holdout");
  decision.set_ts_ms(1767607200000);
  (*decision.mutable_inputs())["customer.total_spend"] = "1200.5";
  return decision;
}

// Format names parse and print; unknown names are rejected with the name.
TEST(ConnectorsCodecTest, ParsesFormatNames) {
  EXPECT_EQ(ParseFormat("json").value(), Format::kJson);
  EXPECT_EQ(ParseFormat("protobuf").value(), Format::kProtobuf);
  EXPECT_EQ(FormatName(Format::kJson), "json");
  EXPECT_EQ(FormatName(Format::kProtobuf), "protobuf");
  const Result<Format> bad = ParseFormat("avro");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown format 'avro': expected \"json\" or \"protobuf\"");
}

// The documented JSON event decodes with typed properties and RFC 3339 time.
TEST(ConnectorsCodecTest, DecodesDocumentedJsonEvent) {
  const Result<v1::TouchpointEvent> event = DecodeEvent(
      R"({"event_id": "e-1", "customer_id": "c-42", "type": "purchase",
          "ts": "2026-01-05T10:00:00Z", "channel": "web",
          "properties": {"amount": 120.5, "sku": "A1", "qty": 2, "gift": true}})",
      Format::kJson);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->event_id(), "e-1");
  EXPECT_EQ(event->customer_id(), "c-42");
  EXPECT_EQ(event->type(), "purchase");
  EXPECT_EQ(event->ts_ms(), 1767607200000);
  EXPECT_EQ(event->channel(), "web");
  EXPECT_EQ(event->properties().at("amount").double_value(), 120.5);
  EXPECT_EQ(event->properties().at("sku").string_value(), "A1");
  EXPECT_EQ(event->properties().at("qty").int_value(), 2);
  EXPECT_TRUE(event->properties().at("gift").bool_value());
}

// "ts" may be epoch milliseconds; missing "ts" means 0; an empty customer_id is accepted.
TEST(ConnectorsCodecTest, AcceptsEpochMillisAndMissingTs) {
  const Result<v1::TouchpointEvent> epoch =
      DecodeEvent(R"({"customer_id": "c-1", "ts": 1767607200123})", Format::kJson);
  ASSERT_TRUE(epoch.ok()) << epoch.status().ToString();
  EXPECT_EQ(epoch->ts_ms(), 1767607200123);
  const Result<v1::TouchpointEvent> missing = DecodeEvent(R"({"type": "login"})", Format::kJson);
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(missing->ts_ms(), 0);
  EXPECT_EQ(missing->customer_id(), "");
}

// JSON encoding of an event decodes back to the same message, doubles staying doubles.
TEST(ConnectorsCodecTest, EventJsonRoundTrip) {
  const v1::TouchpointEvent event = SampleEvent();
  const std::string json = EncodeEvent(event, Format::kJson);
  EXPECT_EQ(
      json,
      R"({"channel":"web","customer_id":"c-42","event_id":"e-1","properties":{"amount":120.5,)"
      R"("gift":true,"qty":2,"round":120.0,"sku":"A1"},"source":"shop",)"
      R"("ts":"2026-01-05T10:00:00Z","type":"purchase"})");
  const Result<v1::TouchpointEvent> decoded = DecodeEvent(json, Format::kJson);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(MessageDifferencer::Equals(*decoded, event)) << decoded->DebugString();
}

// A timestamp property is written as RFC 3339 text (JSON has no timestamp type).
TEST(ConnectorsCodecTest, TimestampPropertyEncodesAsText) {
  v1::TouchpointEvent event;
  (*event.mutable_properties())["due"].set_timestamp_ms(1767607200000);
  const Result<v1::TouchpointEvent> decoded =
      DecodeEvent(EncodeEvent(event, Format::kJson), Format::kJson);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->properties().at("due").string_value(), "2026-01-05T10:00:00Z");
}

// Protobuf encoding of an event decodes back to the same message.
TEST(ConnectorsCodecTest, EventProtobufRoundTrip) {
  const v1::TouchpointEvent event = SampleEvent();
  const Result<v1::TouchpointEvent> decoded =
      DecodeEvent(EncodeEvent(event, Format::kProtobuf), Format::kProtobuf);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(MessageDifferencer::Equals(*decoded, event));
}

// Every malformed event names the offending field (or the JSON problem).
TEST(ConnectorsCodecTest, EventErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"ts": "yesterday"})",
       "field 'ts': expected RFC 3339 text or epoch milliseconds, got \"yesterday\""},
      {R"({"ts": 1.5})", "field 'ts': expected RFC 3339 text or epoch milliseconds, got 1.5"},
      {R"({"customer_id": 42})", "field 'customer_id': expected a string, got 42"},
      {R"({"event_id": null})", "field 'event_id': expected a string, got null"},
      {R"({"type": ["a"]})", "field 'type': expected a string, got [\"a\"]"},
      {R"({"channel": true})", "field 'channel': expected a string, got true"},
      {R"({"source": 1})", "field 'source': expected a string, got 1"},
      {R"({"properties": [1]})", "field 'properties': expected an object, got [1]"},
      {R"({"properties": {"meta": {"a": 1}}})",
       "field 'properties.meta': expected a string, number or boolean, got {\"a\":1}"},
      {R"({"properties": {"tags": ["x"]}})",
       "field 'properties.tags': expected a string, number or boolean, got [\"x\"]"},
      {R"({"properties": {"sku": null}})",
       "field 'properties.sku': expected a string, number or boolean, got null"},
      {R"({"properties": {"n": 18446744073709551615}})",
       "field 'properties.n': expected a 64-bit signed integer, got 18446744073709551615"},
      {R"([1, 2])", "field '(top level)': expected a JSON object, got [1,2]"},
  };
  for (const auto& [input, message] : cases) {
    const Result<v1::TouchpointEvent> event = DecodeEvent(input, Format::kJson);
    ASSERT_FALSE(event.ok()) << input;
    EXPECT_EQ(event.status().code(), Status::Code::kInvalidArgument) << input;
    EXPECT_EQ(event.status().message(), message) << input;
  }
}

// Malformed JSON text reports the parser's position.
TEST(ConnectorsCodecTest, MalformedJsonReportsPosition) {
  const Result<v1::TouchpointEvent> event = DecodeEvent(R"({"type": })", Format::kJson);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().message(),
            "invalid JSON: parse error at line 1, column 10: syntax error while parsing value - "
            "unexpected '}'; expected '[', '{', or a literal");
}

// Bytes that are not a protobuf message are Corruption naming the type.
TEST(ConnectorsCodecTest, MalformedProtobufIsCorruption) {
  const Result<v1::TouchpointEvent> event = DecodeEvent("\xff\xff\xff", Format::kProtobuf);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(event.status().message(),
            "protobuf: cannot parse touchstream.v1.TouchpointEvent from 3 bytes");
}

// Action JSON has the documented shape and decodes back; protobuf round-trips too.
TEST(ConnectorsCodecTest, ActionRoundTrips) {
  const v1::Action action = SampleAction();
  const std::string json = EncodeAction(action, Format::kJson);
  EXPECT_EQ(json, R"({"action_id":"a-1","channel":"email","customer_id":"c-42",)"
                  R"("experiment_arm":"treatment","kind":"offer","message":"Thanks, Ada!",)"
                  R"("payload":{"discount":"10%"},"rule_id":"big-spender","rule_version":"3",)"
                  R"("trigger_event_id":"e-1","ts":"2026-01-05T10:00:00.250Z"})");
  for (Format format : {Format::kJson, Format::kProtobuf}) {
    const Result<v1::Action> decoded = DecodeAction(EncodeAction(action, format), format);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_TRUE(MessageDifferencer::Equals(*decoded, action)) << FormatName(format);
  }
}

// An action without an experiment arm omits the field.
TEST(ConnectorsCodecTest, ActionOmitsEmptyExperimentArm) {
  v1::Action action = SampleAction();
  action.clear_experiment_arm();
  EXPECT_EQ(EncodeAction(action, Format::kJson).find("experiment_arm"), std::string::npos);
}

// Malformed actions name the field.
TEST(ConnectorsCodecTest, ActionErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"payload": {"discount": 10}})", "field 'payload.discount': expected a string, got 10"},
      {R"({"payload": "x"})", "field 'payload': expected an object of strings, got \"x\""},
      {R"({"ts": "soon"})",
       "field 'ts': expected RFC 3339 text or epoch milliseconds, got \"soon\""},
      {R"({"rule_version": 3})", "field 'rule_version': expected a string, got 3"},
  };
  for (const auto& [input, message] : cases) {
    const Result<v1::Action> action = DecodeAction(input, Format::kJson);
    ASSERT_FALSE(action.ok()) << input;
    EXPECT_EQ(action.status().message(), message) << input;
  }
  EXPECT_EQ(DecodeAction("\x0a\xff", Format::kProtobuf).status().code(), Status::Code::kCorruption);
}

// Decision JSON has the documented shape (lower-case outcome) and round-trips in both formats.
TEST(ConnectorsCodecTest, DecisionRoundTrips) {
  const v1::Decision decision = SampleDecision();
  EXPECT_EQ(EncodeDecision(decision, Format::kJson),
            R"({"customer_id":"c-42","decision_id":"d-1","inputs":{"customer.total_spend":)"
            R"("1200.5"},"outcome":"held_out","reason":"holdout","rule_id":"big-spender",)"
            R"("rule_version":"3","trigger_event_id":"e-1","ts":"2026-01-05T10:00:00Z"})");
  v1::Decision fired = decision;
  fired.set_outcome(v1::Decision::FIRED);
  fired.set_action_id("a-1");
  for (const v1::Decision& original : {decision, fired}) {
    for (Format format : {Format::kJson, Format::kProtobuf}) {
      const Result<v1::Decision> decoded = DecodeDecision(EncodeDecision(original, format), format);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_TRUE(MessageDifferencer::Equals(*decoded, original)) << FormatName(format);
    }
  }
}

// Every outcome name maps to its enum value.
TEST(ConnectorsCodecTest, DecodesEveryOutcomeName) {
  const std::vector<std::pair<std::string, v1::Decision::Outcome>> outcomes = {
      {"fired", v1::Decision::FIRED},
      {"suppressed", v1::Decision::SUPPRESSED},
      {"held_out", v1::Decision::HELD_OUT},
      {"not_matched", v1::Decision::NOT_MATCHED},
      {"unspecified", v1::Decision::OUTCOME_UNSPECIFIED}};
  for (const auto& [name, outcome] : outcomes) {
    const Result<v1::Decision> decoded =
        DecodeDecision(R"({"outcome": ")" + name + R"("})", Format::kJson);
    ASSERT_TRUE(decoded.ok()) << name;
    EXPECT_EQ(decoded->outcome(), outcome) << name;
  }
}

// Malformed decisions name the field.
TEST(ConnectorsCodecTest, DecisionErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"outcome": "FIRED"})",
       "field 'outcome': expected one of \"fired\", \"suppressed\", \"held_out\", "
       "\"not_matched\", \"unspecified\", got \"FIRED\""},
      {R"({"outcome": 1})",
       "field 'outcome': expected one of \"fired\", \"suppressed\", \"held_out\", "
       "\"not_matched\", \"unspecified\", got 1"},
      {R"({"inputs": {"x": 1.5}})", "field 'inputs.x': expected a string, got 1.5"},
      {R"({"reason": false})", "field 'reason': expected a string, got false"},
      {R"({"ts": {}})", "field 'ts': expected RFC 3339 text or epoch milliseconds, got {}"},
  };
  for (const auto& [input, message] : cases) {
    const Result<v1::Decision> decision = DecodeDecision(input, Format::kJson);
    ASSERT_FALSE(decision.ok()) << input;
    EXPECT_EQ(decision.status().message(), message) << input;
  }
}

}  // namespace
}  // namespace touchstream::connectors
