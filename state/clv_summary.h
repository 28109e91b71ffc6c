// The per-customer purchase summary the customer-value models need (CustomerState.clv, a
// v1::ClvSummary), and its conversion to model inputs (state/clv_model.h) at a given time.
//
// Days are UTC calendar days; several purchases on one day are one transaction, as in the
// fitting (state/clv_fit.h), so the live values and `touchstream clv fit` agree.
#pragma once

#include <cstdint>
#include <optional>

#include "state/clv_model.h"
#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

// Folds a purchase event (type "purchase"; amount = properties["amount"], int or double, else 0
// as in the built-in aggregates) into state->clv; other events leave it alone. Out-of-order
// purchases: one on or before the first purchase day, or on the latest one, is exact; one on a
// day strictly between them counts as a new purchase day (the summary does not keep every day,
// so a late purchase on a day that already had one is counted twice). Pure; never fails.
void ApplyClvPurchase(const v1::TouchpointEvent& event, v1::CustomerState* state);

// The model inputs at now_ms: x = purchase_days - 1; t_x = weeks from the first to the latest
// purchase day; T = weeks from the first purchase day to now's day (at least t_x, so a clock
// behind the latest purchase is harmless); mean_spend = repeat_amount / x (0 when x = 0).
// nullopt before the first purchase.
std::optional<ClvInputs> ClvInputsAt(const v1::ClvSummary& summary, int64_t now_ms);

}  // namespace touchstream::state
