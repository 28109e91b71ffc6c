#include "engine/customer/customer_snapshot.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "proto/state_read.h"

namespace touchstream::engine {

namespace {

// The profile attribute that overrides the value tier (as for tier: transitions).
constexpr char kTierAttribute[] = "tier";

}  // namespace

v1::CustomerSnapshot BuildCustomerSnapshot(const v1::CustomerState& state,
                                           const rules::CustomerModels* models, int64_t now_ms) {
  v1::CustomerSnapshot s;
  s.set_lifecycle_stage(state.lifecycle().stage());
  auto tier = state.profile().find(kTierAttribute);
  s.set_value_tier(tier != state.profile().end() &&
                           tier->second.kind_case() == v1::Value::kStringValue
                       ? tier->second.string_value()
                       : state.value().tier());
  s.set_loyalty_tier(state.loyalty().tier());
  if (models != nullptr) {
    const double value = models->Value(rules::ModelField::kPredictedClv, state, now_ms);
    const double p_alive = models->Value(rules::ModelField::kProbabilityAlive, state, now_ms);
    if (std::isfinite(value) && std::isfinite(p_alive)) {
      s.mutable_clv()->set_value(value);
      s.mutable_clv()->set_p_alive(p_alive);
    }
  }
  const v1::Satisfaction& satisfaction = state.satisfaction();
  if (satisfaction.nps_ms() != 0) {
    v1::NpsAnswer* nps = s.mutable_last_nps();
    nps->set_score(satisfaction.nps_score());
    nps->set_category(std::string(NpsCategory(satisfaction.nps_score())));
    nps->set_ts_ms(satisfaction.nps_ms());
  }
  s.set_open_tickets(satisfaction.open_tickets_size());
  s.set_purchase_count(state.aggregates().purchase_count());
  s.set_total_spend(state.aggregates().total_spend());
  const v1::EventHistory& history = state.history();
  const int n = std::min({kSnapshotEvents, history.types_size(), history.ts_ms_size()});
  for (int i = 0; i < n; ++i) {
    v1::RecentEvent* event = s.add_recent_events();
    event->set_type(history.types(i));
    event->set_ts_ms(history.ts_ms(i));
  }
  return s;
}

}  // namespace touchstream::engine
