// touchstream clv fit --transactions FILE --format cdnow|jsonl --calibration-end YYYY-MM-DD
//                     [--holdout-end YYYY-MM-DD] [--json]
// Fits the customer-value models (state/clv_fit.h) and prints the parameters, log-likelihoods,
// the calibration/holdout comparison and a `clv:` config block to paste into the engine config.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "state/clv_fit.h"

namespace touchstream::engine {

namespace {

namespace po = boost::program_options;

// Shortest text that reads back as the same double ("null" for non-finite: JSON has no NaN).
std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  for (int digits = 6; digits < 17; ++digits) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", digits, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return text;
}

// `digits` significant digits, for tables and the config block.
std::string Fixed(double v, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*g", digits, v);
  return text;
}

std::string JsonString(const std::string& s) {  // dates and parameter names only: no escapes
  return "\"" + s + "\"";
}

std::string JsonNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + JsonString(names[i]);
  return out + "]";
}

std::string JsonRow(const state::HoldoutRow& row) {
  return "{\"x\":" + JsonString(row.label) + ",\"customers\":" + std::to_string(row.customers) +
         ",\"actual\":" + JsonNumber(row.actual) + ",\"predicted\":" + JsonNumber(row.predicted) +
         "}";
}

void PrintJson(const state::ClvFitReport& report, const state::ClvFitOptions& options,
               std::ostream& out) {
  const auto& s = report.summaries;
  const auto& bg = report.bg_nbd;
  const auto& gg = report.gamma_gamma;
  out << "{\"transactions\":" << s.transactions << ",\"customers\":" << s.customers.size()
      << ",\"later_customers\":" << s.later_customers
      << ",\"calibration_start\":" << JsonString(state::FormatIsoDay(s.first_day))
      << ",\"calibration_end\":" << JsonString(state::FormatIsoDay(options.calibration_end_day))
      << ",\"calibration_purchase_days\":" << s.calibration_purchase_days
      << ",\"bg_nbd\":{\"r\":" << JsonNumber(bg.params.r)
      << ",\"alpha\":" << JsonNumber(bg.params.alpha) << ",\"a\":" << JsonNumber(bg.params.a)
      << ",\"b\":" << JsonNumber(bg.params.b)
      << ",\"log_likelihood\":" << JsonNumber(bg.log_likelihood)
      << ",\"evaluations\":" << bg.evaluations << ",\"at_bounds\":" << JsonNames(bg.at_bounds)
      << "},\"gamma_gamma\":{\"p\":" << JsonNumber(gg.params.p)
      << ",\"q\":" << JsonNumber(gg.params.q) << ",\"gamma\":" << JsonNumber(gg.params.gamma)
      << ",\"log_likelihood\":" << JsonNumber(gg.log_likelihood)
      << ",\"customers\":" << gg.customers << ",\"evaluations\":" << gg.evaluations
      << ",\"at_bounds\":" << JsonNames(gg.at_bounds) << "}";
  if (report.holdout) {
    const auto& h = *report.holdout;
    out << ",\"holdout\":{\"end\":" << JsonString(state::FormatIsoDay(*options.holdout_end_day))
        << ",\"weeks\":" << JsonNumber(h.weeks) << ",\"total\":" << JsonRow(h.total)
        << ",\"by_x\":[";
    for (size_t i = 0; i < h.by_x.size(); ++i) out << (i ? "," : "") << JsonRow(h.by_x[i]);
    out << "]}";
  }
  out << "}\n";
}

