#include "state/clv_model.h"

#include <boost/math/quadrature/tanh_sinh.hpp>
// Boost 1.74's hypergeometric_pFq.hpp uses lgamma without including its definition.
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/hypergeometric_pFq.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace touchstream::state {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Above this z the 3F2 series converges too slowly; the quadrature takes over.
constexpr double kSeriesMaxZ = 0.9;
// Relative accuracy asked of the series (checked against Boost's error estimate) and of the
// quadrature.
constexpr double kSeriesTolerance = 1e-12;
constexpr double kQuadratureTolerance = 1e-12;

bool PositiveFinite(double v) {
  return std::isfinite(v) && v > 0;
}

// lgamma without glibc's write to the global `signgam` (arguments here are always positive).
double LogGamma(double v) {
  int sign = 0;
  return lgamma_r(v, &sign);
}

double LogBeta(double a, double b) {
  return LogGamma(a) + LogGamma(b) - LogGamma(a + b);
}

// log(exp(u) + exp(v)) without overflow.
double LogSumExp(double u, double v) {
  const double hi = std::max(u, v);
  const double lo = std::min(u, v);
  if (hi == -std::numeric_limits<double>::infinity()) return hi;
  return hi + std::log1p(std::exp(lo - hi));
}

bool ValidParams(const BgNbdParams& p) {
  return PositiveFinite(p.r) && PositiveFinite(p.alpha) && PositiveFinite(p.a) &&
         PositiveFinite(p.b);
}

bool ValidParams(const GammaGammaParams& p) {
  return PositiveFinite(p.p) && PositiveFinite(p.q) && p.q > 1 && PositiveFinite(p.gamma);
}

bool ValidSummary(double x, double t_x, double T) {
  if (!std::isfinite(x) || !std::isfinite(t_x) || !std::isfinite(T)) return false;
  if (!(x == 0 || x >= 1)) return false;
  if (t_x < 0 || t_x > T) return false;
  return x > 0 || t_x == 0;
}

// log of the odds that the customer has dropped out: [x > 0] a / (b + x - 1) *
// ((alpha + T) / (alpha + t_x))^(r + x); -inf when x = 0.
double LogOddsDead(const BgNbdParams& p, double x, double t_x, double T) {
  if (x == 0) return -std::numeric_limits<double>::infinity();
  return std::log(p.a) - std::log(p.b + x - 1) +
         (p.r + x) * (std::log(p.alpha + T) - std::log(p.alpha + t_x));
}

// E[Y(t) | alive at T] by the series form documented in the header; NaN when Boost's series
// fails or reports an error above kSeriesTolerance. E[Y(t) | alive] = c / (a - 1) * (the
// bracket times (a - 1)), so c multiplies the first term and cancels the second's 1 / c: nothing
// divides by c, which is <= 0 when a + b < 1 and x = 0.
double ExpectedIfAliveSeries(const BgNbdParams& p, double x, double T, double t, double z) {
  const double log_ratio = std::log1p(t / (p.alpha + T));  // -log(1 - z)
  const double u = -(p.a - 1) * log_ratio;                 // (a - 1) log(1 - z)
  const double expm1_over_u = u == 0 ? 1.0 : std::expm1(u) / u;
  const double A = p.a + p.b - 1 - p.r;
  const double c = p.a + p.b + x - 1;
  double series = 0;
  double abs_error = 0;
  try {
    series = boost::math::hypergeometric_pFq({A + 1, p.a, 1.0}, {c + 1, 2.0}, z, &abs_error);
  } catch (...) {  // Boost reports non-convergence by exception: fall back to quadrature.
    return kNaN;
  }
  if (!std::isfinite(series) || abs_error > kSeriesTolerance * std::max(1.0, std::abs(series))) {
    return kNaN;
  }
  return c * log_ratio * expm1_over_u - std::exp(u) * A * z * series;
}

// E[Y(t) | alive at T] as E[(1 - (1 + q s)^-(r+x)) / q] over the dropout probability
// q ~ Beta(a, b + x), s = t / (alpha + T), by tanh-sinh quadrature. The density's endpoint
// singularities (q^(a-1) when a < 1, (1 - q)^(b+x-1) when b + x < 1) are removed by splitting at
// q = 1/2 and substituting q = u^(1/a) on the left (q^(a-1) dq = du / a) and 1 - q = v^(1/(b+x))
// on the right ((1 - q)^(b+x-1) dq = dv / (b + x)).
double ExpectedIfAliveQuadrature(const BgNbdParams& p, double x, double T, double t) {
  const double s = t / (p.alpha + T);
  const double k = p.r + x;
  const double beta = p.b + x;
  const double log_norm = LogBeta(p.a, beta);
  // (1 - (1 + q s)^-k) / q, whose limit at q = 0 (when u^(1/a) underflows) is k s.
  auto purchases = [&](double q) {
    return q > 0 ? -std::expm1(-k * std::log1p(q * s)) / q : k * s;
  };
  auto left = [&](double u) {  // q = u^(1/a) in [0, 1/2]
    const double q = std::exp(std::log(u) / p.a);
    return std::exp((beta - 1) * std::log1p(-q) - log_norm - std::log(p.a)) * purchases(q);
  };
  auto right = [&](double v) {  // 1 - q = v^(1/beta) in [0, 1/2]
    const double one_minus_q = std::exp(std::log(v) / beta);
    return std::exp((p.a - 1) * std::log1p(-one_minus_q) - log_norm - std::log(beta)) *
           purchases(1 - one_minus_q);
  };
  try {
    // The integrator is cheap to build relative to an integration; one per call keeps the
    // function free of shared state.
    boost::math::quadrature::tanh_sinh<double> integrator;
    double value = integrator.integrate(left, 0.0, std::exp2(-p.a), kQuadratureTolerance);
    // The right half's weight is below 2^-beta: nothing to add once that underflows.
    if (beta < 1000) {
      value += integrator.integrate(right, 0.0, std::exp2(-beta), kQuadratureTolerance);
    }
    return std::isfinite(value) ? value : kNaN;
  } catch (...) {  // Boost's evaluation errors: no finite answer.
    return kNaN;
  }
}

// E[Y(t) | alive at T]; assumes validated arguments and t > 0.
double ExpectedIfAlive(const BgNbdParams& p, double x, double T, double t) {
  const double z = t / (p.alpha + T + t);
  if (z <= kSeriesMaxZ) {
    const double value = ExpectedIfAliveSeries(p, x, T, t, z);
    if (std::isfinite(value)) return value;
  }
  return ExpectedIfAliveQuadrature(p, x, T, t);
}

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

}  // namespace

