#include "state/clv_fit.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <nlopt.hpp>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "base/time_format.h"

namespace touchstream::state {

namespace {

constexpr int64_t kMsPerDay = 86'400'000;
constexpr double kDaysPerWeek = 7;
// Search bounds of every parameter (the optimizer works on their logarithms).
constexpr double kMinParam = 1e-6;
constexpr double kMaxParam = 1e6;

std::string LineRef(const std::string& name, int line) {
  return name + ":" + std::to_string(line) + ": ";
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool ParseDouble(std::string_view text, double* out) {
  if (text.empty()) return false;
  std::string copy(text);  // strtod needs a terminated string
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value)) return false;
  *out = value;
  return true;
}

// A valid calendar date from its parts, as days since 1970-01-01.
std::optional<int64_t> CivilDay(int64_t year, unsigned month, unsigned day) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  const int64_t days = DaysFromCivil(year, month, day);
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  if (y != year || m != month || d != day) return std::nullopt;  // e.g. February 30
  return days;
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int64_t> ParseCompactDay(std::string_view text) {  // YYYYMMDD
  if (text.size() != 8 || !AllDigits(text)) return std::nullopt;
  int year = 0, month = 0, day = 0;
  std::from_chars(text.data(), text.data() + 4, year);
  std::from_chars(text.data() + 4, text.data() + 6, month);
  std::from_chars(text.data() + 6, text.data() + 8, day);
  return CivilDay(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

// True when no whitespace-separated field of `line` is a number: a column-header line such as
// "customer_id sample_id date quantity amount" (never a transaction, whose date, quantity and
// amount are numbers).
bool IsCdnowHeader(const std::string& line) {
  std::istringstream fields(line);
  double ignored = 0;
  for (std::string column; fields >> column;) {
    if (ParseDouble(column, &ignored)) return false;
  }
  return true;
}

// One CDNOW line (already known not to be blank or a comment).
Status ParseCdnowLine(const std::string& line, const std::string& where, Transaction* out) {
  std::istringstream fields(line);
  std::vector<std::string> columns;
  for (std::string column; fields >> column;) columns.push_back(column);
  if (columns.size() != 4 && columns.size() != 5) {
    return Status::InvalidArgument(
        where + "expected 4 or 5 columns (customer id, [sample id,] date YYYYMMDD, quantity, " +
        "amount), got " + std::to_string(columns.size()));
  }
  const size_t date_column = columns.size() - 3;
  const std::optional<int64_t> day = ParseCompactDay(columns[date_column]);
  if (!day) {
    return Status::InvalidArgument(where + "bad date '" + columns[date_column] +
                                   "' (expected YYYYMMDD)");
  }
  double quantity = 0;
  if (!ParseDouble(columns[date_column + 1], &quantity)) {
    return Status::InvalidArgument(where + "bad quantity '" + columns[date_column + 1] + "'");
  }
  double amount = 0;
  if (!ParseDouble(columns[date_column + 2], &amount)) {
    return Status::InvalidArgument(where + "bad amount '" + columns[date_column + 2] + "'");
  }
  out->customer_id = columns[0];
  out->day = *day;
  out->amount = amount;
  return Status::Ok();
}

// One JSON Lines event; *is_purchase false for other event types (nothing else is set then).
Status ParseJsonlLine(const std::string& line, const std::string& where, Transaction* out,
                      bool* is_purchase) {
  *is_purchase = false;
  const nlohmann::json event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) return Status::InvalidArgument(where + "invalid JSON");
  if (!event.is_object()) return Status::InvalidArgument(where + "expected a JSON object");
  const auto type = event.find("type");
  if (type == event.end() || !type->is_string()) {
    return Status::InvalidArgument(where + "field 'type': expected a string");
  }
  if (type->get_ref<const std::string&>() != "purchase") return Status::Ok();
  const auto customer = event.find("customer_id");
  if (customer == event.end() || !customer->is_string() ||
      customer->get_ref<const std::string&>().empty()) {
    return Status::InvalidArgument(where + "field 'customer_id': expected a non-empty string");
  }
  const auto ts = event.find("ts");
  std::optional<int64_t> ms;
  if (ts != event.end() && ts->is_string()) {
    ms = ParseRfc3339Ms(ts->get_ref<const std::string&>());
  } else if (ts != event.end() && ts->is_number_integer()) {
    ms = ts->get<int64_t>();
  }
  if (!ms) {
    return Status::InvalidArgument(
        where + "field 'ts': a purchase needs its time (RFC 3339 text or epoch milliseconds)");
  }
  double amount = 0;
  const auto properties = event.find("properties");
  if (properties != event.end()) {
    if (!properties->is_object()) {
      return Status::InvalidArgument(where + "field 'properties': expected an object");
    }
    const auto value = properties->find("amount");
    if (value != properties->end()) {
      if (!value->is_number() || !std::isfinite(value->get<double>())) {
        return Status::InvalidArgument(where + "field 'properties.amount': expected a number");
      }
      amount = value->get<double>();
    }
  }
  out->customer_id = customer->get<std::string>();
  out->day = FloorDiv(*ms, kMsPerDay);
  out->amount = amount;
  *is_purchase = true;
  return Status::Ok();
}

// Log-likelihood summed over groups of identical customers, as a function of log-parameters.
struct Objective {
  std::function<double(const std::vector<double>&)> log_likelihood;
  int evaluations = 0;
};

double CallObjective(const std::vector<double>& theta, std::vector<double>& /*gradient*/,
                     void* data) {
  auto* objective = static_cast<Objective*>(data);
  ++objective->evaluations;
  const double value = objective->log_likelihood(theta);
  // BOBYQA needs finite values; a non-finite likelihood is as bad as can be.
  return std::isfinite(value) ? value : -1e300;
}

struct Maximum {
  std::vector<double> params;
  double log_likelihood = 0;
  int evaluations = 0;
  std::vector<std::string> at_bounds;
};

// Maximizes objective over log-parameters from `start` with BOBYQA, restarting from the best
// point until a restart no longer improves the log-likelihood (BOBYQA's trust region can stop
// early on flat ridges).
Result<Maximum> Maximize(Objective* objective, std::vector<double> start,
                         const std::vector<std::string>& names) {
  const size_t n = start.size();
  for (double& v : start) v = std::log(std::clamp(v, kMinParam * 10, kMaxParam / 10));
  double best = -HUGE_VAL;
  std::vector<double> theta = start;
  try {
    for (int round = 0; round < 10; ++round) {
      nlopt::opt opt(nlopt::LN_BOBYQA, static_cast<unsigned>(n));
      opt.set_lower_bounds(std::log(kMinParam));
      opt.set_upper_bounds(std::log(kMaxParam));
      opt.set_max_objective(CallObjective, objective);
      opt.set_xtol_rel(1e-12);
      opt.set_ftol_abs(1e-12);
      opt.set_maxeval(20000);
      opt.set_initial_step(round == 0 ? 0.5 : 0.05);
      double value = -HUGE_VAL;
      try {
        opt.optimize(theta, value);
      } catch (const nlopt::roundoff_limited&) {
        // theta holds the best point found; precision is all that was lost.
        value = objective->log_likelihood(theta);
      }
      const bool improved = value > best + 1e-9;
      best = std::max(best, value);
      if (!improved) break;
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("optimizer failed: ") + e.what());
  }
  if (!std::isfinite(best) || best <= -1e300) {
    return Status::Internal("optimizer found no finite log-likelihood");
  }
  Maximum result;
  result.log_likelihood = best;
  result.evaluations = objective->evaluations;
  for (size_t i = 0; i < n; ++i) {
    result.params.push_back(std::exp(theta[i]));
    if (std::abs(theta[i] - std::log(kMinParam)) < 1e-3 ||
        std::abs(theta[i] - std::log(kMaxParam)) < 1e-3) {
      result.at_bounds.push_back(names[i]);
    }
  }
  return result;
}

}  // namespace

Result<TransactionFormat> ParseTransactionFormat(std::string_view name) {
  if (name == "cdnow") return TransactionFormat::kCdnow;
  if (name == "jsonl") return TransactionFormat::kJsonl;
  return Status::InvalidArgument("unknown transaction format '" + std::string(name) +
                                 "' (expected cdnow or jsonl)");
}

Result<std::vector<Transaction>> ReadTransactions(std::istream& in, const std::string& name,
                                                  TransactionFormat format) {
  std::vector<Transaction> transactions;
  std::string line;
  int number = 0;
  bool first_data_line = true;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (format == TransactionFormat::kCdnow) {
      if (line[start] == '#') continue;
      const bool header = first_data_line && IsCdnowHeader(line);
      first_data_line = false;
      if (header) continue;
    }
    Transaction transaction;
    bool keep = true;
    const std::string where = LineRef(name, number);
    Status status = format == TransactionFormat::kCdnow
                        ? ParseCdnowLine(line, where, &transaction)
                        : ParseJsonlLine(line, where, &transaction, &keep);
    if (!status.ok()) return status;
    if (keep) transactions.push_back(std::move(transaction));
  }
  if (in.bad())
    return Status::IOError("error reading " + name + " after line " + std::to_string(number));
  return transactions;
}

