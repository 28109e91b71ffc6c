// Validation on the CDNOW sample (Fader, Hardie and Lee 2005; Fader and Hardie's Gamma-Gamma
// note): with a 39-week calibration period the fit must reproduce the published estimates to 3
// significant digits. Skipped when the data set (TOUCHSTREAM_CDNOW_DIR) is not on this machine.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "state/clv_fit.h"

namespace touchstream::state {
namespace {

// `value` rounded to 3 significant digits.
double ThreeDigits(double value) {
  const double scale = std::pow(10.0, 2 - std::floor(std::log10(std::abs(value))));
  return std::round(value * scale) / scale;
}

void ExpectThreeDigits(const char* name, double fitted, double published) {
  EXPECT_EQ(ThreeDigits(fitted), ThreeDigits(published))
      << name << ": fitted " << fitted << ", published " << published;
}

TEST(StateClvCdnowTest, ReproducesPublishedEstimates) {
  const std::filesystem::path path =
      std::filesystem::path(TOUCHSTREAM_CDNOW_DIR) / "CDNOW_sample.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is not here";
  ClvFitOptions options;
  options.path = path.string();
  options.format = TransactionFormat::kCdnow;
  options.calibration_end_day = *ParseIsoDay("1997-09-30");
  options.holdout_end_day = *ParseIsoDay("1998-06-30");
  const auto start = std::chrono::steady_clock::now();
  auto report = FitClv(options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  RecordProperty("fit_seconds", std::to_string(seconds));

  EXPECT_EQ(report->summaries.customers.size(), 2357u);
  EXPECT_EQ(report->summaries.transactions, 6919);
  const BgNbdParams& bg = report->bg_nbd.params;
  ExpectThreeDigits("r", bg.r, 0.243);
  ExpectThreeDigits("alpha", bg.alpha, 4.414);
  ExpectThreeDigits("a", bg.a, 0.793);
  ExpectThreeDigits("b", bg.b, 2.426);
  EXPECT_NEAR(report->bg_nbd.log_likelihood, -9582.4, 0.05);
  EXPECT_EQ(report->gamma_gamma.customers, 946);
  const GammaGammaParams& gg = report->gamma_gamma.params;
  ExpectThreeDigits("p", gg.p, 6.25);
  ExpectThreeDigits("q", gg.q, 3.74);
  ExpectThreeDigits("gamma", gg.gamma, 15.44);

  // The first customer of the sample, master id 4 (README of the data set).
  const CustomerSummary& first = report->summaries.customers.front();
  EXPECT_EQ(first.customer_id, "00004");
  EXPECT_EQ(first.inputs.x, 2);
  EXPECT_NEAR(first.inputs.t_x, 30.43, 0.005);
  EXPECT_NEAR(first.inputs.T, 38.86, 0.005);

  // Holdout: 39 weeks; predicted within 15% of actual in total.
  ASSERT_TRUE(report->holdout.has_value());
  EXPECT_DOUBLE_EQ(report->holdout->weeks, 39);
  EXPECT_NEAR(report->holdout->total.predicted, report->holdout->total.actual,
              0.15 * report->holdout->total.actual);
}

}  // namespace
}  // namespace touchstream::state
