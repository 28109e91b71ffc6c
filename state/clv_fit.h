// Fitting the customer-value models of state/clv_model.h to a transaction history: reading the
// transactions, summarizing each customer as (x, t_x, T, mean spend) for a calibration period,
// maximum-likelihood estimation of BG/NBD and Gamma-Gamma (NLopt's BOBYQA in log-parameter
// space), and the calibration/holdout comparison of predicted and actual repeat purchases.
// Backs `touchstream clv fit`.
//
// Time is in weeks of 7 calendar days (UTC). As in the literature, several purchases of one
// customer on one day are one transaction (their amounts added). A customer's first purchase day
// is their "birth"; x counts the later purchase days up to and including the calibration end day;
// t_x is the weeks from the first to the last of those days; T the weeks from the first purchase
// day to the calibration end day. Customers whose first purchase is after the calibration end are
// not part of the cohort and are left out (counted).
//
// Functions are pure apart from reading the named file, thread-safe, and never throw.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "state/clv_model.h"

namespace touchstream::state {

// Transaction file formats:
//  - kCdnow: whitespace-separated columns, one transaction a line: customer id, [sample id,]
//    date YYYYMMDD, quantity, amount (4 or 5 columns; the CDNOW data sets of Fader and Hardie).
//    Blank lines and lines starting with '#' are skipped, and so is a column-header first line
//    (the first line that is not blank or a comment, when none of its fields is a number, as
//    in the copy of CDNOW in the Python lifetimes package).
//  - kJsonl: Touchstream events in JSON Lines (see connectors/codec.h). Only events with
//    "type": "purchase" count; they need "customer_id", and "ts" (RFC 3339 text or epoch
//    milliseconds); "properties.amount" (a number) is the value, 0 when absent, as in the
//    engine's aggregates. Other events are skipped. Blank lines are skipped.
enum class TransactionFormat { kCdnow, kJsonl };

// "cdnow" or "jsonl"; InvalidArgument naming the unknown name otherwise.
Result<TransactionFormat> ParseTransactionFormat(std::string_view name);

struct Transaction {
  std::string customer_id;
  int64_t day = 0;  // days since 1970-01-01 (UTC)
  double amount = 0;
};

// Reads every transaction of a file. NotFound when it cannot be opened; InvalidArgument
// "FILE:LINE: what is wrong" for the first bad line (bad column count, date, number, JSON,
// missing customer_id or ts); IOError when reading fails midway.
Result<std::vector<Transaction>> ReadTransactions(const std::string& path,
                                                  TransactionFormat format);
// The same from a stream; `name` stands for the file in messages.
Result<std::vector<Transaction>> ReadTransactions(std::istream& in, const std::string& name,
                                                  TransactionFormat format);

// "YYYY-MM-DD" as days since 1970-01-01; nullopt when not a valid calendar date in that form.
std::optional<int64_t> ParseIsoDay(std::string_view text);
// Days since 1970-01-01 as "YYYY-MM-DD".
std::string FormatIsoDay(int64_t day);

struct CustomerSummary {
  std::string customer_id;
  // x, t_x, T in weeks; mean_spend: mean value of the repeat purchase days (0 when x = 0).
  ClvInputs inputs;
  // Purchase days after the calibration end, up to and including the holdout end (0 without a
  // holdout period).
  int64_t holdout_purchases = 0;
};

struct CustomerSummaries {
  // The cohort, sorted by customer id.
  std::vector<CustomerSummary> customers;
  int64_t transactions = 0;               // transactions read (all customers, all dates)
  int64_t calibration_purchase_days = 0;  // of the cohort, after the same-day merge
  int64_t holdout_purchase_days = 0;      // of the cohort, in the holdout period
  int64_t later_customers = 0;            // first purchase after the calibration end: left out
  int64_t ignored_transactions = 0;  // after the holdout end (or the calibration end without one)
  int64_t first_day = 0;             // earliest purchase day of the cohort
};

// Summarizes each customer for a calibration period ending (inclusive) on calibration_end_day
// and an optional holdout period (calibration_end_day, holdout_end_day]. Transactions may come
// in any order. Requires holdout_end_day > calibration_end_day when given.
CustomerSummaries SummarizeCustomers(std::span<const Transaction> transactions,
                                     int64_t calibration_end_day,
                                     std::optional<int64_t> holdout_end_day);

struct BgNbdFit {
  BgNbdParams params;
  double log_likelihood = 0;  // summed over the customers
  int evaluations = 0;        // of the log-likelihood
  // Names of parameters that ended at the search bounds [1e-6, 1e6] (the data do not identify
  // them); empty normally.
  std::vector<std::string> at_bounds;
};

// Maximum-likelihood BG/NBD parameters. InvalidArgument when there are no customers or no
// repeat purchases at all (the model is not identified); Internal when the optimizer fails.
Result<BgNbdFit> FitBgNbd(std::span<const CustomerSummary> customers);

struct GammaGammaFit {
  GammaGammaParams params;
  double log_likelihood = 0;
  int64_t customers = 0;  // those with x >= 1 and a positive mean spend, the ones fitted
  int evaluations = 0;
  std::vector<std::string> at_bounds;
};

// Maximum-likelihood Gamma-Gamma parameters from the customers with x >= 1 and mean_spend > 0.
// InvalidArgument when there are none. The result may have q <= 1 (a population without a
// finite mean spend); ValidateGammaGammaParams tells.
Result<GammaGammaFit> FitGammaGamma(std::span<const CustomerSummary> customers);

struct HoldoutRow {
  std::string label;  // "0", "1", ..., "7+", or "all"
  int64_t customers = 0;
  double actual = 0;     // sum of their holdout purchases
  double predicted = 0;  // sum of their E[Y(holdout_weeks) | x, t_x, T]
};

struct HoldoutComparison {
  double weeks = 0;
  // Customers grouped by repeat purchases in calibration: 0 .. max_x - 1, then "max_x+".
  std::vector<HoldoutRow> by_x;
  HoldoutRow total;
};

// Predicted vs actual holdout purchases, per calibration repeat count and in total.
HoldoutComparison CompareHoldout(const BgNbdParams& params,
                                 std::span<const CustomerSummary> customers, double holdout_weeks,
                                 int max_x = 7);

struct ClvFitOptions {
  std::string path;
  TransactionFormat format = TransactionFormat::kJsonl;
  int64_t calibration_end_day = 0;
  std::optional<int64_t> holdout_end_day;
};

struct ClvFitReport {
  CustomerSummaries summaries;
  BgNbdFit bg_nbd;
  GammaGammaFit gamma_gamma;
  std::optional<HoldoutComparison> holdout;
};

// Reads, summarizes, fits both models and compares the holdout. The errors of ReadTransactions,
// FitBgNbd and FitGammaGamma; InvalidArgument when the holdout end is not after the calibration
// end or no customer bought on or before the calibration end.
Result<ClvFitReport> FitClv(const ClvFitOptions& options);

}  // namespace touchstream::state