void PrintTable(const state::ClvFitReport& report, const state::ClvFitOptions& options,
                std::ostream& out) {
  const auto& s = report.summaries;
  const auto& bg = report.bg_nbd;
  const auto& gg = report.gamma_gamma;
  char line[256];
  out << options.path << ": " << s.transactions << " transactions; " << s.customers.size()
      << " customers first bought " << state::FormatIsoDay(s.first_day) << " .. "
      << state::FormatIsoDay(options.calibration_end_day) << " (" << s.calibration_purchase_days
      << " purchase days in calibration, same-day purchases merged)";
  if (s.later_customers > 0) out << "; " << s.later_customers << " later customers left out";
  out << "\n\n";
  std::snprintf(line, sizeof line,
                "BG/NBD       r = %-10.6g alpha = %-10.6g a = %-10.6g b = %-10.6g "
                "log-likelihood = %.2f\n",
                bg.params.r, bg.params.alpha, bg.params.a, bg.params.b, bg.log_likelihood);
  out << line;
  std::snprintf(line, sizeof line,
                "Gamma-Gamma  p = %-10.6g q     = %-10.6g gamma = %-10.6g "
                "log-likelihood = %.2f (%lld customers with repeat purchases)\n",
                gg.params.p, gg.params.q, gg.params.gamma, gg.log_likelihood,
                static_cast<long long>(gg.customers));
  out << line;
  for (const auto& name : bg.at_bounds) {
    out << "warning: BG/NBD parameter " << name
        << " ended at a search bound: the data do not identify it\n";
  }
  for (const auto& name : gg.at_bounds) {
    out << "warning: Gamma-Gamma parameter " << name
        << " ended at a search bound: the data do not identify it\n";
  }
  if (gg.params.q <= 1) {
    out << "warning: Gamma-Gamma q <= 1: the population has no finite mean spend, and the "
           "engine config requires q > 1\n";
  }
  if (report.holdout) {
    const auto& h = *report.holdout;
    out << "\nHoldout " << state::FormatIsoDay(options.calibration_end_day + 1) << " .. "
        << state::FormatIsoDay(*options.holdout_end_day) << " (" << Fixed(h.weeks, 4)
        << " weeks): purchase days per customer, by repeat purchases in calibration\n";
    std::snprintf(line, sizeof line, "  %-6s %10s %14s %14s\n", "x", "customers", "actual",
                  "predicted");
    out << line;
    for (const auto& row : h.by_x) {
      const double n = row.customers > 0 ? static_cast<double>(row.customers) : 1;
      std::snprintf(line, sizeof line, "  %-6s %10lld %14.3f %14.3f\n", row.label.c_str(),
                    static_cast<long long>(row.customers), row.actual / n, row.predicted / n);
      out << line;
    }
    std::snprintf(line, sizeof line, "  %-6s %10lld %14.1f %14.1f   (totals)\n", "all",
                  static_cast<long long>(h.total.customers), h.total.actual, h.total.predicted);
    out << line;
  }
  out << "\nFor the engine config:\n"
      << "clv:\n"
      << "  bg_nbd: {r: " << Fixed(bg.params.r, 6) << ", alpha: " << Fixed(bg.params.alpha, 6)
      << ", a: " << Fixed(bg.params.a, 6) << ", b: " << Fixed(bg.params.b, 6) << "}\n"
      << "  gamma_gamma: {p: " << Fixed(gg.params.p, 6) << ", q: " << Fixed(gg.params.q, 6)
      << ", gamma: " << Fixed(gg.params.gamma, 6) << "}\n";
}

int FitCommand(int argc, char** argv) {
  std::string action, transactions, format = "jsonl", calibration_end, holdout_end;
  bool json = false;
  po::options_description options("clv fit options");
  options.add_options()("action", po::value(&action)->required(), "fit")(
      "transactions,t", po::value(&transactions)->required(),
      "transaction file: Touchstream events (JSON Lines) or CDNOW text")(
      "format,f", po::value(&format)->default_value("jsonl"),
      "jsonl (purchase events) or cdnow (id [sample-id] YYYYMMDD quantity amount; a "
      "column-header first line is skipped)")(
      "calibration-end", po::value(&calibration_end)->required(),
      "last day of the calibration period, YYYY-MM-DD (inclusive)")(
      "holdout-end", po::value(&holdout_end),
      "last day of the holdout period, YYYY-MM-DD: compares predicted and actual purchases")(
      "json", po::bool_switch(&json), "print one JSON object instead of tables");
  po::positional_options_description positional;
  positional.add("action", 1);
  po::variables_map vm;
  const std::string usage =
      "touchstream clv fit --transactions FILE --format cdnow|jsonl --calibration-end YYYY-MM-DD "
      "[--holdout-end YYYY-MM-DD] [--json]";
  if (auto exit = ParseCommandLine(argc, argv, usage, options, &positional, &vm)) return *exit;
  if (action != "fit") {
    std::cerr << "touchstream: unknown clv action '" << action << "'\nusage: " << usage << "\n";
    return 2;
  }
  state::ClvFitOptions fit;
  fit.path = transactions;
  auto parsed_format = state::ParseTransactionFormat(format);
  if (!parsed_format.ok()) {
    std::cerr << "touchstream: --format: " << parsed_format.status().message()
              << "\nusage: " << usage << "\n";
    return 2;
  }
  fit.format = *parsed_format;
  const auto calibration_day = state::ParseIsoDay(calibration_end);
  if (!calibration_day) {
    std::cerr << "touchstream: --calibration-end: expected a date YYYY-MM-DD, got '"
              << calibration_end << "'\nusage: " << usage << "\n";
    return 2;
  }
  fit.calibration_end_day = *calibration_day;
  if (vm.count("holdout-end")) {
    const auto holdout_day = state::ParseIsoDay(holdout_end);
    if (!holdout_day) {
      std::cerr << "touchstream: --holdout-end: expected a date YYYY-MM-DD, got '" << holdout_end
                << "'\nusage: " << usage << "\n";
      return 2;
    }
    fit.holdout_end_day = *holdout_day;
  }
  auto report = state::FitClv(fit);
  if (!report.ok()) {
    std::cerr << "touchstream: " << report.status().message() << "\n";
    return 1;
  }
  if (json) {
    PrintJson(*report, fit, std::cout);
  } else {
    PrintTable(*report, fit, std::cout);
  }
  return 0;
}

}  // namespace

int ClvCommand(int argc, char** argv) {
  return FitCommand(argc, argv);
}

}  // namespace touchstream::engine
