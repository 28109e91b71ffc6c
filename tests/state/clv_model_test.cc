// BG/NBD and Gamma-Gamma per-customer values against figures computed independently from the
// published formulas (Fader, Hardie and Lee 2005, equations 6, 9 and 10; Fader and Hardie's
// Gamma-Gamma note) with mpmath at 40 digits (hyp2f1 for equation 10, and the integral over the
// dropout probability where a = 1), and the numerical edge cases: x = 0, very large x, a + b < 1,
// a = 1, both evaluation paths (series and quadrature), invalid input.
#include "state/clv_model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace touchstream::state {
namespace {

// The CDNOW estimates of Fader, Hardie and Lee (2005) and of the Gamma-Gamma note.
const BgNbdParams kCdnow{0.243, 4.414, 0.793, 2.426};
const GammaGammaParams kCdnowSpend{6.25, 3.74, 15.44};

// Relative closeness, for values spanning many magnitudes.
void ExpectRel(double actual, double expected, double tolerance = 1e-9) {
  EXPECT_NEAR(actual, expected, tolerance * std::abs(expected))
      << "actual " << actual << " expected " << expected;
}

// The published example (the note "Computing P(alive) using the BG/NBD model" and equation 10):
// the first CDNOW customer, x = 2, t_x = 30.43, T = 38.86, expects 1.226 purchases in 39 weeks.
TEST(StateClvModelTest, PublishedExampleCustomer) {
  ExpectRel(ProbabilityAlive(kCdnow, 2, 30.43, 38.86), 0.72657857008067291);
  ExpectRel(ExpectedPurchases(kCdnow, 2, 30.43, 38.86, 39), 1.2260281747671444);
  EXPECT_NEAR(ExpectedPurchases(kCdnow, 2, 30.43, 38.86, 39), 1.226, 5e-4);
  ExpectRel(BgNbdLogLikelihood(kCdnow, 2, 30.43, 38.86), -9.4586063070662712);
}

// x = 0: alive for sure, expectations from equation 10 with x = 0.
TEST(StateClvModelTest, CustomerWithoutRepeatPurchases) {
  EXPECT_EQ(ProbabilityAlive(kCdnow, 0, 0, 38.86), 1.0);
  ExpectRel(ExpectedPurchases(kCdnow, 0, 0, 38.86, 39), 0.19509805201126264);
  ExpectRel(BgNbdLogLikelihood(kCdnow, 0, 0, 38.86), -0.55471327643815845);
  ExpectRel(ExpectedSpendPerPurchase(kCdnowSpend, 0, 0), 35.218978102189781);
}

// Equation 9: a new customer's expected purchases; 52 weeks has z > 0.9 (the quadrature path).
TEST(StateClvModelTest, UnconditionalExpectation) {
  ExpectRel(ExpectedPurchasesUnconditional(kCdnow, 39), 1.1967231933208168);
  ExpectRel(ExpectedPurchasesUnconditional(kCdnow, 52), 1.4460505953964037);
  EXPECT_EQ(ExpectedPurchasesUnconditional(kCdnow, 0), 0.0);
}

// Hundreds and thousands of purchases: no overflow, no NaN, exact values.
TEST(StateClvModelTest, VeryLargeX) {
  // 500 purchases, the last 10 weeks ago: almost surely gone.
  ExpectRel(ProbabilityAlive(kCdnow, 500, 300, 310), 6.0099313818534892e-5);
  ExpectRel(ExpectedPurchases(kCdnow, 500, 300, 310, 39), 0.003558917036602871);
  ExpectRel(ExpectedPurchases(kCdnow, 500, 300, 310, 520), 0.032555359009404568);
  ExpectRel(BgNbdLogLikelihood(kCdnow, 500, 300, 310), -265.6260491401529);
  // 500 purchases, the last one today: alive, buying about 1.6 a week.
  ExpectRel(ProbabilityAlive(kCdnow, 500, 310, 310), 0.99842100756841139);
  ExpectRel(ExpectedPurchases(kCdnow, 500, 310, 310, 39), 59.123762115925703);
  ExpectRel(ExpectedPurchases(kCdnow, 500, 310, 310, 520), 540.83736200490041);
  // 5000 purchases.
  ExpectRel(ProbabilityAlive(kCdnow, 5000, 3000, 3001), 0.99916345085904809);
  ExpectRel(ExpectedPurchases(kCdnow, 5000, 3000, 3001, 10), 16.601654514102958);
  ExpectRel(BgNbdLogLikelihood(kCdnow, 5000, 3000, 3001), -2465.1435162079736);
  // Extreme odds stay in [0, 1] and finite.
  const double p = ProbabilityAlive(kCdnow, 100000, 1, 5000);
  EXPECT_TRUE(std::isfinite(p));
  EXPECT_GE(p, 0.0);
  EXPECT_LT(p, 1e-300);
}

// Other parameter regimes: a + b < 1 (the hypergeometric's c <= 0 for x = 0), a = 1 (the
// (a - 1) factor that the header's rewrite divides out), a > 1; short and long horizons.
TEST(StateClvModelTest, OtherParameterRegimes) {
  const BgNbdParams small_ab{1.5, 10, 0.3, 0.4};
  ExpectRel(ExpectedPurchases(small_ab, 0, 0, 0, 20), 1.7846910896746022);
  ExpectRel(ExpectedPurchases(small_ab, 0, 0, 5, 200), 6.6245016258370033);
  ExpectRel(ExpectedPurchases(small_ab, 3, 4, 9, 20), 2.6942355775771994);
  const BgNbdParams a_is_one{2, 3, 1, 2};
  ExpectRel(ExpectedPurchases(a_is_one, 2, 5, 10, 8), 0.57705148329291377);
  ExpectRel(ExpectedPurchases(a_is_one, 0, 0, 0, 100), 7.0722333991230523);
  const BgNbdParams large_a{0.8, 2, 2.5, 4};
  ExpectRel(ExpectedPurchases(large_a, 4, 6, 12, 30), 0.65965984800985543);
  ExpectRel(ExpectedPurchases(large_a, 4, 6, 12, 300), 0.98462415583840697);
  ExpectRel(ExpectedPurchases(kCdnow, 5, 10, 40, 1), 0.0025458378580071503);
  ExpectRel(ExpectedPurchases(kCdnow, 7, 30, 35, 52), 5.6205224619335911);
  ExpectRel(ExpectedPurchases(kCdnow, 1, 1, 1, 1000), 15.565078309470185);
}

// The series and the quadrature agree where both apply: the expectation is continuous in t
// across z = 0.9, where the evaluation switches from one to the other.
TEST(StateClvModelTest, SeriesAndQuadratureAgreeAtTheSwitch) {
  for (const BgNbdParams& p : {kCdnow, BgNbdParams{1.5, 10, 0.3, 0.4}, BgNbdParams{2, 3, 1, 2}}) {
    for (double x : {0.0, 3.0, 40.0}) {
      const double T = x > 0 ? 20 : 0;
      const double t_switch = 9 * (p.alpha + T);  // z = t / (alpha + T + t) = 0.9
      const double below = ExpectedPurchases(p, x, T / 2 * (x > 0), T, t_switch);
      const double above = ExpectedPurchases(p, x, T / 2 * (x > 0), T, t_switch * (1 + 1e-12));
      ExpectRel(above, below, 1e-9);
    }
  }
}

// Expected purchases grow with the horizon and never exceed those of a customer known alive.
TEST(StateClvModelTest, ExpectationIsMonotoneInTime) {
  double previous = 0;
  for (double t = 1; t <= 2000; t *= 1.5) {
    const double e = ExpectedPurchases(kCdnow, 3, 20, 30, t);
    EXPECT_GT(e, previous) << "t = " << t;
    previous = e;
  }
}

// Gamma-Gamma: the posterior mean spend and the log-density of a mean.
TEST(StateClvModelTest, GammaGamma) {
  ExpectRel(ExpectedSpendPerPurchase(kCdnowSpend, 2, 22.345), 24.659612860892388);
  ExpectRel(GammaGammaLogLikelihood(kCdnowSpend, 2, 22.345), -3.5511891641399508);
  ExpectRel(GammaGammaLogLikelihood(kCdnowSpend, 500, 35), -3.9948509697332975);
  // Many purchases: the customer's own mean dominates.
  EXPECT_NEAR(ExpectedSpendPerPurchase(kCdnowSpend, 100000, 50), 50, 0.01);
}

// Predicted value: the discounted weekly increments of equation 10 times the expected spend.
TEST(StateClvModelTest, PredictedClv) {
  const ClvInputs example{2, 30.43, 38.86, 22.345};
  ExpectRel(PredictedClv(kCdnow, kCdnowSpend, example, 52, 0.10), 36.758424485969864);
  ExpectRel(PredictedClv(kCdnow, kCdnowSpend, example, 52, 0.0), 38.437451644833271);
  ExpectRel(PredictedClv(kCdnow, kCdnowSpend, {0, 0, 38.86, 0}, 52, 0.10), 8.4797834049424279);
  ExpectRel(PredictedClv(kCdnow, kCdnowSpend, {500, 310, 310, 35}, 104, 0.08), 4783.0061605624264);
  EXPECT_EQ(PredictedClv(kCdnow, kCdnowSpend, example, 0, 0.1), 0.0);
  // Without discounting, the value is expected spend times expected purchases.
  ExpectRel(PredictedClv(kCdnow, kCdnowSpend, example, 39, 0.0),
            ExpectedSpendPerPurchase(kCdnowSpend, 2, 22.345) *
                ExpectedPurchases(kCdnow, 2, 30.43, 38.86, 39));
}

// Invalid parameters or summaries give NaN (and the validators name the field).
TEST(StateClvModelTest, InvalidInput) {
  EXPECT_TRUE(std::isnan(ProbabilityAlive({0, 1, 1, 1}, 1, 1, 2)));
  EXPECT_TRUE(std::isnan(ExpectedPurchases(kCdnow, 0.5, 0, 2, 1)));
  EXPECT_TRUE(std::isnan(ExpectedPurchases(kCdnow, 2, 3, 2, 1)));         // t_x > T
  EXPECT_TRUE(std::isnan(ExpectedPurchases(kCdnow, 2, 1, 2, -1)));        // t < 0
  EXPECT_TRUE(std::isnan(ExpectedSpendPerPurchase({1, 0.5, 1}, 1, 10)));  // q <= 1
  EXPECT_TRUE(std::isnan(BgNbdLogLikelihood(kCdnow, 0, 1, 2)));           // t_x > 0 with x = 0
  EXPECT_TRUE(ValidateBgNbdParams(kCdnow).ok());
  Status s = ValidateBgNbdParams({0.2, -1, 1, 1});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("alpha"), std::string::npos) << s.message();
  s = ValidateGammaGammaParams({1, 1, 1});
  EXPECT_NE(s.message().find("q must be greater than 1"), std::string::npos) << s.message();
  EXPECT_TRUE(ValidateClvInputs({2, 30.43, 38.86, 22}).ok());
  s = ValidateClvInputs({2, 40, 38.86, 22});
  EXPECT_NE(s.message().find("t_x"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace touchstream::state
