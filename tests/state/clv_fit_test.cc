// Fitting the customer-value models: reading CDNOW and JSON Lines transactions (errors name
// file:line), per-customer summaries (same-day merge, weeks, calibration/holdout split), maximum
// likelihood on data simulated from known parameters, and the holdout comparison.
#include "state/clv_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/testing/temp_dir.h"

namespace touchstream::state {
namespace {

Result<std::vector<Transaction>> Read(const std::string& text, TransactionFormat format) {
  std::istringstream in(text);
  return ReadTransactions(in, "tx.txt", format);
}

int64_t Day(const char* iso) {
  return *ParseIsoDay(iso);
}

// CDNOW lines with and without the sample-id column, comments and blank lines.
TEST(StateClvFitTest, ReadsCdnow) {
  auto tx = Read(
      " 00004 0001 19970101  2   29.33\n"
      "# comment\n"
      "\n"
      "00021 19970102 1 10.5\r\n",
      TransactionFormat::kCdnow);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  ASSERT_EQ(tx->size(), 2u);
  EXPECT_EQ((*tx)[0].customer_id, "00004");
  EXPECT_EQ((*tx)[0].day, Day("1997-01-01"));
  EXPECT_DOUBLE_EQ((*tx)[0].amount, 29.33);
  EXPECT_EQ((*tx)[1].customer_id, "00021");
  EXPECT_EQ((*tx)[1].day, Day("1997-01-02"));
  EXPECT_DOUBLE_EQ((*tx)[1].amount, 10.5);
}

// A column-header first line (after comments and blank lines) is skipped; the same line later
// in the file is an error, as is a first line with a number in it.
TEST(StateClvFitTest, CdnowSkipsAColumnHeaderFirstLine) {
  auto tx = Read(
      "# CDNOW sample\n"
      "\n"
      "customer_id sample_id date quantity amount\n"
      "00004 0001 19970101 2 29.33\n",
      TransactionFormat::kCdnow);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  ASSERT_EQ(tx->size(), 1u);
  EXPECT_EQ((*tx)[0].customer_id, "00004");
  EXPECT_DOUBLE_EQ((*tx)[0].amount, 29.33);

  auto late = Read("00004 19970101 2 29.33\nid date quantity amount\n", TransactionFormat::kCdnow);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().message().rfind("tx.txt:2: bad date 'date'", 0), 0u)
      << late.status().message();
  auto numeric = Read("id 19970101 quantity amount\n", TransactionFormat::kCdnow);
  ASSERT_FALSE(numeric.ok());
  EXPECT_EQ(numeric.status().message().rfind("tx.txt:1: bad quantity 'quantity'", 0), 0u)
      << numeric.status().message();
}

// Every bad CDNOW line is reported with file:line and what is wrong.
TEST(StateClvFitTest, CdnowErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"1 19970101 1 2\n1 2 3\n", "tx.txt:2: expected 4 or 5 columns"},
      {"1 19970230 1 2\n", "tx.txt:1: bad date '19970230'"},
      {"1 1997-01-01 1 2\n", "tx.txt:1: bad date '1997-01-01'"},
      {"\n1 19970101 x 2\n", "tx.txt:2: bad quantity 'x'"},
      {"1 19970101 1 2$\n", "tx.txt:1: bad amount '2$'"},
  };
  for (const Case& c : cases) {
    auto tx = Read(c.text, TransactionFormat::kCdnow);
    ASSERT_FALSE(tx.ok()) << c.text;
    EXPECT_EQ(tx.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(tx.status().message().rfind(c.message, 0), 0u) << tx.status().message();
  }
}