Result<std::vector<Transaction>> ReadTransactions(const std::string& path,
                                                  TransactionFormat format) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read transaction file " + path);
  return ReadTransactions(in, path, format);
}

std::optional<int64_t> ParseIsoDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const std::string_view y = text.substr(0, 4), m = text.substr(5, 2), d = text.substr(8, 2);
  if (!AllDigits(y) || !AllDigits(m) || !AllDigits(d)) return std::nullopt;
  int year = 0, month = 0, day = 0;
  std::from_chars(y.data(), y.data() + y.size(), year);
  std::from_chars(m.data(), m.data() + m.size(), month);
  std::from_chars(d.data(), d.data() + d.size(), day);
  return CivilDay(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

std::string FormatIsoDay(int64_t day) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(day, &y, &m, &d);
  char text[32];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return text;
}

CustomerSummaries SummarizeCustomers(std::span<const Transaction> transactions,
                                     int64_t calibration_end_day,
                                     std::optional<int64_t> holdout_end_day) {
  CustomerSummaries out;
  out.transactions = static_cast<int64_t>(transactions.size());
  const int64_t last_day = holdout_end_day.value_or(calibration_end_day);
  // customer id -> (day -> amount), merging same-day purchases.
  std::unordered_map<std::string, std::map<int64_t, double>> days;
  for (const Transaction& t : transactions) days[t.customer_id][t.day] += t.amount;
  for (const Transaction& t : transactions) {
    if (t.day > last_day) ++out.ignored_transactions;
  }
  bool any = false;
  for (const auto& [id, purchases] : days) {
    const int64_t first = purchases.begin()->first;
    if (first > calibration_end_day) {
      ++out.later_customers;
      continue;
    }
    out.first_day = any ? std::min(out.first_day, first) : first;
    any = true;
    CustomerSummary summary;
    summary.customer_id = id;
    int64_t repeat_days = 0;
    int64_t last_purchase = first;
    double repeat_amount = 0;
    for (const auto& [day, amount] : purchases) {
      if (day == first) continue;
      if (day <= calibration_end_day) {
        ++repeat_days;
        last_purchase = day;
        repeat_amount += amount;
      } else if (day <= last_day) {
        ++summary.holdout_purchases;
      }
    }
    summary.inputs.x = static_cast<double>(repeat_days);
    summary.inputs.t_x = static_cast<double>(last_purchase - first) / kDaysPerWeek;
    summary.inputs.T = static_cast<double>(calibration_end_day - first) / kDaysPerWeek;
    summary.inputs.mean_spend = repeat_days > 0 ? repeat_amount / repeat_days : 0;
    out.calibration_purchase_days += 1 + repeat_days;
    out.holdout_purchase_days += summary.holdout_purchases;
    out.customers.push_back(std::move(summary));
  }
  std::sort(out.customers.begin(), out.customers.end(),
            [](const CustomerSummary& a, const CustomerSummary& b) {
              return a.customer_id < b.customer_id;
            });
  return out;
}

