#include "engine/impact/lift_stats.h"

#include <cmath>

namespace touchstream::engine {

std::optional<Interval> WilsonInterval(int64_t converted, int64_t decisions, double z) {
  if (decisions <= 0) return std::nullopt;
  const double n = static_cast<double>(decisions);
  const double p = static_cast<double>(converted) / n;
  const double z2 = z * z;
  const double center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return Interval{center - half, center + half};
}

Lift ComputeLift(int64_t treatment_converted, int64_t treatment_decisions,
                 int64_t holdout_converted, int64_t holdout_decisions, double z) {
  Lift lift;
  if (treatment_decisions > 0) {
    lift.treatment_rate =
        static_cast<double>(treatment_converted) / static_cast<double>(treatment_decisions);
  }
  if (holdout_decisions > 0) {
    lift.holdout_rate =
        static_cast<double>(holdout_converted) / static_cast<double>(holdout_decisions);
  }
  if (!lift.treatment_rate || !lift.holdout_rate) return lift;
  const double p1 = *lift.treatment_rate;
  const double p2 = *lift.holdout_rate;
  lift.absolute = p1 - p2;
  if (p2 > 0) lift.relative = (p1 - p2) / p2;
  const Interval w1 = *WilsonInterval(treatment_converted, treatment_decisions, z);
  const Interval w2 = *WilsonInterval(holdout_converted, holdout_decisions, z);
  const double d = p1 - p2;
  lift.absolute_ci =
      Interval{d - std::sqrt((p1 - w1.low) * (p1 - w1.low) + (w2.high - p2) * (w2.high - p2)),
               d + std::sqrt((w1.high - p1) * (w1.high - p1) + (p2 - w2.low) * (p2 - w2.low))};
  return lift;
}

}  // namespace touchstream::engine
