// Channel feedback: what channels report back about the actions they were given (feedback
// events), and the engine's own record of what it sent per channel (CustomerState.channels).
//
// Feedback events (docs/channels.md "Feedback events") have one of the types in
// kFeedbackEventTypes and the properties
//   action_id  string  the Action.action_id the feedback is about (required)
//   channel    string  the channel (email, sms, push, ...); default: the event's channel field
//   bounce     string  action_bounced only: "hard" or "soft" (required)
//   status     int     action_delivered / action_failed: the channel's status code (optional)
// and change the customer's state as follows (event time = the event's ts):
//   action_delivered     delivered +1; soft bounces reset
//   action_failed        failed +1 (a refused or undeliverable request; reachability unchanged)
//   action_bounced hard  bounced +1; the channel is unreachable
//   action_bounced soft  bounced +1; soft bounces +1; unreachable at soft_bounce_limit in a row
//   action_opened        opened +1 (and in the 90-day window); soft bounces reset
//   action_clicked       clicked +1 (and in the 90-day window); soft bounces reset
//   action_unsubscribed  consent for the channel withdrawn (state.consent, source
//                        "action_unsubscribed"; an older event does not override a newer one)
//   action_complained    do_not_contact set (source "action_complained"): no marketing on any
//                        channel; operational rules still send
// An unreachable channel becomes reachable again when its address attribute (the profile
// attribute config policy.addresses names for it) no longer holds the address that bounced;
// a channel without an address attribute, by a later delivery, open or click.
//
// Size: at most kMaxFeedbackChannels channels per customer (feedback for one more is
// rejected), each with three 90-day windows of at most 90 daily buckets.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

inline constexpr std::string_view kFeedbackEventTypes[] = {
    "action_delivered", "action_failed",       "action_bounced",   "action_opened",
    "action_clicked",   "action_unsubscribed", "action_complained"};
inline constexpr int kMaxFeedbackChannels = 32;
// The window of the *_90d counts and rates.
inline constexpr int64_t kEngagementWindowMs = 90LL * 24 * 3600 * 1000;

struct ChannelFeedbackConfig {
  // Soft bounces in a row (with no delivery, open or click between) that make a channel
  // unreachable. Default 3.
  int64_t soft_bounce_limit = 3;
  // Channel -> profile attribute holding its address (config policy.addresses). Default none.
  std::map<std::string, std::string> addresses;
};

// True for the types of kFeedbackEventTypes.
bool IsFeedbackEvent(std::string_view type);

// Why a feedback event is unusable, or "" when it is usable (or not a feedback event):
// "feedback event needs property 'action_id' (string)", ... (a static string).
std::string_view FeedbackEventProblem(const v1::TouchpointEvent& event);

// The channel a feedback event names: its "channel" property, else its channel field.
std::string_view FeedbackChannel(const v1::TouchpointEvent& event);

// What ApplyChannelFeedback did.
struct FeedbackResult {
  // False when the event is not a feedback event.
  bool feedback_event = false;
  // Empty when applied; else why not: "invalid" (FeedbackEventProblem), "too_many_channels".
  std::string_view rejected;
};

// Applies a feedback event to state->channels (and consent / do_not_contact), as described at
// the top of this file; every event also clears the unreachable mark of channels whose address
// attribute changed since their bounce. latest_ms: the customer's latest event time.
FeedbackResult ApplyChannelFeedback(const ChannelFeedbackConfig& config,
                                    const v1::TouchpointEvent& event, int64_t latest_ms,
                                    v1::CustomerState* state);

// Records that an action was sent on `channel` at time_ms (sent +1, last sent, 90-day window).
// No-op for an empty channel, or a new channel beyond kMaxFeedbackChannels.
void RecordChannelSend(std::string_view channel, int64_t time_ms, v1::CustomerState* state);

// False when feedback made `channel` unreachable and its address has not changed since.
bool ChannelReachable(const ChannelFeedbackConfig& config, const v1::CustomerState& state,
                      std::string_view channel);

// The hash of an address value kept in ChannelEngagement.unreachable_address (0: unset value).
uint64_t AddressHash(const v1::CustomerState& state, const std::string& attribute);

// The smoothed 90-day engagement rate of a channel as of now_ms, for `best_of` channel choice:
// (max(opened_90d, clicked_90d) + 1) / (sent_90d + 2): a channel never tried scores 0.5, one
// whose messages are read scores towards 1, one whose messages are ignored towards 0 (push
// reports clicks only, email opens and clicks: the larger counts).
double EngagementScore(const v1::CustomerState& state, std::string_view channel, int64_t now_ms);

}  // namespace touchstream::state
