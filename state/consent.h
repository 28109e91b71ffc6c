// Consent per channel and the global do-not-contact flag, from consent events.
//
// A consent event has type ConsentConfig::event_type (default "consent") and properties:
//   channel         string  the channel: "email", "sms", "push", "phone", ... (with `granted`)
//   granted         bool    true = opted in, false = opted out
//   do_not_contact  bool    sets (true) or clears (false) the global do-not-contact flag
//   source          string  optional: who recorded it ("preference_center", "crm", ...);
//                           default: the event's `source` field
// An event carries channel + granted, or do_not_contact, or both, e.g.
//   {"type": "consent", "properties": {"channel": "email", "granted": false, "source":
//   "unsubscribe_link"}}
//   {"type": "consent", "properties": {"do_not_contact": true, "source": "support"}}
//
// Latest event time wins per channel (and for the flag): an event older than the recorded
// change (updated_ms) is ignored, so out-of-order delivery converges to the same state; at
// equal times the later-processed event wins. Channel names are stored as given (use lower
// case); at most 64 bytes; sources are cut to 128 bytes; a customer keeps at most
// kMaxConsentChannels channels (an event for one more channel is rejected).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

inline constexpr int kMaxConsentChannels = 32;

struct ConsentConfig {
  // Event type of consent events. Default "consent".
  std::string event_type = "consent";
  // Channels accepted; empty (the default) accepts any channel name.
  std::vector<std::string> channels;
};

struct ConsentResult {
  // False when the event is not a consent event (nothing to do).
  bool consent_event = false;
  // Empty when everything the event carried was applied or was older than what is recorded;
  // else why (part of) it was rejected: "missing_fields", "bad_channel", "unknown_channel",
  // "too_many_channels" (a static string).
  std::string_view rejected;
};

// Applies `event` to state->consent / do_not_contact when it is a consent event.
ConsentResult ApplyConsentEvent(const ConsentConfig& config, const v1::TouchpointEvent& event,
                                v1::CustomerState* state);

}  // namespace touchstream::state