Status ValidateBgNbdParams(const BgNbdParams& params) {
  const struct {
    const char* name;
    double value;
  } fields[] = {{"r", params.r}, {"alpha", params.alpha}, {"a", params.a}, {"b", params.b}};
  for (const auto& f : fields) {
    if (!PositiveFinite(f.value)) {
      return Status::InvalidArgument(std::string("BG/NBD parameter ") + f.name +
                                     " must be positive and finite, got " + Number(f.value));
    }
  }
  return Status::Ok();
}

Status ValidateGammaGammaParams(const GammaGammaParams& params) {
  const struct {
    const char* name;
    double value;
  } fields[] = {{"p", params.p}, {"q", params.q}, {"gamma", params.gamma}};
  for (const auto& f : fields) {
    if (!PositiveFinite(f.value)) {
      return Status::InvalidArgument(std::string("Gamma-Gamma parameter ") + f.name +
                                     " must be positive and finite, got " + Number(f.value));
    }
  }
  if (params.q <= 1) {
    return Status::InvalidArgument(
        "Gamma-Gamma parameter q must be greater than 1 (the mean spend is infinite otherwise), "
        "got " +
        Number(params.q));
  }
  return Status::Ok();
}

Status ValidateClvInputs(const ClvInputs& in) {
  if (!std::isfinite(in.x) || !(in.x == 0 || in.x >= 1)) {
    return Status::InvalidArgument("x must be 0 or at least 1, got " + Number(in.x));
  }
  if (!std::isfinite(in.T) || in.T < 0) {
    return Status::InvalidArgument("T must be finite and non-negative, got " + Number(in.T));
  }
  if (!std::isfinite(in.t_x) || in.t_x < 0 || in.t_x > in.T) {
    return Status::InvalidArgument("t_x must be within [0, T], got " + Number(in.t_x) +
                                   " with T = " + Number(in.T));
  }
  if (in.x == 0 && in.t_x != 0) {
    return Status::InvalidArgument("t_x must be 0 when x = 0, got " + Number(in.t_x));
  }
  if (!std::isfinite(in.mean_spend)) {
    return Status::InvalidArgument("mean_spend must be finite, got " + Number(in.mean_spend));
  }
  return Status::Ok();
}

