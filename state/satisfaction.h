// Satisfaction: NPS and CSAT survey answers and open support tickets (CustomerState
// .satisfaction), folded in from the customer's events by ApplySatisfactionEvent.
//
// NPS: an answer's score (0-10) is a promoter (9-10), passive (7-8) or detractor (0-6); every
// answer is counted, and the latest by event time is kept as the last score. The running NPS is
// (promoters - detractors) / answers * 100. CSAT: every answer is counted and summed, the latest
// by event time kept. Tickets: an open event adds the ticket (its id property, else its event
// id; an id already open is ignored), a resolved event removes the ticket with that id. A
// score that is missing or not a number makes the event count for nothing.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

struct SatisfactionConfig {
  // Event types of NPS answers, CSAT answers, and ticket opening / resolution. Defaults match
  // the demo generator: nps_response, csat_response, ticket_opened, ticket_resolved.
  std::string nps_event = "nps_response";
  std::string csat_event = "csat_response";
  std::string ticket_opened_event = "ticket_opened";
  std::string ticket_resolved_event = "ticket_resolved";
  // Property with the survey score (int or double; NPS scores are rounded and must be 0-10).
  // Default "score".
  std::string score_property = "score";
  // Property with the ticket id, on both ticket events. Default "ticket_id".
  std::string ticket_id_property = "ticket_id";
  // Open tickets kept per customer (>= 1); opening more drops the oldest. Default 20.
  int64_t max_open_tickets = 20;
};

// Folds the event into state->satisfaction when its type is one of the configured ones; any
// other event is left alone (no allocation). Returns true when the state changed.
bool ApplySatisfactionEvent(const SatisfactionConfig& config, const v1::TouchpointEvent& event,
                            v1::CustomerState* state);

}  // namespace touchstream::state
