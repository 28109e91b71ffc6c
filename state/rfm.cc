#include "state/rfm.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "proto/window_read.h"

namespace touchstream::state {

namespace {

struct DefaultRow {
  const char* name;
  const char* condition;
};
constexpr DefaultRow kDefaultSegments[] = {
    {"champions", "r >= 4 && f >= 4 && m >= 4"},
    {"loyal", "r >= 3 && f >= 4"},
    {"new", "r >= 4 && f <= 2"},
    {"potential_loyalists", "r >= 4"},
    {"at_risk", "r <= 2 && f >= 3"},
    {"lost", "r == 1"},
    {"hibernating", "r <= 2"},
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits on "&&" or the word "and".
std::vector<std::string_view> SplitConjunction(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    size_t skip = 0;
    if (i == text.size()) {
      skip = 1;
    } else if (text.substr(i, 2) == "&&") {
      skip = 2;
    } else if (text.substr(i, 3) == "and" &&
               (i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1]))) &&
               (i + 3 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 3])))) {
      skip = 3;
    }
    if (skip == 0) continue;
    out.push_back(Trim(text.substr(start, i - start)));
    start = i + skip;
    i += skip - 1;
  }
  return out;
}

double Quantile(const std::vector<double>& sorted, size_t rank_index) {
  return sorted[std::min(rank_index, sorted.size() - 1)];
}

}  // namespace

bool RfmSegment::Matches(int r, int f, int m) const {
  const int scores[3] = {r, f, m};
  for (int i = 0; i < 3; ++i) {
    if (scores[i] < min[i] || scores[i] > max[i]) return false;
  }
  return true;
}

RfmConfig::RfmConfig() : segments(DefaultRfmSegments()) {}

Result<RfmSegment> ParseRfmSegment(std::string_view name, std::string_view condition) {
  RfmSegment segment;
  segment.name = std::string(name);
  segment.condition = std::string(Trim(condition));
  if (name.empty()) return Status::InvalidArgument("a segment needs a name");
  if (segment.condition == "*") return segment;
  for (std::string_view part : SplitConjunction(condition)) {
    auto bad = [&]() {
      return Status::InvalidArgument(
          "expected comparisons like 'r >= 4' joined by '&&' (r, f, m; >= <= > < ==), got '" +
          std::string(part) + "'");
    };
    if (part.empty()) return bad();
    const size_t dimension = std::string_view("rfm").find(part[0]);
    if (dimension == std::string_view::npos) return bad();
    std::string_view rest = Trim(part.substr(1));
    std::string_view op;
    for (std::string_view candidate : {">=", "<=", "==", ">", "<", "="}) {
      if (rest.substr(0, candidate.size()) == candidate) {
        op = candidate;
        break;
      }
    }
    if (op.empty()) return bad();
    rest = Trim(rest.substr(op.size()));
    if (rest.size() != 1 || !std::isdigit(static_cast<unsigned char>(rest[0]))) return bad();
    const int n = rest[0] - '0';
    int lo = 1, hi = 5;
    if (op == ">=") lo = n;
    if (op == ">") lo = n + 1;
    if (op == "<=") hi = n;
    if (op == "<") hi = n - 1;
    if (op == "==" || op == "=") lo = hi = n;
    segment.min[dimension] = std::max(segment.min[dimension], lo);
    segment.max[dimension] = std::min(segment.max[dimension], hi);
    if (segment.min[dimension] > segment.max[dimension]) {
      return Status::InvalidArgument("'" + segment.condition + "' never holds (scores are 1 to 5)");
    }
  }
  return segment;
}

std::vector<RfmSegment> DefaultRfmSegments() {
  std::vector<RfmSegment> out;
  for (const DefaultRow& row : kDefaultSegments)
    out.push_back(*ParseRfmSegment(row.name, row.condition));
  return out;
}

Status ValidateRfmConfig(const RfmConfig& c) {
  auto window = [&](const char* key, int64_t ms) -> Status {
    if (ms <= 0 || c.bucket_ms <= 0 || ms % c.bucket_ms != 0 ||
        ms / c.bucket_ms > kMaxWindowBuckets) {
      return Status::InvalidArgument(std::string(key) + ": must be 1 to " +
                                     std::to_string(kMaxWindowBuckets) + " whole rfm.bucket (" +
                                     FormatConfigDuration(c.bucket_ms) + ")");
    }
    return Status::Ok();
  };
  if (Status s = window("rfm.frequency_window", c.frequency_window_ms); !s.ok()) return s;
  if (Status s = window("rfm.monetary_window", c.monetary_window_ms); !s.ok()) return s;
  auto ordered = [](const char* key, const std::array<double, 4>& b) -> Status {
    for (size_t i = 0; i < b.size(); ++i) {
      if (!std::isfinite(b[i]) || (i > 0 && b[i] < b[i - 1])) {
        return Status::InvalidArgument(std::string(key) + ": expected 4 non-decreasing numbers");
      }
    }
    return Status::Ok();
  };
  if (Status s = ordered("rfm.recency_days", c.breakpoints.recency_days); !s.ok()) return s;
  if (Status s = ordered("rfm.frequency", c.breakpoints.frequency); !s.ok()) return s;
  if (Status s = ordered("rfm.monetary", c.breakpoints.monetary); !s.ok()) return s;
  if (c.refresh_ms <= 0) return Status::InvalidArgument("rfm.refresh: must be positive");
  if (c.purchase_event.empty() || c.amount_property.empty()) {
    return Status::InvalidArgument("rfm.purchase_event and rfm.amount_property: must be set");
  }
  for (const RfmSegment& s : c.segments) {
    if (s.name.empty()) return Status::InvalidArgument("rfm.segments: a segment needs a name");
  }
  return Status::Ok();
}

