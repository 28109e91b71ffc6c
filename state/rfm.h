// RFM: recency (whole days since the last purchase), frequency (purchases in a window) and
// monetary value (spend in a window), each scored 1-5 (5 best), and a named segment from an
// ordered table of score conditions.
//
// Scores, for breakpoints b0 <= b1 <= b2 <= b3:
//   recency  (lower is better):  score = 1 + #{bi : days  <= bi}   (days <= b0 -> 5, > b3 -> 1)
//   frequency, monetary (higher): score = 1 + #{bi : value >= bi}  (value < b0 -> 1, >= b3 -> 5)
// A customer who has never purchased has scores 0 and the segment no_purchase_segment.
//
// Breakpoints come from the config (scoring "breakpoints") or, with scoring "quantiles", from
// the whole store: ComputeRfmQuantileBreakpoints over every customer who has purchased, as of
// one time, using nearest-rank quantiles at 20/40/60/80 % (recency: the value at rank
// ceil(p*N); frequency and monetary: the value at rank floor(p*N)+1, the least value of the top
// (1-p) share), so that each score holds about a fifth of the purchasers. The engine
// recomputes them every `refresh` (see CustomerAnalytics::SetRfmBreakpoints).
//
// Segments: the first row whose condition holds, else default_segment. A condition is
// comparisons of r, f, m with an integer, joined by "&&" (or "and"): "r >= 4 && f >= 4";
// operators >= <= > < == (or =); "*" matches everything.
//
// Pure functions unless stated; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "state/state_store.h"
#include "state/window_declaration.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

struct RfmBreakpoints {
  // Four non-decreasing numbers each (see the top of this file for how they score).
  std::array<double, 4> recency_days = {7, 30, 90, 180};
  std::array<double, 4> frequency = {1, 2, 4, 8};
  std::array<double, 4> monetary = {50, 200, 500, 1000};

  bool operator==(const RfmBreakpoints&) const = default;
};

enum class RfmScoring { kBreakpoints, kQuantiles };

// One row of the segment table: score ranges (inclusive) that must all hold.
struct RfmSegment {
  std::string name;
  std::string condition;               // as written
  std::array<int, 3> min = {1, 1, 1};  // r, f, m
  std::array<int, 3> max = {5, 5, 5};

  bool Matches(int r, int f, int m) const;
};

struct RfmConfig {
  // The purchase event type and its amount property (int or double).
  std::string purchase_event = "purchase";
  std::string amount_property = "amount";
  // Frequency counts purchases, monetary sums amounts, over these windows (whole buckets).
  int64_t frequency_window_ms = 365 * kMsPerDay;
  int64_t monetary_window_ms = 365 * kMsPerDay;
  // Bucket width of the purchase window. Default 1d.
  int64_t bucket_ms = kMsPerDay;
  // Default: breakpoints.
  RfmScoring scoring = RfmScoring::kBreakpoints;
  // Quantiles only: how often the engine recomputes the breakpoints. Default 24h.
  int64_t refresh_ms = 24 * 3'600'000;
  // Breakpoints mode: the breakpoints. Quantiles mode: used until the first refresh.
  RfmBreakpoints breakpoints;
  // The segment table, first match wins. Default: DefaultRfmSegments().
  std::vector<RfmSegment> segments;
  // Segment when no row matches. Default "others".
  std::string default_segment = "others";
  // Segment of customers who have never purchased. Default "prospects".
  std::string no_purchase_segment = "prospects";

  RfmConfig();
};

// Parses one segment row. InvalidArgument naming the mistake, e.g.
// "expected comparisons like 'r >= 4' joined by '&&', got 'x >= 4'", or "'r >= 6' never holds".
Result<RfmSegment> ParseRfmSegment(std::string_view name, std::string_view condition);

// champions: r >= 4 && f >= 4 && m >= 4; loyal: r >= 3 && f >= 4; new: r >= 4 && f <= 2;
// potential_loyalists: r >= 4; at_risk: r <= 2 && f >= 3; lost: r == 1; hibernating: r <= 2.
std::vector<RfmSegment> DefaultRfmSegments();

// Ok when windows are positive multiples of the bucket (at most 1000 buckets), breakpoints
// are finite and non-decreasing, segment names are non-empty. Messages name the key.
Status ValidateRfmConfig(const RfmConfig& config);

int ScoreRecency(double days, const std::array<double, 4>& breakpoints);
int ScoreHigherIsBetter(double value, const std::array<double, 4>& breakpoints);

// The declaration of the purchase window kept in Rfm.purchases: SUM of the amount over the
// longer of the two windows.
WindowDeclaration RfmPurchaseDeclaration(const RfmConfig& config);

// Whole days from the last purchase to now_ms (floor, never negative), or -1 when none.
int64_t RfmRecencyDays(const v1::Rfm& rfm, int64_t now_ms);

// Recomputes the derived fields of *rfm (as_of_ms, frequency, monetary, scores, segment) as of
// now_ms from its inputs.
void RefreshRfm(const RfmConfig& config, const RfmBreakpoints& breakpoints, int64_t now_ms,
                v1::Rfm* rfm);

// Quantile breakpoints of the given values (one entry per purchasing customer, any order);
// `fallback` for a dimension with no values.
RfmBreakpoints RfmQuantileBreakpoints(std::vector<double> recency_days,
                                      std::vector<double> frequency, std::vector<double> monetary,
                                      const RfmBreakpoints& fallback);

// The values quantile breakpoints are computed from, collected customer by customer (for
// scans of the store made in steps). Memory: 24 bytes per purchasing customer.
class RfmSample {
 public:
  RfmSample(const RfmConfig& config, int64_t now_ms) : config_(config), now_ms_(now_ms) {}
  // Adds the customer's values as of now_ms when it has purchased.
  void Add(const v1::CustomerState& customer);
  // Quantile breakpoints of the values added (config.breakpoints when there are none).
  RfmBreakpoints Breakpoints() &&;

 private:
  const RfmConfig& config_;
  int64_t now_ms_;
  std::vector<double> recency_, frequency_, monetary_;
};

// Scans every customer of `store` (ForEachCustomer) and returns the quantile breakpoints of
// recency, frequency and monetary as of now_ms over the customers with a purchase
// (rfm.last_purchase_ms set); config.breakpoints when there are none. Memory: 24 bytes per
// purchasing customer; time: one pass over the store plus a sort. Errors: the store's
// (Corruption, IOError). Not thread-safe with other users of the store (StateStore's rule).
Result<RfmBreakpoints> ComputeRfmQuantileBreakpoints(StateStore& store, const RfmConfig& config,
                                                     int64_t now_ms);

}  // namespace touchstream::state