// JSON Lines: purchases only, RFC 3339 or epoch-millisecond times, amount optional.
TEST(StateClvFitTest, ReadsJsonl) {
  auto tx = Read(
      R"({"customer_id":"c-1","type":"purchase","ts":"2026-01-05T23:30:00-02:00","properties":{"amount":12.5}})"
      "\n"
      R"({"customer_id":"c-1","type":"page_view","ts":"2026-01-05T10:00:00Z"})"
      "\n\n"
      R"({"customer_id":"c-2","type":"purchase","ts":1767225600000,"properties":{"amount":3}})"
      "\n"
      R"({"customer_id":"c-2","type":"purchase","ts":"2026-01-01"})"
      "\n",
      TransactionFormat::kJsonl);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  ASSERT_EQ(tx->size(), 3u);
  EXPECT_EQ((*tx)[0].day, Day("2026-01-06"));  // 01:30 UTC the next day
  EXPECT_DOUBLE_EQ((*tx)[0].amount, 12.5);
  EXPECT_EQ((*tx)[1].day, Day("2026-01-01"));
  EXPECT_DOUBLE_EQ((*tx)[1].amount, 3);
  EXPECT_DOUBLE_EQ((*tx)[2].amount, 0);
}

TEST(StateClvFitTest, JsonlErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"{\"type\":\"login\"}\n{not json\n", "tx.txt:2: invalid JSON"},
      {"[1]\n", "tx.txt:1: expected a JSON object"},
      {R"({"type":"purchase","ts":"2026-01-01"})", "tx.txt:1: field 'customer_id'"},
      {R"({"customer_id":"c","type":"purchase"})", "tx.txt:1: field 'ts'"},
      {R"({"customer_id":"c","type":"purchase","ts":"yesterday"})", "tx.txt:1: field 'ts'"},
      {R"({"customer_id":"c","type":"purchase","ts":1,"properties":{"amount":"9"}})",
       "tx.txt:1: field 'properties.amount'"},
      {R"({"customer_id":"c"})", "tx.txt:1: field 'type'"},
  };
  for (const Case& c : cases) {
    auto tx = Read(c.text, TransactionFormat::kJsonl);
    ASSERT_FALSE(tx.ok()) << c.text;
    EXPECT_EQ(tx.status().message().rfind(c.message, 0), 0u) << tx.status().message();
  }
}

TEST(StateClvFitTest, MissingFileAndFormatNames) {
  auto tx = ReadTransactions("/nonexistent/tx.jsonl", TransactionFormat::kJsonl);
  EXPECT_EQ(tx.status().code(), Status::Code::kNotFound);
  EXPECT_NE(tx.status().message().find("/nonexistent/tx.jsonl"), std::string::npos);
  EXPECT_TRUE(ParseTransactionFormat("cdnow").ok());
  EXPECT_TRUE(ParseTransactionFormat("jsonl").ok());
  EXPECT_FALSE(ParseTransactionFormat("csv").ok());
  EXPECT_FALSE(ParseIsoDay("1997-02-29").has_value());
  EXPECT_FALSE(ParseIsoDay("1997-9-30").has_value());
  EXPECT_EQ(FormatIsoDay(Day("1997-09-30")), "1997-09-30");
}

