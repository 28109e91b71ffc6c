#include "state/channel_feedback.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "state/customer_analytics.h"
#include "state/customer_codec.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

using test::EventBuilder;

constexpr int64_t kT = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr int64_t kDay = 24LL * 3600 * 1000;

class ChannelFeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.soft_bounce_limit = 2;
    config_.addresses = {{"email", "email"}};
    state_.set_customer_id("c-1");
    (*state_.mutable_profile())["email"].set_string_value("a@example.com");
  }

  FeedbackResult Apply(const std::string& type, int64_t ts, const std::string& channel = "email",
                       const std::string& bounce = "") {
    EventBuilder event("c-1", type, ts);
    event.String("action_id", "act-1").String("channel", channel);
    if (!bounce.empty()) event.String("bounce", bounce);
    return ApplyChannelFeedback(config_, event, std::max(ts, state_.last_seen_ms()), &state_);
  }
  const v1::ChannelEngagement& Email() { return state_.channels().at("email"); }

  ChannelFeedbackConfig config_;
  v1::CustomerState state_;
};

// Delivered, failed, opened and clicked count with their latest times; opens and clicks also in
// the 90-day windows.
TEST_F(ChannelFeedbackTest, CountsAndLastTimes) {
  RecordChannelSend("email", kT, &state_);
  EXPECT_TRUE(Apply("action_delivered", kT + 1).feedback_event);
  Apply("action_failed", kT + 2);
  Apply("action_opened", kT + 3);
  Apply("action_clicked", kT + 4);
  Apply("action_opened", kT + kDay);
  const v1::ChannelEngagement& e = Email();
  EXPECT_EQ(e.sent(), 1);
  EXPECT_EQ(e.delivered(), 1);
  EXPECT_EQ(e.failed(), 1);
  EXPECT_EQ(e.opened(), 2);
  EXPECT_EQ(e.clicked(), 1);
  EXPECT_EQ(e.last_sent_ms(), kT);
  EXPECT_EQ(e.last_delivered_ms(), kT + 1);
  EXPECT_EQ(e.last_opened_ms(), kT + kDay);
  EXPECT_EQ(e.last_clicked_ms(), kT + 4);
  EXPECT_EQ(e.opened_90d().buckets_size(), 2);
  EXPECT_FALSE(e.unreachable());
  // (max(2 opens, 1 click) + 1) / (1 sent + 2).
  EXPECT_DOUBLE_EQ(EngagementScore(state_, "email", kT + kDay), 1.0);
  // 91 days later the windows are empty: the untried score.
  EXPECT_DOUBLE_EQ(EngagementScore(state_, "email", kT + 92 * kDay), 0.5);
  EXPECT_DOUBLE_EQ(EngagementScore(state_, "push", kT), 0.5);
}

// A hard bounce makes the channel unreachable until the address attribute changes.
TEST_F(ChannelFeedbackTest, HardBounceUntilAddressChanges) {
  Apply("action_bounced", kT, "email", "hard");
  EXPECT_TRUE(Email().unreachable());
  EXPECT_EQ(Email().unreachable_ms(), kT);
  EXPECT_FALSE(ChannelReachable(config_, state_, "email"));
  EXPECT_TRUE(ChannelReachable(config_, state_, "sms"));
  // A delivery does not prove a bounced address works again.
  Apply("action_delivered", kT + 1);
  EXPECT_FALSE(ChannelReachable(config_, state_, "email"));
  (*state_.mutable_profile())["email"].set_string_value("b@example.com");
  EXPECT_TRUE(ChannelReachable(config_, state_, "email"));
  // The next event stores it.
  Apply("action_opened", kT + 2);
  EXPECT_FALSE(Email().unreachable());
}

// soft_bounce_limit soft bounces in a row make the channel unreachable; a delivery between
// resets the run.
TEST_F(ChannelFeedbackTest, SoftBouncesInARow) {
  Apply("action_bounced", kT, "email", "soft");
  Apply("action_delivered", kT + 1);
  Apply("action_bounced", kT + 2, "email", "soft");
  EXPECT_FALSE(Email().unreachable());
  EXPECT_EQ(Email().soft_bounces(), 1);
  Apply("action_bounced", kT + 3, "email", "soft");
  EXPECT_TRUE(Email().unreachable());
  EXPECT_EQ(Email().bounced(), 3);
}

// A channel without an address attribute is reachable again after a delivery, open or click.
TEST_F(ChannelFeedbackTest, ChannelWithoutAddressRecoversOnEngagement) {
  Apply("action_bounced", kT, "push", "hard");
  EXPECT_FALSE(ChannelReachable(config_, state_, "push"));
  Apply("action_clicked", kT + 1, "push");
  EXPECT_TRUE(ChannelReachable(config_, state_, "push"));
}

