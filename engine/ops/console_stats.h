// The engine's counters as the web console reads them (docs/console.md), taken from the same
// metric families a /metrics scrape serializes (EngineMetrics::registry()->Collect()): the
// console never keeps a count of its own, so its numbers are the scrape's.
//
//   GET /rules/stats  RuleStatsJson: {"rules":{"<rule id>":{"evaluated","fired","errors",
//                     "suppressed","held_out","decisions":{"<outcome>:<reason>":n}}}} from
//                     touchstream_rules_evaluated_total, _rules_fired_total, _rule_errors_total
//                     and _decisions_total (suppressed and held_out sum the decisions of those
//                     outcomes over their reasons). A rule with no counter yet is absent.
//   GET /stats        LiveStatsJson: {"events_consumed","events_rejected",
//                     "events_by_type":{...},"actions_by_channel":{...},
//                     "decisions_by_reason":{"<outcome>:<reason>":n},"rules_loaded"} from
//                     touchstream_events_consumed_total, _events_rejected_total,
//                     _actions_produced_total, _decisions_total (summed over rules) and
//                     touchstream_rules_loaded. Throughput is the client's: the difference of
//                     two readings over the time between them.
//
// Pure functions of their argument; thread-safe.
#pragma once

#include <prometheus/metric_family.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace touchstream::engine {

nlohmann::json RuleStatsJson(const std::vector<prometheus::MetricFamily>& families);
nlohmann::json LiveStatsJson(const std::vector<prometheus::MetricFamily>& families);

}  // namespace touchstream::engine
