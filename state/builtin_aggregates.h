// The aggregates the engine maintains on every event, before rules run.
#pragma once

#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

// Folds `event` into `state`:
//  - event_count += 1; first_seen_ms / last_seen_ms become the min / max event time, so an
//    out-of-order (older) event moves first_seen_ms back and leaves last_seen_ms alone;
//  - activity[event.type]: count += 1, first_ms / last_ms min / max of event time;
//  - type "purchase": purchase_count += 1; total_spend += properties["amount"] (int or double;
//    missing or of another kind counts as 0); max_purchase is the largest amount;
//    first_purchase_ms / last_purchase_ms min / max of event time;
//  - type "profile_update": every property is copied into profile, overwriting.
// The event's ts_ms is used as is (the engine fills it in before). Pure; never fails.
// A purchase's "amount" property (int or double); 0 when missing or of another kind.
double PurchaseAmount(const v1::TouchpointEvent& event);

void ApplyBuiltinAggregates(const v1::TouchpointEvent& event, v1::CustomerState* state);

}  // namespace touchstream::state
