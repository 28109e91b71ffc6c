// Conversion rates per experiment arm and the lift of treatment over holdout, with a 95%
// confidence interval for the difference of the two proportions (Newcombe's hybrid score
// interval, "method 10" of Newcombe 1998, built from the two Wilson score intervals; the
// formula is in README.md, "Measuring impact"). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>

namespace touchstream::engine {

// z for a two-sided 95% interval.
inline constexpr double kZ95 = 1.959963984540054;

struct Interval {
  double low = 0;
  double high = 0;
};

// The Wilson score interval of a proportion converted/decisions at `z`; nullopt when
// decisions is 0. REQUIRES: 0 <= converted <= decisions.
std::optional<Interval> WilsonInterval(int64_t converted, int64_t decisions, double z = kZ95);

struct Lift {
  // converted / decisions of each arm; nullopt when the arm has no decisions.
  std::optional<double> treatment_rate;
  std::optional<double> holdout_rate;
  // treatment_rate - holdout_rate; nullopt unless both rates are known.
  std::optional<double> absolute;
  // absolute / holdout_rate; nullopt unless both are known and the holdout rate is not 0.
  std::optional<double> relative;
  // Newcombe's hybrid score interval for `absolute`; nullopt with it.
  std::optional<Interval> absolute_ci;
};

// The lift of the treatment arm over the holdout arm.
// REQUIRES: 0 <= converted <= decisions in each arm.
Lift ComputeLift(int64_t treatment_converted, int64_t treatment_decisions,
                 int64_t holdout_converted, int64_t holdout_decisions, double z = kZ95);

}  // namespace touchstream::engine