// The first CDNOW customer: x = 2, t_x = 30.43, T = 38.86 (the README's figures); same-day
// purchases merge; holdout days are counted; a customer born after the calibration is left out.
TEST(StateClvFitTest, SummariesMergeSameDayAndSplitPeriods) {
  auto tx = Read(
      "00004 0001 19970101 2 29.33\n"
      "00004 0001 19970118 2 29.73\n"
      "00004 0001 19970802 1 14.96\n"
      "00004 0001 19971212 2 26.48\n"
      "00005 0002 19970105 1 10\n"
      "00005 0002 19970105 1 5\n"  // same day as the first: not a repeat purchase
      "00005 0002 19970301 1 7\n"
      "00005 0002 19970301 1 1\n"   // same day: one repeat purchase worth 8
      "00009 0003 19971001 1 1\n"   // first purchase after the calibration end
      "00004 0001 19990101 1 1\n",  // after the holdout end
      TransactionFormat::kCdnow);
  ASSERT_TRUE(tx.ok());
  const CustomerSummaries s = SummarizeCustomers(*tx, Day("1997-09-30"), Day("1998-06-30"));
  ASSERT_EQ(s.customers.size(), 2u);
  EXPECT_EQ(s.transactions, 10);
  EXPECT_EQ(s.later_customers, 1);
  EXPECT_EQ(s.ignored_transactions, 1);
  EXPECT_EQ(s.first_day, Day("1997-01-01"));
  const CustomerSummary& c4 = s.customers[0];
  EXPECT_EQ(c4.customer_id, "00004");
  EXPECT_EQ(c4.inputs.x, 2);
  EXPECT_NEAR(c4.inputs.t_x, 30.43, 0.005);
  EXPECT_NEAR(c4.inputs.T, 38.86, 0.005);
  EXPECT_DOUBLE_EQ(c4.inputs.mean_spend, (29.73 + 14.96) / 2);
  EXPECT_EQ(c4.holdout_purchases, 1);
  const CustomerSummary& c5 = s.customers[1];
  EXPECT_EQ(c5.inputs.x, 1);
  EXPECT_DOUBLE_EQ(c5.inputs.mean_spend, 8);
  EXPECT_DOUBLE_EQ(c5.inputs.t_x, 55.0 / 7);
  EXPECT_EQ(c5.holdout_purchases, 0);
  EXPECT_EQ(s.calibration_purchase_days, 5);
  EXPECT_EQ(s.holdout_purchase_days, 1);
}

// Transactions drawn from BG/NBD and Gamma-Gamma with known parameters (fixed seed), by day.
std::vector<Transaction> Simulate(const BgNbdParams& bg, const GammaGammaParams& gg, int customers,
                                  int64_t end_day, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Transaction> out;
  for (int i = 0; i < customers; ++i) {
    const double lambda = std::gamma_distribution<double>(bg.r, 1 / bg.alpha)(rng);
    const double g1 = std::gamma_distribution<double>(bg.a, 1)(rng);
    const double g2 = std::gamma_distribution<double>(bg.b, 1)(rng);
    const double p = g1 / (g1 + g2);
    const double nu = std::gamma_distribution<double>(gg.q, 1 / gg.gamma)(rng);
    std::gamma_distribution<double> spend(gg.p, 1 / nu);
    const int64_t birth = std::uniform_int_distribution<int64_t>(0, 83)(rng);
    const std::string id = "c" + std::to_string(i);
    out.push_back({id, birth, spend(rng)});
    double weeks = 0;
    std::exponential_distribution<double> gap(lambda);
    std::bernoulli_distribution dropout(p);
    while (true) {
      weeks += gap(rng);
      const auto day = birth + static_cast<int64_t>(std::floor(weeks * 7));
      if (day > end_day) break;
      out.push_back({id, day, spend(rng)});
      if (dropout(rng)) break;
    }
  }
  return out;
}