Result<BgNbdFit> FitBgNbd(std::span<const CustomerSummary> customers) {
  // Customers with the same (x, t_x, T) contribute the same term: evaluate it once.
  std::map<std::tuple<double, double, double>, int64_t> groups;
  double total_x = 0, total_T = 0;
  for (const CustomerSummary& c : customers) {
    ++groups[{c.inputs.x, c.inputs.t_x, c.inputs.T}];
    total_x += c.inputs.x;
    total_T += c.inputs.T;
  }
  if (customers.empty()) return Status::InvalidArgument("no customers to fit BG/NBD to");
  if (total_x == 0) {
    return Status::InvalidArgument(
        "no repeat purchases in the calibration period: BG/NBD cannot be fitted");
  }
  std::vector<std::pair<ClvInputs, double>> terms;
  for (const auto& [key, count] : groups) {
    terms.push_back(
        {{std::get<0>(key), std::get<1>(key), std::get<2>(key), 0}, static_cast<double>(count)});
  }
  Objective objective;
  objective.log_likelihood = [&terms](const std::vector<double>& theta) {
    const BgNbdParams p{std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2]),
                        std::exp(theta[3])};
    double sum = 0;
    for (const auto& [in, count] : terms) sum += count * BgNbdLogLikelihood(p, in.x, in.t_x, in.T);
    return sum;
  };
  // Start from r = 1 with alpha matching the mean purchase rate, and a = b = 1.
  auto maximum = Maximize(&objective, {1.0, std::max(1.0, total_T / total_x), 1.0, 1.0},
                          {"r", "alpha", "a", "b"});
  if (!maximum.ok()) return maximum.status();
  BgNbdFit fit;
  fit.params = {maximum->params[0], maximum->params[1], maximum->params[2], maximum->params[3]};
  fit.log_likelihood = maximum->log_likelihood;
  fit.evaluations = maximum->evaluations;
  fit.at_bounds = maximum->at_bounds;
  return fit;
}

