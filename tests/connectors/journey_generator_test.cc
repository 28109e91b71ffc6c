#include "connectors/journey_generator.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "connectors/codec.h"

namespace touchstream::connectors {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr int64_t kStartMs = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr int64_t kDayMs = 86'400'000;

JourneyOptions SmallOptions(uint64_t seed = 42) {
  JourneyOptions options;
  options.seed = seed;
  options.customers = 200;
  return options;
}

// The same seed gives the same events; another seed gives others.
TEST(ConnectorsJourneyGeneratorTest, DeterministicForASeed) {
  const auto first = GenerateJourneys(SmallOptions());
  const auto second = GenerateJourneys(SmallOptions());
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_TRUE(MessageDifferencer::Equals(first[i], second[i])) << i;
  }
  const auto other = GenerateJourneys(SmallOptions(7));
  EXPECT_FALSE(other.size() == first.size() &&
               MessageDifferencer::Equals(other.back(), first.back()));
  EXPECT_EQ(other.front().event_id(), "7-1");
}

// The stream is pinned: these exact values guard against accidental changes (and differences
// between standard libraries).
TEST(ConnectorsJourneyGeneratorTest, StreamIsPinned) {
  const auto events = GenerateJourneys(SmallOptions());
  ASSERT_EQ(events.size(), 3635u);
  EXPECT_EQ(EncodeEvent(events.front(), Format::kJson),
            R"({"channel":"app","customer_id":"c-105","event_id":"42-1","properties":)"
            R"({"category":"toys","page":"/products/284"},"source":"journey-generator/lapser",)"
            R"("ts":"2026-01-01T01:12:11.268Z","type":"page_view"})");
  EXPECT_EQ(EncodeEvent(events[1000], Format::kJson),
            R"({"channel":"web","customer_id":"c-137","event_id":"42-1001","properties":)"
            R"({"category":"books","page":"/products/219"},"source":"journey-generator/browser",)"
            R"("ts":"2026-01-08T04:20:48.331Z","type":"page_view"})");
  EXPECT_EQ(EncodeEvent(events.back(), Format::kJson),
            R"({"channel":"web","customer_id":"c-148","event_id":"42-3635","properties":)"
            R"({"price":26.2,"quantity":3,"sku":"SKU-107"},"source":)"
            R"("journey-generator/bargain_hunter","ts":"2026-01-30T22:17:37.363Z",)"
            R"("type":"cart_add"})");
}

// Events are sorted by time, inside the period, with sequential ids and valid customers and
// channels.
TEST(ConnectorsJourneyGeneratorTest, SortedIdentifiedAndInPeriod) {
  const JourneyOptions options = SmallOptions();
  const auto events = GenerateJourneys(options);
  ASSERT_FALSE(events.empty());
  const std::set<std::string> channels = {"web", "app", "store", "email"};
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::TouchpointEvent& event = events[i];
    if (i > 0) {
      EXPECT_LE(events[i - 1].ts_ms(), event.ts_ms()) << i;
    }
    EXPECT_EQ(event.event_id(), "42-" + std::to_string(i + 1));
    EXPECT_GE(event.ts_ms(), kStartMs);
    EXPECT_LT(event.ts_ms(), kStartMs + options.days * kDayMs);
    EXPECT_TRUE(channels.contains(event.channel())) << event.channel();
    EXPECT_TRUE(event.customer_id().starts_with("c-"));
    EXPECT_LT(std::stoi(event.customer_id().substr(2)), options.customers);
  }
}

