#include "state/channel_feedback.h"

#include <algorithm>

#include "proto/window_read.h"
#include "state/window_aggregate.h"

namespace touchstream::state {

namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

const v1::Value* Property(const v1::TouchpointEvent& event, std::string_view name) {
  auto it = event.properties().find(std::string(name));
  return it == event.properties().end() ? nullptr : &it->second;
}

std::string_view StringProperty(const v1::TouchpointEvent& event, std::string_view name) {
  const v1::Value* v = Property(event, name);
  return v != nullptr && v->kind_case() == v1::Value::kStringValue ? v->string_value()
                                                                   : std::string_view();
}

void Count(int64_t time_ms, int64_t latest_ms, v1::WindowState* window) {
  if (window->bucket_ms() == 0) {
    window->set_kind(v1::WindowState::COUNT);
    window->set_window_ms(kEngagementWindowMs);
    window->set_bucket_ms(kDayMs);
  }
  ExpireWindow(latest_ms, window);
  AddToWindow(time_ms, 1, latest_ms, window);
}

int64_t InWindow(const v1::WindowState& window, int64_t now_ms) {
  return ReadWindow(window, now_ms).count;
}

// A delivery, open or click proves the channel works: soft bounces reset, and a channel
// without an address attribute is reachable again.
void Engaged(const ChannelFeedbackConfig& config, std::string_view channel,
             v1::ChannelEngagement* e) {
  e->set_soft_bounces(0);
  if (e->unreachable() && !config.addresses.contains(std::string(channel))) {
    e->set_unreachable(false);
    e->set_unreachable_ms(0);
  }
}

void MarkUnreachable(const ChannelFeedbackConfig& config, const std::string& channel,
                     int64_t time_ms, const v1::CustomerState& state, v1::ChannelEngagement* e) {
  e->set_unreachable(true);
  e->set_unreachable_ms(time_ms);
  auto address = config.addresses.find(channel);
  e->set_unreachable_address(
      address == config.addresses.end() ? 0 : AddressHash(state, address->second));
}

// Withdraws, as consent.h does, unless a later change is recorded.
void Withdraw(int64_t time_ms, std::string_view source, v1::ChannelConsent* c, bool exists) {
  if (exists && time_ms < c->updated_ms()) return;
  c->set_granted(false);
  c->set_updated_ms(time_ms);
  c->set_source(std::string(source));
}

// Clears the unreachable mark of channels whose address changed since the bounce.
void ClearChangedAddresses(const ChannelFeedbackConfig& config, v1::CustomerState* state) {
  for (auto& [channel, e] : *state->mutable_channels()) {
    if (e.unreachable() && ChannelReachable(config, *state, channel)) {
      e.set_unreachable(false);
      e.set_unreachable_ms(0);
      e.set_unreachable_address(0);
      e.set_soft_bounces(0);
    }
  }
}

}  // namespace

bool IsFeedbackEvent(std::string_view type) {
  return std::find(std::begin(kFeedbackEventTypes), std::end(kFeedbackEventTypes), type) !=
         std::end(kFeedbackEventTypes);
}

std::string_view FeedbackChannel(const v1::TouchpointEvent& event) {
  std::string_view channel = StringProperty(event, "channel");
  return channel.empty() ? std::string_view(event.channel()) : channel;
}

std::string_view FeedbackEventProblem(const v1::TouchpointEvent& event) {
  if (!IsFeedbackEvent(event.type())) return {};
  if (StringProperty(event, "action_id").empty()) {
    return "feedback event needs property 'action_id' (non-empty string)";
  }
  if (FeedbackChannel(event).empty()) {
    return "feedback event needs property 'channel' (non-empty string) or a channel field";
  }
  if (FeedbackChannel(event).size() > 64) return "feedback event's channel is longer than 64 bytes";
  if (event.type() == "action_bounced") {
    const std::string_view bounce = StringProperty(event, "bounce");
    if (bounce != "hard" && bounce != "soft") {
      return "action_bounced needs property 'bounce': \"hard\" or \"soft\"";
    }
  }
  if (const v1::Value* status = Property(event, "status");
      status != nullptr && status->kind_case() != v1::Value::kIntValue) {
    return "feedback event's property 'status' must be an integer";
  }
  return {};
}

