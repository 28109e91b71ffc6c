// CustomerSnapshot: the compact view of a customer that staff-facing actions carry
// (Action.snapshot, set on actions to output.alerts_topic), so that an account manager reading
// an alert has the customer's context: lifecycle stage, value and loyalty tiers, CLV, last NPS
// answer, open tickets, spend and the latest events.
//
// Pure function of its arguments; thread-safe.
#pragma once

#include <cstdint>

#include "rules/customer_models.h"
#include "touchstream/v1/action.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// Recent events a snapshot carries at most (newest first, from CustomerState.history).
inline constexpr int kSnapshotEvents = 5;

// The snapshot of `state` at `now_ms`. `models`: customer.clv.* (engine/customer/clv_fields.h);
// null without a clv: config section, and then (or before the first purchase) `clv` is absent.
v1::CustomerSnapshot BuildCustomerSnapshot(const v1::CustomerState& state,
                                           const rules::CustomerModels* models, int64_t now_ms);

}  // namespace touchstream::engine