// Maximum likelihood recovers the generating parameters, and is a maximum: moving any
// parameter by 1% either way lowers the log-likelihood. Holdout predictions match actuals.
TEST(StateClvFitTest, FitRecoversSimulatedParameters) {
  const BgNbdParams bg{0.6, 8, 0.7, 3};
  const GammaGammaParams gg{5, 4, 20};
  const std::vector<Transaction> tx = Simulate(bg, gg, 6000, 2 * 273, 42);
  const CustomerSummaries s = SummarizeCustomers(tx, 273, 2 * 273);
  ASSERT_EQ(s.customers.size(), 6000u);

  auto fit = FitBgNbd(s.customers);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_TRUE(fit->at_bounds.empty());
  EXPECT_NEAR(fit->params.r, bg.r, 0.15 * bg.r);
  EXPECT_NEAR(fit->params.alpha, bg.alpha, 0.2 * bg.alpha);
  EXPECT_NEAR(fit->params.a, bg.a, 0.3 * bg.a);
  EXPECT_NEAR(fit->params.b, bg.b, 0.3 * bg.b);
  auto total_ll = [&](const BgNbdParams& p) {
    double sum = 0;
    for (const auto& c : s.customers)
      sum += BgNbdLogLikelihood(p, c.inputs.x, c.inputs.t_x, c.inputs.T);
    return sum;
  };
  EXPECT_NEAR(total_ll(fit->params), fit->log_likelihood, 1e-6 * std::abs(fit->log_likelihood));
  for (int i = 0; i < 4; ++i) {
    for (double factor : {0.99, 1.01}) {
      BgNbdParams moved = fit->params;
      double* field[] = {&moved.r, &moved.alpha, &moved.a, &moved.b};
      *field[i] *= factor;
      EXPECT_LT(total_ll(moved), fit->log_likelihood) << "parameter " << i << " x " << factor;
    }
  }

  auto spend = FitGammaGamma(s.customers);
  ASSERT_TRUE(spend.ok()) << spend.status().ToString();
  EXPECT_NEAR(spend->params.p * spend->params.gamma / (spend->params.q - 1),
              gg.p * gg.gamma / (gg.q - 1), 0.1 * gg.p * gg.gamma / (gg.q - 1));
  EXPECT_NEAR(spend->params.p, gg.p, 0.2 * gg.p);
  EXPECT_TRUE(ValidateGammaGammaParams(spend->params).ok());

  const HoldoutComparison h = CompareHoldout(fit->params, s.customers, 39);
  EXPECT_EQ(h.total.customers, 6000);
  EXPECT_EQ(h.by_x.size(), 8u);
  EXPECT_EQ(h.by_x.back().label, "7+");
  EXPECT_DOUBLE_EQ(h.total.actual, static_cast<double>(s.holdout_purchase_days));
  EXPECT_NEAR(h.total.predicted, h.total.actual, 0.1 * h.total.actual);
  int64_t grouped = 0;
  for (const auto& row : h.by_x) grouped += row.customers;
  EXPECT_EQ(grouped, 6000);
}

// Data that cannot identify the models is an error, not a made-up answer.
TEST(StateClvFitTest, UnidentifiedModelsAreErrors) {
  const CustomerSummaries none = SummarizeCustomers({}, 100, std::nullopt);
  EXPECT_EQ(FitBgNbd(none.customers).status().code(), Status::Code::kInvalidArgument);
  const std::vector<Transaction> singles = {{"a", 1, 5}, {"b", 2, 5}};
  const CustomerSummaries s = SummarizeCustomers(singles, 100, std::nullopt);
  EXPECT_NE(FitBgNbd(s.customers).status().message().find("no repeat purchases"),
            std::string::npos);
  EXPECT_EQ(FitGammaGamma(s.customers).status().code(), Status::Code::kInvalidArgument);
}

// FitClv end to end on a file; a holdout end before the calibration end is refused.
TEST(StateClvFitTest, FitClvFromFile) {
  const std::vector<Transaction> tx = Simulate({0.6, 8, 0.7, 3}, {5, 4, 20}, 1500, 2 * 273, 7);
  const test::TempDir dir("clv_fit_test");
  const std::filesystem::path path = dir.File("transactions.txt");
  {
    std::ofstream out(path);
    for (const auto& t : tx) {
      out << t.customer_id << " " << FormatIsoDay(t.day).replace(4, 1, "").replace(6, 1, "")
          << " 1 " << t.amount << "\n";
    }
  }
  ClvFitOptions options;
  options.path = path.string();
  options.format = TransactionFormat::kCdnow;
  options.calibration_end_day = 273;
  options.holdout_end_day = 2 * 273;
  auto report = FitClv(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->summaries.customers.size(), 1500u);
  ASSERT_TRUE(report->holdout.has_value());
  EXPECT_DOUBLE_EQ(report->holdout->weeks, 39);
  options.holdout_end_day = 200;
  EXPECT_EQ(FitClv(options).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace touchstream::state
