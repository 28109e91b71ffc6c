#include "engine/customer/clv_fields.h"

#include <limits>

#include "state/clv_model.h"
#include "state/clv_summary.h"

namespace touchstream::engine {

double ClvFields::Value(rules::ModelField field, const v1::CustomerState& customer,
                        int64_t now_ms) const {
  const std::optional<state::ClvInputs> in = state::ClvInputsAt(customer.clv(), now_ms);
  if (!in) return std::numeric_limits<double>::quiet_NaN();
  switch (field) {
    case rules::ModelField::kProbabilityAlive:
      return state::ProbabilityAlive(config_.bg_nbd, in->x, in->t_x, in->T);
    case rules::ModelField::kExpectedPurchases:
      return state::ExpectedPurchases(config_.bg_nbd, in->x, in->t_x, in->T,
                                      config_.expected_purchases_days / 7);
    case rules::ModelField::kExpectedSpend:
      return state::ExpectedSpendPerPurchase(config_.gamma_gamma, in->x, in->mean_spend);
    case rules::ModelField::kPredictedClv:
      return state::PredictedClv(config_.bg_nbd, config_.gamma_gamma, *in,
                                 static_cast<int>(config_.horizon_weeks),
                                 config_.annual_discount_rate);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::unique_ptr<rules::CustomerModels> MakeCustomerModels(const EngineConfig& config) {
  if (!config.clv.enabled) return nullptr;
  return std::make_unique<ClvFields>(config.clv);
}

}  // namespace touchstream::engine