int ScoreRecency(double days, const std::array<double, 4>& breakpoints) {
  int score = 1;
  for (double b : breakpoints) score += days <= b ? 1 : 0;
  return score;
}

int ScoreHigherIsBetter(double value, const std::array<double, 4>& breakpoints) {
  int score = 1;
  for (double b : breakpoints) score += value >= b ? 1 : 0;
  return score;
}

WindowDeclaration RfmPurchaseDeclaration(const RfmConfig& config) {
  WindowDeclaration d;
  d.name = "rfm.purchases";
  d.kind = v1::WindowState::SUM;
  d.event_type = config.purchase_event;
  d.property = config.amount_property;
  d.window_ms = std::max(config.frequency_window_ms, config.monetary_window_ms);
  d.bucket_ms = config.bucket_ms;
  return d;
}

int64_t RfmRecencyDays(const v1::Rfm& rfm, int64_t now_ms) {
  if (rfm.last_purchase_ms() == 0) return -1;
  const int64_t elapsed = now_ms - rfm.last_purchase_ms();
  return elapsed <= 0 ? 0 : elapsed / kMsPerDay;
}

void RefreshRfm(const RfmConfig& config, const RfmBreakpoints& breakpoints, int64_t now_ms,
                v1::Rfm* rfm) {
  rfm->set_as_of_ms(now_ms);
  const WindowReading frequency = ReadWindow(rfm->purchases(), now_ms, config.frequency_window_ms);
  const WindowReading monetary = ReadWindow(rfm->purchases(), now_ms, config.monetary_window_ms);
  rfm->set_frequency(frequency.count);
  rfm->set_monetary(monetary.value);
  const int64_t days = RfmRecencyDays(*rfm, now_ms);
  if (days < 0) {
    rfm->set_r_score(0);
    rfm->set_f_score(0);
    rfm->set_m_score(0);
    rfm->set_segment(config.no_purchase_segment);
    return;
  }
  const int r = ScoreRecency(static_cast<double>(days), breakpoints.recency_days);
  const int f = ScoreHigherIsBetter(static_cast<double>(frequency.count), breakpoints.frequency);
  const int m = ScoreHigherIsBetter(monetary.value, breakpoints.monetary);
  rfm->set_r_score(r);
  rfm->set_f_score(f);
  rfm->set_m_score(m);
  for (const RfmSegment& segment : config.segments) {
    if (segment.Matches(r, f, m)) {
      rfm->set_segment(segment.name);
      return;
    }
  }
  rfm->set_segment(config.default_segment);
}

RfmBreakpoints RfmQuantileBreakpoints(std::vector<double> recency_days,
                                      std::vector<double> frequency, std::vector<double> monetary,
                                      const RfmBreakpoints& fallback) {
  RfmBreakpoints out = fallback;
  // Nearest rank: lower-is-better uses rank ceil(p*N) (index ceil(p*N)-1); higher-is-better
  // uses rank floor(p*N)+1 (index floor(p*N)). p = k/5, computed in integers.
  auto lower = [](std::vector<double>& v, std::array<double, 4>* b) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    for (size_t k = 1; k <= 4; ++k) (*b)[k - 1] = Quantile(v, (k * v.size() + 4) / 5 - 1);
  };
  auto higher = [](std::vector<double>& v, std::array<double, 4>* b) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    for (size_t k = 1; k <= 4; ++k) (*b)[k - 1] = Quantile(v, k * v.size() / 5);
  };
  lower(recency_days, &out.recency_days);
  higher(frequency, &out.frequency);
  higher(monetary, &out.monetary);
  return out;
}

void RfmSample::Add(const v1::CustomerState& customer) {
  const v1::Rfm& rfm = customer.rfm();
  const int64_t days = RfmRecencyDays(rfm, now_ms_);
  if (days < 0) return;
  recency_.push_back(static_cast<double>(days));
  frequency_.push_back(
      static_cast<double>(ReadWindow(rfm.purchases(), now_ms_, config_.frequency_window_ms).count));
  monetary_.push_back(ReadWindow(rfm.purchases(), now_ms_, config_.monetary_window_ms).value);
}

RfmBreakpoints RfmSample::Breakpoints() && {
  return RfmQuantileBreakpoints(std::move(recency_), std::move(frequency_), std::move(monetary_),
                                config_.breakpoints);
}

Result<RfmBreakpoints> ComputeRfmQuantileBreakpoints(StateStore& store, const RfmConfig& config,
                                                     int64_t now_ms) {
  RfmSample sample(config, now_ms);
  const Status status = store.ForEachCustomer([&](const v1::CustomerState& customer) {
    sample.Add(customer);
    return true;
  });
  if (!status.ok()) return status;
  return std::move(sample).Breakpoints();
}

}  // namespace touchstream::state
