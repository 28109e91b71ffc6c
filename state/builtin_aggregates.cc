#include "state/builtin_aggregates.h"

#include <algorithm>

#include "state/clv_summary.h"

namespace touchstream::state {

namespace {

constexpr char kPurchase[] = "purchase";
constexpr char kProfileUpdate[] = "profile_update";
constexpr char kAmount[] = "amount";

// Widens [*first, *last] to include `time`; `is_first` when nothing was counted before.
void ExtendRange(bool is_first, int64_t time, int64_t* first, int64_t* last) {
  if (is_first) {
    *first = time;
    *last = time;
    return;
  }
  *first = std::min(*first, time);
  *last = std::max(*last, time);
}

void ApplyPurchase(const v1::TouchpointEvent& event, v1::Aggregates* aggregates) {
  const bool first_purchase = aggregates->purchase_count() == 0;
  const double amount = PurchaseAmount(event);
  int64_t first_ms = aggregates->first_purchase_ms();
  int64_t last_ms = aggregates->last_purchase_ms();
  ExtendRange(first_purchase, event.ts_ms(), &first_ms, &last_ms);
  aggregates->set_first_purchase_ms(first_ms);
  aggregates->set_last_purchase_ms(last_ms);
  aggregates->set_purchase_count(aggregates->purchase_count() + 1);
  aggregates->set_total_spend(aggregates->total_spend() + amount);
  aggregates->set_max_purchase(first_purchase ? amount
                                              : std::max(aggregates->max_purchase(), amount));
}

}  // namespace

double PurchaseAmount(const v1::TouchpointEvent& event) {
  auto it = event.properties().find(kAmount);
  if (it == event.properties().end()) return 0;
  switch (it->second.kind_case()) {
    case v1::Value::kIntValue:
      return static_cast<double>(it->second.int_value());
    case v1::Value::kDoubleValue:
      return it->second.double_value();
    default:
      return 0;
  }
}

void ApplyBuiltinAggregates(const v1::TouchpointEvent& event, v1::CustomerState* state) {
  v1::Aggregates* aggregates = state->mutable_aggregates();
  const int64_t time = event.ts_ms();

  int64_t first_seen = state->first_seen_ms();
  int64_t last_seen = state->last_seen_ms();
  ExtendRange(aggregates->event_count() == 0, time, &first_seen, &last_seen);
  state->set_first_seen_ms(first_seen);
  state->set_last_seen_ms(last_seen);
  aggregates->set_event_count(aggregates->event_count() + 1);

  v1::TypeActivity& activity = (*state->mutable_activity())[event.type()];
  int64_t first_ms = activity.first_ms();
  int64_t last_ms = activity.last_ms();
  ExtendRange(activity.count() == 0, time, &first_ms, &last_ms);
  activity.set_first_ms(first_ms);
  activity.set_last_ms(last_ms);
  activity.set_count(activity.count() + 1);

  if (event.type() == kPurchase) {
    ApplyPurchase(event, aggregates);
    ApplyClvPurchase(event, state);
  } else if (event.type() == kProfileUpdate) {
    for (const auto& [name, value] : event.properties()) {
      (*state->mutable_profile())[name] = value;
    }
  }
}

}  // namespace touchstream::state