FeedbackResult ApplyChannelFeedback(const ChannelFeedbackConfig& config,
                                    const v1::TouchpointEvent& event, int64_t latest_ms,
                                    v1::CustomerState* state) {
  FeedbackResult result;
  if (state->channels_size() > 0) ClearChangedAddresses(config, state);
  if (!IsFeedbackEvent(event.type())) return result;
  result.feedback_event = true;
  if (!FeedbackEventProblem(event).empty()) {
    result.rejected = "invalid";
    return result;
  }
  const std::string channel(FeedbackChannel(event));
  const std::string_view type = event.type();
  const int64_t time = event.ts_ms();
  if (type == "action_complained") {
    const bool recorded = state->has_do_not_contact_change();
    v1::ChannelConsent* change = state->mutable_do_not_contact_change();
    if (!recorded || time >= change->updated_ms()) {
      change->set_granted(true);
      change->set_updated_ms(time);
      change->set_source("action_complained");
      state->set_do_not_contact(true);
    }
    return result;
  }
  if (type == "action_unsubscribed") {
    auto& consent = *state->mutable_consent();
    const bool exists = consent.contains(channel);
    if (!exists && consent.size() >= static_cast<size_t>(kMaxFeedbackChannels)) {
      result.rejected = "too_many_channels";
      return result;
    }
    Withdraw(time, "action_unsubscribed", &consent[channel], exists);
    return result;
  }
  auto& channels = *state->mutable_channels();
  if (!channels.contains(channel) && channels.size() >= static_cast<size_t>(kMaxFeedbackChannels)) {
    result.rejected = "too_many_channels";
    return result;
  }
  v1::ChannelEngagement& e = channels[channel];
  if (type == "action_delivered") {
    e.set_delivered(e.delivered() + 1);
    e.set_last_delivered_ms(std::max(e.last_delivered_ms(), time));
    Engaged(config, channel, &e);
  } else if (type == "action_failed") {
    e.set_failed(e.failed() + 1);
  } else if (type == "action_bounced") {
    e.set_bounced(e.bounced() + 1);
    if (StringProperty(event, "bounce") == "hard") {
      MarkUnreachable(config, channel, time, *state, &e);
    } else {
      e.set_soft_bounces(e.soft_bounces() + 1);
      if (e.soft_bounces() >= config.soft_bounce_limit) {
        MarkUnreachable(config, channel, time, *state, &e);
      }
    }
  } else if (type == "action_opened") {
    e.set_opened(e.opened() + 1);
    e.set_last_opened_ms(std::max(e.last_opened_ms(), time));
    Count(time, latest_ms, e.mutable_opened_90d());
    Engaged(config, channel, &e);
  } else if (type == "action_clicked") {
    e.set_clicked(e.clicked() + 1);
    e.set_last_clicked_ms(std::max(e.last_clicked_ms(), time));
    Count(time, latest_ms, e.mutable_clicked_90d());
    Engaged(config, channel, &e);
  }
  return result;
}

void RecordChannelSend(std::string_view channel, int64_t time_ms, v1::CustomerState* state) {
  if (channel.empty()) return;
  auto& channels = *state->mutable_channels();
  const std::string name(channel);
  if (!channels.contains(name) && channels.size() >= static_cast<size_t>(kMaxFeedbackChannels)) {
    return;
  }
  v1::ChannelEngagement& e = channels[name];
  e.set_sent(e.sent() + 1);
  e.set_last_sent_ms(std::max(e.last_sent_ms(), time_ms));
  Count(time_ms, std::max(time_ms, state->last_seen_ms()), e.mutable_sent_90d());
}

uint64_t AddressHash(const v1::CustomerState& state, const std::string& attribute) {
  auto it = state.profile().find(attribute);
  uint64_t hash = 0;
  if (it == state.profile().end() || !DistinctHash(it->second, &hash)) return 0;
  return hash;
}

bool ChannelReachable(const ChannelFeedbackConfig& config, const v1::CustomerState& state,
                      std::string_view channel) {
  auto it = state.channels().find(std::string(channel));
  if (it == state.channels().end() || !it->second.unreachable()) return true;
  auto address = config.addresses.find(std::string(channel));
  if (address == config.addresses.end()) return false;
  return AddressHash(state, address->second) != it->second.unreachable_address();
}

double EngagementScore(const v1::CustomerState& state, std::string_view channel, int64_t now_ms) {
  auto it = state.channels().find(std::string(channel));
  if (it == state.channels().end()) return 0.5;
  const v1::ChannelEngagement& e = it->second;
  const int64_t engaged =
      std::max(InWindow(e.opened_90d(), now_ms), InWindow(e.clicked_90d(), now_ms));
  return static_cast<double>(engaged + 1) / static_cast<double>(InWindow(e.sent_90d(), now_ms) + 2);
}

}  // namespace touchstream::state
