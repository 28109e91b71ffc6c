#include "connectors/flat_event_json.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "connectors/codec.h"
#include "connectors/journey_generator.h"

namespace touchstream::connectors {
namespace {

using google::protobuf::util::MessageDifferencer;

// A UTF-8 byte order mark: the general decoder (nlohmann::json) skips it and the flat reader
// declines it, so DecodeEvent(kBom + text) is the general decoder's answer for `text`.
const std::string kBom = "\xEF\xBB\xBF";

// DecodeEvent(text) gives exactly what the general decoder gives: the same event, or the same
// error.
void ExpectSameAsGeneralDecoder(const std::string& text) {
  const Result<v1::TouchpointEvent> fast = DecodeEvent(text, Format::kJson);
  const Result<v1::TouchpointEvent> general = DecodeEvent(kBom + text, Format::kJson);
  ASSERT_EQ(fast.ok(), general.ok()) << text;
  if (fast.ok()) {
    EXPECT_TRUE(MessageDifferencer::Equals(*fast, *general)) << text;
  } else if (!fast.status().message().starts_with("invalid JSON")) {
    // Parse errors name a column, which the mark shifts.
    EXPECT_EQ(fast.status().message(), general.status().message()) << text;
  }
}

bool Accepted(const std::string& text) {
  v1::TouchpointEvent event;
  return ReadFlatEventJson(text, &event);
}

// The flat shapes the reader takes decode exactly as the general decoder decodes them.
TEST(FlatEventJsonTest, AcceptsFlatEventsExactlyAsTheGeneralDecoder) {
  std::string many = R"({"properties": {)";
  for (int i = 0; i < 40; ++i) many += (i > 0 ? ",\"p" : "\"p") + std::to_string(i) + "\": 1";
  many += "}}";
  const std::vector<std::string> accepted = {
      R"({"event_id": "e-1", "customer_id": "c-42", "type": "purchase",
          "ts": "2026-01-05T10:00:00Z", "channel": "web", "source": "shop",
          "properties": {"amount": 120.5, "sku": "A1", "qty": 2, "gift": true, "off": false}})",
      "{}",
      " \t\r\n{ } \n",
      R"({"properties": {}})",
      R"({"ts": 1767607200123, "type": "login"})",
      R"({"ts": -5})",
      R"({"ts": -0})",
      R"({"properties": {"z": -0, "a": -0.0, "e": 1e2, "f": 1.5E-3, "g": 2e+1, "r": 120.0}})",
      R"({"properties": {"max": 9223372036854775807, "min": -9223372036854775808}})",
      R"({"properties": {"tiny": 5e-324, "pi": 3.141592653589793238462643383279}})",
      R"({"unknown": null, "n": 1.5, "s": "x", "b": true, "i": -3, "type": "t"})",
      "{\"type\": \"del\x7f\", \"properties\": {\"k\": \" ~!#$%&'()*+,-./\"}}",
      R"({"type":"a","type2":"b","properties":{"b":1,"a":2,"c":"3"}})",
      many,
  };
  for (const std::string& text : accepted) {
    EXPECT_TRUE(Accepted(text)) << text;
    ExpectSameAsGeneralDecoder(text);
  }
}

// Anything else is declined, and DecodeEvent still answers as the general decoder does.
TEST(FlatEventJsonTest, DeclinesOtherShapesToTheGeneralDecoder) {
  const std::vector<std::string> declined = {
      R"({"type": "a\nb"})",
      R"({"type": "caf\u00e9"})",
      "{\"type\": \"caf\xC3\xA9\"}",
      "{\"type\": \"bad\xC3\"}",
      "{\"type\": \"tab\there\"}",
      R"({"type": "a", "type": "b"})",
      R"({"properties": {"k": 1, "k": 2}})",
      R"({"properties": {}, "properties": {}})",
      R"({"extra": {"a": 1}, "type": "t"})",
      R"({"extra": [1, 2], "type": "t"})",
      R"({"properties": {"sku": null}})",
      R"({"properties": {"meta": {"a": 1}}})",
      R"({"ts": 1.5})",
      R"({"ts": "yesterday"})",
      R"({"ts": 18446744073709551616})",
      R"({"customer_id": 42})",
      R"({"properties": {"n": 9223372036854775808}})",
      R"({"properties": {"n": -9223372036854775809}})",
      R"({"properties": {"n": 18446744073709551616}})",
      R"({"properties": {"big": 1e400, "small": 1e-400}})",
      R"({"properties": {"n": 01}})",
      R"({"properties": {"n": 1.}})",
      R"({"properties": {"n": .5}})",
      R"({"properties": {"n": +1}})",
      R"({"properties": {"n": tru}})",
      R"({"type": "t"} x)",
      R"({"type": "t",})",
      R"({"type" "t"})",
      R"([1, 2])",
      "",
      std::string("{\"type\": \"t\"}\0", 14),
  };
  for (const std::string& text : declined) {
    EXPECT_FALSE(Accepted(text)) << text;
    ExpectSameAsGeneralDecoder(text);
  }
}

// A leading byte order mark is declined, and the general decoder skips it (which the
// comparisons above rely on).
TEST(FlatEventJsonTest, ByteOrderMarkGoesToTheGeneralDecoder) {
  EXPECT_FALSE(Accepted(kBom + R"({"type": "t"})"));
  const Result<v1::TouchpointEvent> event = DecodeEvent(kBom + R"({"type": "t"})", Format::kJson);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->type(), "t");
}

// Every event of the synthetic journeys (the benchmark's input) takes the flat reader and
// decodes to the event it was encoded from.
TEST(FlatEventJsonTest, ReadsGeneratedJourneys) {
  JourneyOptions options;
  options.customers = 40;
  options.days = 20;
  const std::vector<v1::TouchpointEvent> events = GenerateJourneys(options);
  ASSERT_FALSE(events.empty());
  for (const v1::TouchpointEvent& event : events) {
    const std::string text = EncodeEvent(event, Format::kJson);
    v1::TouchpointEvent read;
    ASSERT_TRUE(ReadFlatEventJson(text, &read)) << text;
    ExpectSameAsGeneralDecoder(text);
  }
}

}  // namespace
}  // namespace touchstream::connectors
