// Checks an input event must pass before it may touch state: the limits that keep one record
// from stopping the engine (a key the store refuses, a time that overflows a timer). An event
// that fails goes to the dead-letter topic with the reason code and message returned here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/config/config.h"
#include "touchstream/v1/event.pb.h"

namespace touchstream::engine {

struct EventProblem {
  // Dead-letter reason code: "bad_customer_id", "bad_event_id", "bad_type",
  // "event_time_out_of_range" or "bad_feedback" (a feedback event without its action_id,
  // channel or bounce kind: state/channel_feedback.h).
  std::string reason;
  // What is wrong, naming the field.
  std::string message;
};

// The problem with a customer id, or nullopt when it is usable: 1 to max_bytes bytes of valid
// UTF-8 without control characters (U+0000-U+001F, U+007F).
std::optional<std::string> CustomerIdProblem(std::string_view id, int64_t max_bytes);

// The first problem of `event` (customer_id and event_id as above, event_id up to 1024 bytes;
// type up to 256 bytes; ts_ms within [limits.min_event_time_ms, limits.max_event_time_ms];
// a feedback event's properties as state::FeedbackEventProblem checks them), or nullopt.
std::optional<EventProblem> CheckEvent(const v1::TouchpointEvent& event,
                                       const ProcessingConfig& limits);

// `text` with every byte that is not part of valid UTF-8 replaced by '?' (for messages and
// headers quoting hostile input: they are stored as protobuf strings, which must be UTF-8).
std::string ValidUtf8(std::string_view text);

}  // namespace touchstream::engine
