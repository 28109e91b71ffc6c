// CustomerModels: predictive per-customer values (customer value, probability of being alive...)
// that rules can read as fields, behind an interface so that the rules layer does not depend on
// the models' implementation (engine/customer/clv_fields.h implements it with state/clv_model.h).
#pragma once

#include <cstdint>

#include "touchstream/v1/state.pb.h"

namespace touchstream::rules {

enum class ModelField {
  kProbabilityAlive,   // P(the customer has not churned), 0..1 (customer.clv.p_alive)
  kExpectedPurchases,  // expected purchases in the configured period
                       // (customer.clv.expected_purchases)
  kExpectedSpend,      // expected value of a future purchase (customer.clv.expected_spend)
  kPredictedClv,       // discounted expected value over the configured horizon (customer.clv.value)
};

// Implementations are immutable after construction and thread-safe.
class CustomerModels {
 public:
  virtual ~CustomerModels() = default;
  // Value of `field` for the customer at now_ms, or NaN when not computable (no purchase yet,
  // or the model is not configured). Pure: the same arguments give the same value.
  virtual double Value(ModelField field, const touchstream::v1::CustomerState& customer,
                       int64_t now_ms) const = 0;
};

}  // namespace touchstream::rules
