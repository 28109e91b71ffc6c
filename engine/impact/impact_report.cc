#include "engine/impact/impact_report.h"

#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "engine/impact/lift_stats.h"

namespace touchstream::engine {

namespace {

struct RuleCounts {
  v1::ImpactCounts treatment;
  v1::ImpactCounts holdout;
};

// The arms in report order, with their names.
std::array<std::pair<const char*, const v1::ImpactCounts*>, 2> Arms(const RuleCounts& counts) {
  return {{{"treatment", &counts.treatment}, {"holdout", &counts.holdout}}};
}

std::string Printf(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::string JsonNumber(std::optional<double> value) {
  return value ? Printf("%.6g", *value) : "null";
}

std::optional<double> Rate(const v1::ImpactCounts& c) {
  if (c.decisions() == 0) return std::nullopt;
  return static_cast<double>(c.converted()) / static_cast<double>(c.decisions());
}

Lift LiftOf(const RuleCounts& c) {
  return ComputeLift(c.treatment.converted(), c.treatment.decisions(), c.holdout.converted(),
                     c.holdout.decisions());
}

void WriteJson(const std::map<std::string, RuleCounts>& rules, std::ostream& out) {
  out << "{\"rules\":[";
  bool first = true;
  for (const auto& [rule_id, counts] : rules) {
    out << (first ? "" : ",") << "{\"rule\":\"" << rule_id << "\",\"arms\":{";
    first = false;
    bool first_arm = true;
    for (const auto& [arm, arm_counts] : Arms(counts)) {
      const v1::ImpactCounts& c = *arm_counts;
      out << (first_arm ? "" : ",") << "\"" << arm << "\":{\"decisions\":" << c.decisions()
          << ",\"sent\":" << c.sent() << ",\"converted\":" << c.converted()
          << ",\"conversion_value\":" << JsonNumber(c.conversion_value())
          << ",\"rate\":" << JsonNumber(Rate(c)) << "}";
      first_arm = false;
    }
    const Lift lift = LiftOf(counts);
    out << "},\"lift\":{\"absolute\":" << JsonNumber(lift.absolute)
        << ",\"relative\":" << JsonNumber(lift.relative) << ",\"ci95_low\":"
        << JsonNumber(lift.absolute_ci ? std::optional(lift.absolute_ci->low) : std::nullopt)
        << ",\"ci95_high\":"
        << JsonNumber(lift.absolute_ci ? std::optional(lift.absolute_ci->high) : std::nullopt)
        << "}}";
  }
  out << "]}\n";
}

std::string Percent(std::optional<double> rate) {
  return rate ? Printf("%.2f%%", 100 * *rate) : "-";
}

// A signed difference in percentage points.
std::string Points(double difference) {
  return Printf("%+.2f", 100 * difference);
}

void WriteTable(const std::map<std::string, RuleCounts>& rules, std::ostream& out) {
  char line[256];
  std::snprintf(line, sizeof(line), "%-24s %-9s %10s %10s %10s %8s %14s\n", "rule", "arm",
                "decisions", "sent", "converted", "rate", "value");
  out << line;
  for (const auto& [rule_id, counts] : rules) {
    for (const auto& [arm, arm_counts] : Arms(counts)) {
      const v1::ImpactCounts& c = *arm_counts;
      std::snprintf(line, sizeof(line), "%-24s %-9s %10lld %10lld %10lld %8s %14.2f\n",
                    rule_id.c_str(), arm, static_cast<long long>(c.decisions()),
                    static_cast<long long>(c.sent()), static_cast<long long>(c.converted()),
                    Percent(Rate(c)).c_str(), c.conversion_value());
      out << line;
    }
    const Lift lift = LiftOf(counts);
    out << "  lift: ";
    if (!lift.absolute) {
      out << "n/a (needs decisions in both arms)\n";
      continue;
    }
    out << Points(*lift.absolute) << " pp (95% CI " << Points(lift.absolute_ci->low) << " .. "
        << Points(lift.absolute_ci->high) << " pp), relative "
        << (lift.relative ? Printf("%+.1f%%", 100 * *lift.relative) : "n/a") << "\n";
  }
}

}  // namespace

Status WriteImpactReport(state::StateStore* store, bool json, std::ostream& out) {
  std::map<std::string, RuleCounts> rules;
  Status s = store->ForEachImpactCounts(
      [&](const std::string& rule_id, const std::string& arm, const v1::ImpactCounts& counts) {
        if (arm == "treatment") rules[rule_id].treatment = counts;
        if (arm == "holdout") rules[rule_id].holdout = counts;
      });
  if (!s.ok()) return s;
  if (json) {
    WriteJson(rules, out);
  } else {
    WriteTable(rules, out);
  }
  return Status::Ok();
}

}  // namespace touchstream::engine