// An unsubscribe withdraws that channel's consent; an older one does not override a newer
// consent event.
TEST_F(ChannelFeedbackTest, UnsubscribeWithdrawsChannelConsent) {
  Apply("action_unsubscribed", kT, "sms");
  const v1::ChannelConsent& sms = state_.consent().at("sms");
  EXPECT_FALSE(sms.granted());
  EXPECT_EQ(sms.updated_ms(), kT);
  EXPECT_EQ(sms.source(), "action_unsubscribed");
  (*state_.mutable_consent())["sms"].set_granted(true);
  (*state_.mutable_consent())["sms"].set_updated_ms(kT + 10);
  Apply("action_unsubscribed", kT + 5, "sms");
  EXPECT_TRUE(state_.consent().at("sms").granted());
  EXPECT_TRUE(state_.channels().empty());
}

// A complaint sets do-not-contact (no marketing on any channel).
TEST_F(ChannelFeedbackTest, ComplaintSetsDoNotContact) {
  Apply("action_complained", kT, "email");
  EXPECT_TRUE(state_.do_not_contact());
  EXPECT_EQ(state_.do_not_contact_change().source(), "action_complained");
  EXPECT_EQ(state_.do_not_contact_change().updated_ms(), kT);
}

// Feedback without action_id, channel or bounce kind is named; other events are not feedback.
TEST_F(ChannelFeedbackTest, ProblemsAreNamed) {
  EXPECT_EQ(FeedbackEventProblem(EventBuilder("c-1", "action_opened", kT).String("channel", "x")),
            "feedback event needs property 'action_id' (non-empty string)");
  EXPECT_EQ(FeedbackEventProblem(EventBuilder("c-1", "action_opened", kT).String("action_id", "a")),
            "feedback event needs property 'channel' (non-empty string) or a channel field");
  EXPECT_EQ(FeedbackEventProblem(
                EventBuilder("c-1", "action_opened", kT).String("action_id", "a").Channel("sms")),
            "");
  EXPECT_EQ(FeedbackEventProblem(EventBuilder("c-1", "action_bounced", kT)
                                     .String("action_id", "a")
                                     .String("channel", "email")
                                     .String("bounce", "maybe")),
            "action_bounced needs property 'bounce': \"hard\" or \"soft\"");
  EXPECT_EQ(FeedbackEventProblem(EventBuilder("c-1", "action_failed", kT)
                                     .String("action_id", "a")
                                     .String("channel", "email")
                                     .String("status", "500")),
            "feedback event's property 'status' must be an integer");
  EXPECT_EQ(FeedbackEventProblem(EventBuilder("c-1", "purchase", kT)), "");
  const FeedbackResult bad = Apply("action_bounced", kT, "email", "maybe");
  EXPECT_EQ(bad.rejected, "invalid");
  EXPECT_TRUE(state_.channels().empty());
  EXPECT_FALSE(ApplyChannelFeedback(config_, EventBuilder("c-1", "purchase", kT), kT, &state_)
                   .feedback_event);
}

// CustomerAnalytics applies feedback with the other analytics.
TEST_F(ChannelFeedbackTest, AppliedByCustomerAnalytics) {
  AnalyticsConfig analytics;
  analytics.feedback = config_;
  CustomerAnalytics apply(analytics);
  const AnalyticsUpdate update = apply.Apply(EventBuilder("c-1", "action_bounced", kT)
                                                 .String("action_id", "a")
                                                 .Channel("email")
                                                 .String("bounce", "hard"),
                                             &state_);
  EXPECT_TRUE(update.feedback.feedback_event);
  EXPECT_TRUE(Email().unreachable());
}

// A state stored before CustomerState.channels existed (no field 45) loads with no channels,
// and feedback then adds them.
TEST_F(ChannelFeedbackTest, OldStateLoads) {
  // customer_id "c-1" (field 2), last_seen_ms 5 (field 4), consent {"email": granted} (field 16):
  // bytes as the schema before field 45 wrote them.
  const std::string old_bytes(
      "\x12\x03\x63\x2d\x31\x20\x05\x82\x01\x0b\x0a\x05\x65\x6d\x61\x69"
      "\x6c\x12\x02\x08\x01",
      21);
  v1::CustomerState loaded;
  ASSERT_TRUE(DecodeCustomer("c-1", old_bytes, &loaded).ok());
  EXPECT_EQ(loaded.schema_version(), kCustomerSchemaVersion);
  EXPECT_EQ(loaded.customer_id(), "c-1");
  EXPECT_EQ(loaded.last_seen_ms(), 5);
  EXPECT_TRUE(loaded.consent().at("email").granted());
  EXPECT_TRUE(loaded.channels().empty());
  EXPECT_TRUE(ChannelReachable(config_, loaded, "email"));
  RecordChannelSend("email", kT, &loaded);
  EXPECT_EQ(loaded.channels().at("email").sent(), 1);
}

}  // namespace
}  // namespace touchstream::state