double ProbabilityAlive(const BgNbdParams& params, double x, double t_x, double T) {
  if (!ValidParams(params) || !ValidSummary(x, t_x, T)) return kNaN;
  const double log_odds = LogOddsDead(params, x, t_x, T);
  // 1 / (1 + e^l), computed on the side where e^(+-l) cannot overflow.
  if (log_odds > 0) {
    const double e = std::exp(-log_odds);
    return e / (1 + e);
  }
  return 1 / (1 + std::exp(log_odds));
}

double ExpectedPurchases(const BgNbdParams& params, double x, double t_x, double T, double t) {
  if (!ValidParams(params) || !ValidSummary(x, t_x, T) || !std::isfinite(t) || t < 0) {
    return kNaN;
  }
  if (t == 0) return 0;
  return ProbabilityAlive(params, x, t_x, T) * ExpectedIfAlive(params, x, T, t);
}

double ExpectedPurchasesUnconditional(const BgNbdParams& params, double t) {
  return ExpectedPurchases(params, 0, 0, 0, t);
}

double ExpectedSpendPerPurchase(const GammaGammaParams& params, double x, double mean_spend) {
  if (!ValidParams(params) || !std::isfinite(x) || x < 0) return kNaN;
  if (x == 0) return params.p * params.gamma / (params.q - 1);
  if (!std::isfinite(mean_spend)) return kNaN;
  const double px = params.p * x;
  return (params.p * params.gamma + px * mean_spend) / (px + params.q - 1);
}

double PredictedClv(const BgNbdParams& bgnbd, const GammaGammaParams& gamma_gamma,
                    const ClvInputs& inputs, int horizon_weeks, double annual_discount_rate) {
  if (!ValidParams(bgnbd) || !ValidParams(gamma_gamma) ||
      !ValidSummary(inputs.x, inputs.t_x, inputs.T) || !std::isfinite(annual_discount_rate) ||
      annual_discount_rate < 0) {
    return kNaN;
  }
  if (horizon_weeks <= 0) return 0;
  const double spend = ExpectedSpendPerPurchase(gamma_gamma, inputs.x, inputs.mean_spend);
  const double log_weekly = std::log1p(annual_discount_rate) * (7 / 365.25);  // log(1 + w)
  double previous = 0;
  double discounted = 0;
  for (int k = 1; k <= horizon_weeks; ++k) {
    const double cumulative = ExpectedIfAlive(bgnbd, inputs.x, inputs.T, k);
    discounted += (cumulative - previous) * std::exp(-k * log_weekly);
    previous = cumulative;
  }
  return spend * ProbabilityAlive(bgnbd, inputs.x, inputs.t_x, inputs.T) * discounted;
}

double BgNbdLogLikelihood(const BgNbdParams& params, double x, double t_x, double T) {
  if (!ValidParams(params) || !ValidSummary(x, t_x, T)) return kNaN;
  const double r = params.r, alpha = params.alpha, a = params.a, b = params.b;
  // log[Gamma(r+x) alpha^r / Gamma(r)] + log[B(a, b+x) / B(a, b)]
  const double common = LogGamma(r + x) - LogGamma(r) + r * std::log(alpha) + LogGamma(a + b) +
                        LogGamma(b + x) - LogGamma(b) - LogGamma(a + b + x);
  const double alive = -(r + x) * std::log(alpha + T);
  if (x == 0) return common + alive;
  // B(a+1, b+x-1) / B(a, b+x) = a / (b+x-1)
  const double dead = std::log(a) - std::log(b + x - 1) - (r + x) * std::log(alpha + t_x);
  return common + LogSumExp(alive, dead);
}

double GammaGammaLogLikelihood(const GammaGammaParams& params, double x, double mean_spend) {
  if (!PositiveFinite(params.p) || !PositiveFinite(params.q) || !PositiveFinite(params.gamma) ||
      !std::isfinite(x) || x < 1 || !PositiveFinite(mean_spend)) {
    return kNaN;
  }
  const double p = params.p, q = params.q, gamma = params.gamma;
  const double px = p * x;
  return LogGamma(px + q) - LogGamma(px) - LogGamma(q) + q * std::log(gamma) + px * std::log(x) +
         (px - 1) * std::log(mean_spend) - (px + q) * std::log(gamma + x * mean_spend);
}

}  // namespace touchstream::state