Result<GammaGammaFit> FitGammaGamma(std::span<const CustomerSummary> customers) {
  std::vector<std::pair<double, double>> terms;  // (x, mean spend)
  double total_spend = 0;
  for (const CustomerSummary& c : customers) {
    if (c.inputs.x >= 1 && c.inputs.mean_spend > 0) {
      terms.push_back({c.inputs.x, c.inputs.mean_spend});
      total_spend += c.inputs.mean_spend;
    }
  }
  if (terms.empty()) {
    return Status::InvalidArgument(
        "no customer with a repeat purchase of positive value: Gamma-Gamma cannot be fitted");
  }
  Objective objective;
  objective.log_likelihood = [&terms](const std::vector<double>& theta) {
    const GammaGammaParams p{std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2])};
    double sum = 0;
    for (const auto& [x, m] : terms) sum += GammaGammaLogLikelihood(p, x, m);
    return sum;
  };
  // Start from p = 1, q = 2, with gamma matching the mean spend (p gamma / (q - 1)).
  const double mean_spend = total_spend / static_cast<double>(terms.size());
  auto maximum = Maximize(&objective, {1.0, 2.0, mean_spend}, {"p", "q", "gamma"});
  if (!maximum.ok()) return maximum.status();
  GammaGammaFit fit;
  fit.params = {maximum->params[0], maximum->params[1], maximum->params[2]};
  fit.log_likelihood = maximum->log_likelihood;
  fit.customers = static_cast<int64_t>(terms.size());
  fit.evaluations = maximum->evaluations;
  fit.at_bounds = maximum->at_bounds;
  return fit;
}

HoldoutComparison CompareHoldout(const BgNbdParams& params,
                                 std::span<const CustomerSummary> customers, double holdout_weeks,
                                 int max_x) {
  HoldoutComparison out;
  out.weeks = holdout_weeks;
  max_x = std::max(max_x, 1);
  out.by_x.resize(static_cast<size_t>(max_x) + 1);
  for (int i = 0; i <= max_x; ++i) {
    out.by_x[i].label = std::to_string(i) + (i == max_x ? "+" : "");
  }
  out.total.label = "all";
  for (const CustomerSummary& c : customers) {
    const double predicted =
        ExpectedPurchases(params, c.inputs.x, c.inputs.t_x, c.inputs.T, holdout_weeks);
    const auto row_index = static_cast<size_t>(std::min<double>(c.inputs.x, max_x));
    for (HoldoutRow* row : {&out.by_x[row_index], &out.total}) {
      ++row->customers;
      row->actual += static_cast<double>(c.holdout_purchases);
      row->predicted += predicted;
    }
  }
  return out;
}

Result<ClvFitReport> FitClv(const ClvFitOptions& options) {
  if (options.holdout_end_day && *options.holdout_end_day <= options.calibration_end_day) {
    return Status::InvalidArgument("the holdout end (" + FormatIsoDay(*options.holdout_end_day) +
                                   ") must be after the calibration end (" +
                                   FormatIsoDay(options.calibration_end_day) + ")");
  }
  auto transactions = ReadTransactions(options.path, options.format);
  if (!transactions.ok()) return transactions.status();
  ClvFitReport report;
  report.summaries =
      SummarizeCustomers(*transactions, options.calibration_end_day, options.holdout_end_day);
  if (report.summaries.customers.empty()) {
    return Status::InvalidArgument("no customer in " + options.path +
                                   " bought on or before the calibration end " +
                                   FormatIsoDay(options.calibration_end_day));
  }
  auto bg_nbd = FitBgNbd(report.summaries.customers);
  if (!bg_nbd.ok()) return bg_nbd.status();
  report.bg_nbd = std::move(*bg_nbd);
  auto gamma_gamma = FitGammaGamma(report.summaries.customers);
  if (!gamma_gamma.ok()) return gamma_gamma.status();
  report.gamma_gamma = std::move(*gamma_gamma);
  if (options.holdout_end_day) {
    const double weeks =
        static_cast<double>(*options.holdout_end_day - options.calibration_end_day) / kDaysPerWeek;
    report.holdout = CompareHoldout(report.bg_nbd.params, report.summaries.customers, weeks);
  }
  return report;
}

}  // namespace touchstream::state
