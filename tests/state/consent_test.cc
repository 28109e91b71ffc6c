// Consent: per-channel opt in/out with time and source, the global do-not-contact flag,
// out-of-order consent events, bounds and malformed events.
#include "state/consent.h"

#include <gtest/gtest.h>

#include <string>

#include "state/customer_analytics.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

test::EventBuilder Consent(int64_t ts_ms) {
  return std::move(test::EventBuilder("c-1", "consent", ts_ms).Source("web"));
}
v1::TouchpointEvent Channel(int64_t ts_ms, const std::string& channel, bool granted) {
  return Consent(ts_ms).String("channel", channel).Bool("granted", granted);
}
v1::TouchpointEvent DoNotContact(int64_t ts_ms, bool value) {
  return Consent(ts_ms).Bool("do_not_contact", value);
}

// Opt-in and opt-out per channel, each with its time and source.
TEST(StateConsentTest, PerChannel) {
  const ConsentConfig config;
  v1::CustomerState state;
  ConsentResult r = ApplyConsentEvent(config, Channel(1000, "email", true), &state);
  EXPECT_TRUE(r.consent_event);
  EXPECT_EQ(r.rejected, "");
  v1::TouchpointEvent sms = Channel(2000, "sms", false);
  (*sms.mutable_properties())["source"].set_string_value("unsubscribe_link");
  ApplyConsentEvent(config, sms, &state);
  ASSERT_EQ(state.consent().size(), 2u);
  EXPECT_TRUE(state.consent().at("email").granted());
  EXPECT_EQ(state.consent().at("email").updated_ms(), 1000);
  EXPECT_EQ(state.consent().at("email").source(), "web");  // the event's source field
  EXPECT_FALSE(state.consent().at("sms").granted());
  EXPECT_EQ(state.consent().at("sms").source(), "unsubscribe_link");
  ApplyConsentEvent(config, Channel(3000, "email", false), &state);
  EXPECT_FALSE(state.consent().at("email").granted());
  EXPECT_EQ(state.consent().at("email").updated_ms(), 3000);
  EXPECT_FALSE(state.do_not_contact());
}

// An older consent event does not override a newer one, whatever the arrival order.
TEST(StateConsentTest, LatestEventTimeWins) {
  const ConsentConfig config;
  v1::CustomerState a, b;
  ApplyConsentEvent(config, Channel(5000, "push", false), &a);
  ApplyConsentEvent(config, Channel(4000, "push", true), &a);  // late: ignored
  ApplyConsentEvent(config, Channel(4000, "push", true), &b);
  ApplyConsentEvent(config, Channel(5000, "push", false), &b);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  EXPECT_FALSE(a.consent().at("push").granted());
  // Equal times: the later-processed event wins.
  ApplyConsentEvent(config, Channel(5000, "push", true), &a);
  EXPECT_TRUE(a.consent().at("push").granted());
}

// The global flag: set, cleared, late changes ignored; it may come with a channel change.
TEST(StateConsentTest, DoNotContact) {
  const ConsentConfig config;
  v1::CustomerState state;
  ApplyConsentEvent(config, DoNotContact(1000, true), &state);
  EXPECT_TRUE(state.do_not_contact());
  EXPECT_TRUE(state.do_not_contact_change().granted());
  EXPECT_EQ(state.do_not_contact_change().updated_ms(), 1000);
  EXPECT_EQ(state.do_not_contact_change().source(), "web");
  ApplyConsentEvent(config, DoNotContact(500, false), &state);  // older: ignored
  EXPECT_TRUE(state.do_not_contact());
  v1::TouchpointEvent both = Channel(2000, "email", true);
  (*both.mutable_properties())["do_not_contact"].set_bool_value(false);
  ApplyConsentEvent(config, both, &state);
  EXPECT_FALSE(state.do_not_contact());
  EXPECT_EQ(state.do_not_contact_change().updated_ms(), 2000);
  EXPECT_TRUE(state.consent().at("email").granted());
}

// Malformed consent events and the bounds are reported, and change nothing.
TEST(StateConsentTest, RejectedEvents) {
  ConsentConfig config;
  v1::CustomerState state;
  EXPECT_EQ(ApplyConsentEvent(config, Consent(1), &state).rejected, "missing_fields");
  v1::TouchpointEvent text_granted = Consent(1);
  (*text_granted.mutable_properties())["channel"].set_string_value("email");
  (*text_granted.mutable_properties())["granted"].set_string_value("yes");
  EXPECT_EQ(ApplyConsentEvent(config, text_granted, &state).rejected, "missing_fields");
  EXPECT_EQ(ApplyConsentEvent(config, Channel(1, "", true), &state).rejected, "bad_channel");
  EXPECT_EQ(ApplyConsentEvent(config, Channel(1, std::string(65, 'x'), true), &state).rejected,
            "bad_channel");
  for (int i = 0; i < kMaxConsentChannels; ++i) {
    EXPECT_EQ(ApplyConsentEvent(config, Channel(1, "c" + std::to_string(i), true), &state).rejected,
              "");
  }
  EXPECT_EQ(ApplyConsentEvent(config, Channel(1, "one_more", true), &state).rejected,
            "too_many_channels");
  EXPECT_EQ(state.consent().size(), static_cast<size_t>(kMaxConsentChannels));
  // A known channel can still change at the bound.
  EXPECT_EQ(ApplyConsentEvent(config, Channel(2, "c0", false), &state).rejected, "");

  config.channels = {"email", "sms"};
  v1::CustomerState listed;
  EXPECT_EQ(ApplyConsentEvent(config, Channel(1, "fax", true), &listed).rejected,
            "unknown_channel");
  EXPECT_TRUE(listed.consent().empty());
  v1::TouchpointEvent other = Channel(1, "email", true);
  other.set_type("page_view");
  EXPECT_FALSE(ApplyConsentEvent(config, other, &listed).consent_event);
  EXPECT_TRUE(listed.consent().empty());
}

// Through CustomerAnalytics with a renamed consent event type.
TEST(StateConsentTest, ThroughAnalytics) {
  AnalyticsConfig config;
  config.consent.event_type = "preferences";
  CustomerAnalytics analytics(config);
  v1::CustomerState state;
  v1::TouchpointEvent e = Channel(10, "email", true);
  e.set_type("preferences");
  EXPECT_TRUE(analytics.Apply(e, &state).consent.consent_event);
  EXPECT_TRUE(state.consent().at("email").granted());
  EXPECT_FALSE(analytics.Apply(Channel(20, "email", false), &state).consent.consent_event);
  EXPECT_TRUE(state.consent().at("email").granted());
}

}  // namespace
}  // namespace touchstream::state
