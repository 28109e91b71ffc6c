#include "engine/ops/console_stats.h"

#include <functional>
#include <string>
#include <string_view>

namespace touchstream::engine {

namespace {

// The value of `label` on `metric`; empty when it has none.
std::string LabelOf(const prometheus::ClientMetric& metric, std::string_view label) {
  for (const auto& l : metric.label) {
    if (l.name == label) return l.value;
  }
  return {};
}

// Calls fn(metric, value) for each sample of the counter or gauge family `name`.
void ForEachSample(const std::vector<prometheus::MetricFamily>& families, std::string_view name,
                   const std::function<void(const prometheus::ClientMetric&, double)>& fn) {
  for (const prometheus::MetricFamily& family : families) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      fn(metric,
         family.type == prometheus::MetricType::Gauge ? metric.gauge.value : metric.counter.value);
    }
  }
}

// Adds `value` to object[key] (created as 0).
void Add(nlohmann::json& object, const std::string& key, double value) {
  if (!object.contains(key)) object[key] = 0.0;
  object[key] = object[key].get<double>() + value;
}

// {label value: sum of the samples} of a family by one label.
nlohmann::json ByLabel(const std::vector<prometheus::MetricFamily>& families, std::string_view name,
                       std::string_view label) {
  nlohmann::json by = nlohmann::json::object();
  ForEachSample(families, name, [&](const prometheus::ClientMetric& metric, double value) {
    Add(by, LabelOf(metric, label), value);
  });
  return by;
}

double Sum(const nlohmann::json& by) {
  double total = 0;
  for (const auto& [key, value] : by.items()) total += value.get<double>();
  return total;
}

std::string DecisionKey(const prometheus::ClientMetric& metric) {
  return LabelOf(metric, "outcome") + ":" + LabelOf(metric, "reason");
}

}  // namespace

nlohmann::json RuleStatsJson(const std::vector<prometheus::MetricFamily>& families) {
  nlohmann::json rules = nlohmann::json::object();
  auto rule = [&rules](const std::string& id) -> nlohmann::json& {
    if (!rules.contains(id)) {
      rules[id] = {{"evaluated", 0.0},  {"fired", 0.0},    {"errors", 0.0},
                   {"suppressed", 0.0}, {"held_out", 0.0}, {"decisions", nlohmann::json::object()}};
    }
    return rules[id];
  };
  const std::pair<const char*, const char*> per_rule[] = {
      {"touchstream_rules_evaluated_total", "evaluated"},
      {"touchstream_rules_fired_total", "fired"},
      {"touchstream_rule_errors_total", "errors"}};
  for (const auto& [family, field_name] : per_rule) {
    const char* field =
        field_name;  // clang 14 (the ASan build) cannot capture a structured binding
    ForEachSample(families, family, [&](const prometheus::ClientMetric& metric, double value) {
      Add(rule(LabelOf(metric, "rule")), field, value);
    });
  }
  ForEachSample(families, "touchstream_decisions_total",
                [&](const prometheus::ClientMetric& metric, double value) {
                  nlohmann::json& r = rule(LabelOf(metric, "rule"));
                  Add(r["decisions"], DecisionKey(metric), value);
                  const std::string outcome = LabelOf(metric, "outcome");
                  if (outcome == "suppressed") Add(r, "suppressed", value);
                  if (outcome == "held_out") Add(r, "held_out", value);
                });
  return {{"rules", rules}};
}

nlohmann::json LiveStatsJson(const std::vector<prometheus::MetricFamily>& families) {
  nlohmann::json by_type = ByLabel(families, "touchstream_events_consumed_total", "type");
  nlohmann::json rejected = ByLabel(families, "touchstream_events_rejected_total", "reason");
  nlohmann::json decisions = nlohmann::json::object();
  ForEachSample(families, "touchstream_decisions_total",
                [&](const prometheus::ClientMetric& metric, double value) {
                  Add(decisions, DecisionKey(metric), value);
                });
  double rules_loaded = 0;
  ForEachSample(families, "touchstream_rules_loaded",
                [&](const prometheus::ClientMetric&, double value) { rules_loaded = value; });
  return {
      {"events_consumed", Sum(by_type)},
      {"events_rejected", Sum(rejected)},
      {"events_by_type", by_type},
      {"actions_by_channel", ByLabel(families, "touchstream_actions_produced_total", "channel")},
      {"decisions_by_reason", decisions},
      {"rules_loaded", rules_loaded}};
}

}  // namespace touchstream::engine
