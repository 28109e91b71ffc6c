// Customer-value models evaluated per customer: the BG/NBD model of repeat purchasing (Fader,
// Hardie and Lee, "Counting Your Customers the Easy Way", Marketing Science 24, 2005; equation
// numbers below refer to it) and the Gamma-Gamma model of spend per transaction (Fader and Hardie,
// "The Gamma-Gamma Model of Monetary Value", 2013).
//
// Time is in weeks. A customer is summarized by x (repeat purchases: purchase days after the first
// one), t_x (weeks from the first purchase to the last one; 0 when x = 0), T (weeks from the first
// purchase to now) and the mean value of the repeat purchases.
//
// Every function is pure, thread-safe and never throws. Preconditions (checked by
// ValidateBgNbdParams, ValidateGammaGammaParams and ValidateClvInputs, which callers use where
// parameters and summaries enter, e.g. when loading the config): parameters positive and finite,
// Gamma-Gamma q > 1; x = 0 or x >= 1; 0 <= t_x <= T; t_x = 0 when x = 0; t >= 0. Within them the
// results are finite for any x (tested up to several thousand) and any horizon; outside them every
// function returns NaN (cheaply checked, never undefined behaviour).
#pragma once

#include "base/status.h"

namespace touchstream::state {

// BG/NBD: purchase rate lambda ~ Gamma(shape r, rate alpha); after each purchase the customer
// drops out with probability p ~ Beta(a, b).
struct BgNbdParams {
  double r = 0;
  double alpha = 0;
  double a = 0;
  double b = 0;
};

// Gamma-Gamma: the value of each transaction ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q,
// rate gamma); the mean transaction value of the population is p * gamma / (q - 1).
struct GammaGammaParams {
  double p = 0;
  double q = 0;
  double gamma = 0;
};

// One customer's purchase summary (see the top of this file for units).
struct ClvInputs {
  double x = 0;           // repeat purchases
  double t_x = 0;         // weeks from the first purchase to the last one
  double T = 0;           // weeks from the first purchase to now (the customer's age)
  double mean_spend = 0;  // mean value of the repeat purchases (ignored when x = 0)
};

// InvalidArgument naming the offending field when a precondition above does not hold.
Status ValidateBgNbdParams(const BgNbdParams& params);
Status ValidateGammaGammaParams(const GammaGammaParams& params);
Status ValidateClvInputs(const ClvInputs& inputs);

// P(alive | x, t_x, T): 1 / (1 + [x > 0] a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)),
// evaluated as a logistic of the log-odds so that it never overflows.
double ProbabilityAlive(const BgNbdParams& params, double x, double t_x, double T);

// E[Y(t) | x, t_x, T]: expected purchases in the next t weeks (equation 10) =
// P(alive) * E[Y(t) | alive]. The Gauss hypergeometric term of equation 10,
//   1 - (1 - z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z),  z = t / (alpha + T + t),
// is rewritten with Euler's transformation and the factor (a - 1) divided out analytically:
//   = (a - 1) [ -log(1 - z) expm1(u) / u - (1 - z)^(a-1) (A z / c) 3F2(A+1, a, 1; c+1, 2; z) ]
// with u = (a - 1) log(1 - z), A = a + b - 1 - r, c = a + b + x - 1, so that the parameters of the
// series do not grow with x, a = 1 needs no special case and nothing overflows. For z <= 0.9 the
// 3F2 is summed by Boost.Math's hypergeometric_pFq (geometric convergence, at most a few hundred
// terms). Closer to 1 the series converges too slowly, and E[Y(t) | alive] is computed instead as
// its defining integral over the posterior of the dropout probability,
//   E[(1 - (1 + p t / (alpha + T))^-(r+x)) / p],  p ~ Beta(a, b + x),
// by Boost.Math's tanh-sinh quadrature (relative tolerance 1e-12), split at p = 1/2 with the
// substitutions p = u^(1/a) and 1 - p = v^(1/(b+x)) that remove the density's endpoint
// singularities (a < 1, b + x < 1); it also answers should Boost's series fail to converge. Cost:
// 0.3 to 3 microseconds by series, about 25 by quadrature.
double ExpectedPurchases(const BgNbdParams& params, double x, double t_x, double T, double t);

// E[X(t)]: expected purchases in the first t weeks after a customer's first purchase, for a
// customer drawn at random from the population (equation 9). Equals ExpectedPurchases with
// x = t_x = T = 0 and is evaluated that way.
double ExpectedPurchasesUnconditional(const BgNbdParams& params, double t);

// E[M | x, mean_spend]: expected value of a future transaction,
//   (q - 1) / (p x + q - 1) * p gamma / (q - 1) + p x / (p x + q - 1) * mean_spend,
// the population mean when x = 0.
double ExpectedSpendPerPurchase(const GammaGammaParams& params, double x, double mean_spend);

// Predicted customer value over the next horizon_weeks weeks, discounted:
//   E[M] * sum_{k=1..H} (E[Y(k)] - E[Y(k-1)]) / (1 + w)^k,
// the expected purchases of week k discounted to now from the end of that week, with the weekly
// rate w = (1 + annual_discount_rate)^(7 / 365.25) - 1. Costs H evaluations of E[Y(t) | alive]
// (52 weeks: 0.03 to 0.6 milliseconds). horizon_weeks <= 0 gives 0; annual_discount_rate >= 0.
double PredictedClv(const BgNbdParams& bgnbd, const GammaGammaParams& gamma_gamma,
                    const ClvInputs& inputs, int horizon_weeks, double annual_discount_rate);

// Log-likelihood of one customer's (x, t_x, T) under BG/NBD (equation 6), in log space with
// lgamma and a log-sum-exp of its two terms.
double BgNbdLogLikelihood(const BgNbdParams& params, double x, double t_x, double T);

// Log-density of a customer's mean transaction value over x >= 1 transactions under Gamma-Gamma:
//   log[ Gamma(px+q) / (Gamma(px) Gamma(q)) * gamma^q * x^(px) * m^(px-1) / (gamma + x m)^(px+q) ].
// Requires x >= 1 and mean_spend > 0; does not require q > 1 (the fit may explore q <= 1).
double GammaGammaLogLikelihood(const GammaGammaParams& params, double x, double mean_spend);

}  // namespace touchstream::state
