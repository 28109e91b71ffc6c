// EventHistory: the customer's latest events (type, id, channel, time), newest first, at most
// a configured number (CustomerState.history, config `history.size`).
//
// Recorded in processing order (an out-of-order event is still the newest entry). Once the
// history is full, recording reuses the storage of the dropped entry: no allocation beyond
// string growth. Pure function of its arguments; thread-safe.
#pragma once

#include <cstdint>

#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

// Entries kept by default and at most (history.size).
inline constexpr int64_t kDefaultHistorySize = 20;
inline constexpr int64_t kMaxHistorySize = 1000;

// Puts the event first in state->history, dropping the oldest entries beyond `size` (0 clears
// the history and records nothing).
void RecordEvent(int64_t size, const v1::TouchpointEvent& event, v1::CustomerState* state);

}  // namespace touchstream::state
