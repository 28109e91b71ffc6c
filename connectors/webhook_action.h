// What the webhook connector reads from an action message and writes back as feedback.
//
// An action message is JSON (first byte '{') or protobuf `touchstream.v1.Action`. The POST body
// is the action's JSON form: a JSON message as it is (fields this version does not know stay),
// a protobuf one encoded as the codec's JSON (connectors/codec.h). An action may carry an
// expiry: `expires_at` in JSON (RFC 3339 text or epoch milliseconds), `expires_at_ms` in
// protobuf (read by name, so actions from engines with or without the field both work).
//
// Feedback is an input event in the engine's JSON form (docs/events-and-actions.md):
//   {"event_id": "deliver/<channel>/<action_id>", "customer_id": <the action's customer>,
//    "type": "action_delivered" | "action_failed", "ts": <now>, "channel": <channel>,
//    "source": "touchstream-deliver", "properties": {"action_id": ..., "channel": ...,
//    "status": <integer: the last answer's HTTP status code, 410 for an expired action; absent
//               when no answer arrived>,
//    "reason": "timeout" | "connection_error" | "expired" (absent when an answer decided it),
//    "attempts": <POSTs made, an integer>}}
// which is the feedback form the engine reads (docs/channels.md, state/channel_feedback.h).
// keyed by the customer id, so it lands on the customer's partition.
//
// All functions are pure and thread safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace touchstream::connectors {

struct DeliverableAction {
  std::string action_id;
  std::string customer_id;
  std::string channel;
  // Epoch milliseconds after which the action must not be sent; 0 when it has no expiry.
  int64_t expires_at_ms = 0;
  // The JSON body to POST.
  std::string body;
};

// Decodes an action message. InvalidArgument / Corruption naming the field for a bad message,
// InvalidArgument when action_id or customer_id is empty.
Result<DeliverableAction> ReadDeliverableAction(std::string_view bytes);

// The feedback event of one action (format above). `delivered` chooses action_delivered over
// action_failed.
std::string FeedbackEventJson(const DeliverableAction& action, const std::string& channel,
                              bool delivered, int status, std::string_view reason, int64_t attempts,
                              int64_t now_ms);

}  // namespace touchstream::connectors