// Every persona is present with its event types.
TEST(ConnectorsJourneyGeneratorTest, EveryPersonaPresent) {
  const auto events = GenerateJourneys(SmallOptions());
  std::map<std::string, std::set<std::string>> types_by_persona;
  for (const auto& event : events) types_by_persona[event.source()].insert(event.type());
  const std::map<std::string, std::set<std::string>> expected_types = {
      {"journey-generator/browser", {"page_view"}},
      {"journey-generator/bargain_hunter", {"page_view", "cart_add"}},
      {"journey-generator/loyal_buyer", {"login", "page_view", "purchase"}},
      {"journey-generator/lapser", {"page_view", "purchase"}},
      {"journey-generator/complainer", {"purchase", "complaint", "ticket_opened"}},
      {"journey-generator/survey_answerer", {"purchase", "nps_response", "csat_response"}},
      {"journey-generator/consent_changer", {"page_view", "consent_change"}},
      {"journey-generator/profile_updater", {"login", "profile_update"}},
  };
  ASSERT_EQ(types_by_persona.size(), expected_types.size());
  for (const auto& [persona, types] : expected_types) {
    for (const std::string& type : types) {
      EXPECT_TRUE(types_by_persona[persona].contains(type)) << persona << " " << type;
    }
  }
}

// Lapsers go silent after the first third; some loyal buyers spend over 1000 in total.
TEST(ConnectorsJourneyGeneratorTest, LapsersLapseAndBigSpendersSpend) {
  const JourneyOptions options = SmallOptions();
  const auto events = GenerateJourneys(options);
  std::map<std::string, double> spend;
  for (const auto& event : events) {
    if (event.source() == "journey-generator/lapser") {
      EXPECT_LT(event.ts_ms(), kStartMs + options.days * kDayMs / 3 + 2 * 3'600'000);
    }
    if (event.type() == "purchase")
      spend[event.customer_id()] += event.properties().at("amount").double_value();
  }
  EXPECT_TRUE(
      std::any_of(spend.begin(), spend.end(), [](const auto& s) { return s.second > 1000; }));
}

// Properties have the documented types and ranges.
TEST(ConnectorsJourneyGeneratorTest, PropertiesAreTyped) {
  const auto events = GenerateJourneys(SmallOptions());
  for (const auto& event : events) {
    const auto& p = event.properties();
    if (event.type() == "purchase") {
      EXPECT_EQ(p.at("amount").kind_case(), v1::Value::kDoubleValue);
      EXPECT_GT(p.at("amount").double_value(), 0);
      EXPECT_EQ(p.at("sku").kind_case(), v1::Value::kStringValue);
      EXPECT_EQ(p.at("category").kind_case(), v1::Value::kStringValue);
      EXPECT_EQ(p.at("quantity").kind_case(), v1::Value::kIntValue);
    } else if (event.type() == "nps_response") {
      EXPECT_EQ(p.at("score").kind_case(), v1::Value::kIntValue);
      EXPECT_GE(p.at("score").int_value(), 0);
      EXPECT_LE(p.at("score").int_value(), 10);
    } else if (event.type() == "csat_response") {
      EXPECT_EQ(p.at("score").kind_case(), v1::Value::kIntValue);
    } else if (event.type() == "consent_change") {
      EXPECT_EQ(p.at("channel").kind_case(), v1::Value::kStringValue);
      EXPECT_EQ(p.at("granted").kind_case(), v1::Value::kBoolValue);
    } else if (event.type() == "profile_update") {
      for (const char* key : {"name", "email", "time_zone", "birthday"}) {
        EXPECT_EQ(p.at(key).kind_case(), v1::Value::kStringValue) << key;
      }
      EXPECT_EQ(p.at("birthday").string_value().size(), 10u);
    } else if (event.type() == "cart_add") {
      EXPECT_EQ(p.at("price").kind_case(), v1::Value::kDoubleValue);
      EXPECT_EQ(p.at("quantity").kind_case(), v1::Value::kIntValue);
    }
  }
}

// No customers or no days give no events.
TEST(ConnectorsJourneyGeneratorTest, EmptyOptionsGiveNoEvents) {
  JourneyOptions options;
  options.customers = 0;
  EXPECT_TRUE(GenerateJourneys(options).empty());
  options.customers = 5;
  options.days = 0;
  EXPECT_TRUE(GenerateJourneys(options).empty());
}

}  // namespace
}  // namespace touchstream::connectors
