// Decision and action JSON are written without a DOM; these tests hold the text to what the
// nlohmann::json DOM encoding (kept here as the oracle) writes for the same messages.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/time_format.h"
#include "connectors/codec.h"

namespace touchstream::connectors {
namespace {

using nlohmann::json;

std::string Dump(const json& object) {
  return object.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

json StringMap(const google::protobuf::Map<std::string, std::string>& map) {
  json object = json::object();
  for (const auto& [key, value] : map) object[key] = value;
  return object;
}

std::string OracleDecision(const v1::Decision& d) {
  json object = json::object();
  object["decision_id"] = d.decision_id();
  object["customer_id"] = d.customer_id();
  object["rule_id"] = d.rule_id();
  object["rule_version"] = d.rule_version();
  object["trigger_event_id"] = d.trigger_event_id();
  if (!d.trigger().empty()) object["trigger"] = d.trigger();
  object["outcome"] = OutcomeName(d.outcome());
  object["reason"] = d.reason();
  object["ts"] = FormatRfc3339Ms(d.ts_ms());
  if (!d.action_id().empty()) object["action_id"] = d.action_id();
  if (!d.experiment_arm().empty()) object["experiment_arm"] = d.experiment_arm();
  object["inputs"] = StringMap(d.inputs());
  return Dump(object);
}

std::string OracleAction(const v1::Action& a) {
  json object = json::object();
  object["action_id"] = a.action_id();
  object["customer_id"] = a.customer_id();
  object["rule_id"] = a.rule_id();
  object["rule_version"] = a.rule_version();
  object["kind"] = a.kind();
  object["channel"] = a.channel();
  object["message"] = a.message();
  object["payload"] = StringMap(a.payload());
  object["ts"] = FormatRfc3339Ms(a.ts_ms());
  object["trigger_event_id"] = a.trigger_event_id();
  if (!a.trigger().empty()) object["trigger"] = a.trigger();
  if (!a.experiment_arm().empty()) object["experiment_arm"] = a.experiment_arm();
  return Dump(object);
}

// Strings that need escaping or replacement, and plain ones.
const std::vector<std::string> kTexts = {
    "",
    "plain text ~ 10%",
    "quote \" and backslash \\",
    "new\nline\ttab\r\b\f",
    std::string("nul \0 and \x01\x1f", sizeof("nul \0 and \x01\x1f") - 1),
    "del \x7f",
    "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
    "bad \xC3 utf-8 \xFF",
    "truncated \xE2\x82",
};

// Every field of a decision, with every kind of text, is written as the DOM writes it.
TEST(CodecJsonOutputTest, DecisionMatchesTheDomEncoding) {
  for (const std::string& text : kTexts) {
    v1::Decision d;
    d.set_decision_id("d-" + text);
    d.set_customer_id(text);
    d.set_rule_id("rule " + text);
    d.set_rule_version(text);
    d.set_trigger_event_id(text + "e");
    d.set_outcome(v1::Decision::SUPPRESSED);
    d.set_reason("cap:" + text);
    d.set_ts_ms(1767607200250);
    (*d.mutable_inputs())["z"] = text;
    (*d.mutable_inputs())[text] = "key";
    (*d.mutable_inputs())["a.b"] = "1";
    EXPECT_EQ(EncodeDecision(d, Format::kJson), OracleDecision(d)) << text;
    d.set_action_id("a-1" + text);
    d.set_experiment_arm(text.empty() ? "treatment" : text);
    d.set_trigger("stage:" + text);
    d.mutable_inputs()->clear();
    EXPECT_EQ(EncodeDecision(d, Format::kJson), OracleDecision(d)) << text;
  }
}

// An action without a snapshot is written as the DOM writes it, with every kind of text.
TEST(CodecJsonOutputTest, ActionMatchesTheDomEncoding) {
  for (const std::string& text : kTexts) {
    v1::Action a;
    a.set_action_id("a-" + text);
    a.set_customer_id(text);
    a.set_rule_id(text);
    a.set_rule_version("3");
    a.set_kind("offer " + text);
    a.set_channel(text);
    a.set_message("Hello " + text);
    (*a.mutable_payload())["discount"] = text;
    (*a.mutable_payload())[text + "k"] = "v";
    (*a.mutable_payload())["Z"] = "upper";
    a.set_ts_ms(1767607200000);
    a.set_trigger_event_id(text);
    EXPECT_EQ(EncodeAction(a, Format::kJson), OracleAction(a)) << text;
    a.set_trigger("absence@timer");
    a.set_experiment_arm("holdout " + text);
    a.mutable_payload()->clear();
    EXPECT_EQ(EncodeAction(a, Format::kJson), OracleAction(a)) << text;
  }
}

}  // namespace
}  // namespace touchstream::connectors
