#include "state/clv_summary.h"

#include <algorithm>

#include "state/builtin_aggregates.h"

namespace touchstream::state {

namespace {

constexpr int64_t kMsPerDay = 86'400'000;
constexpr double kDaysPerWeek = 7;

int64_t DayOf(int64_t ms) {
  return ms >= 0 ? ms / kMsPerDay : -((-ms + kMsPerDay - 1) / kMsPerDay);
}

}  // namespace

void ApplyClvPurchase(const v1::TouchpointEvent& event, v1::CustomerState* state) {
  if (event.type() != "purchase") return;
  v1::ClvSummary* clv = state->mutable_clv();
  const int64_t day = DayOf(event.ts_ms());
  const double amount = PurchaseAmount(event);
  if (clv->purchase_days() == 0) {
    clv->set_purchase_days(1);
    clv->set_first_day(day);
    clv->set_last_day(day);
    clv->set_first_day_amount(amount);
    clv->set_repeat_amount(0);
  } else if (day == clv->first_day()) {
    clv->set_first_day_amount(clv->first_day_amount() + amount);
  } else if (day < clv->first_day()) {
    // An earlier first purchase: the former first day becomes a repeat purchase day.
    clv->set_purchase_days(clv->purchase_days() + 1);
    clv->set_repeat_amount(clv->repeat_amount() + clv->first_day_amount());
    clv->set_first_day(day);
    clv->set_first_day_amount(amount);
  } else if (day == clv->last_day()) {
    clv->set_repeat_amount(clv->repeat_amount() + amount);
  } else {
    // A later day, or (late event) one between the first and the latest: a new purchase day.
    clv->set_purchase_days(clv->purchase_days() + 1);
    clv->set_last_day(std::max(clv->last_day(), day));
    clv->set_repeat_amount(clv->repeat_amount() + amount);
  }
}

std::optional<ClvInputs> ClvInputsAt(const v1::ClvSummary& summary, int64_t now_ms) {
  if (summary.purchase_days() <= 0) return std::nullopt;
  const int64_t x = summary.purchase_days() - 1;
  const int64_t span_days = summary.last_day() - summary.first_day();
  const int64_t age_days = std::max(DayOf(now_ms) - summary.first_day(), span_days);
  ClvInputs inputs;
  inputs.x = static_cast<double>(x);
  inputs.t_x = x > 0 ? static_cast<double>(span_days) / kDaysPerWeek : 0;
  inputs.T = static_cast<double>(age_days) / kDaysPerWeek;
  inputs.mean_spend = x > 0 ? summary.repeat_amount() / static_cast<double>(x) : 0;
  return inputs;
}

}  // namespace touchstream::state
