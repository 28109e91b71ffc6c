// The `touchstream report impact` report: the impact counters of the state store per rule and
// arm, conversion rates, and the lift of treatment over holdout with its 95% confidence
// interval (engine/impact/lift_stats.h). Format documented in README.md ("Measuring impact").
#pragma once

#include <ostream>

#include "base/status.h"
#include "state/state_store.h"

namespace touchstream::engine {

// Writes the report of every rule with stored counters, in rule id order: a text table, or
// with `json` one JSON object ({"rules": [...]}). Errors: those of
// StateStore::ForEachImpactCounts (nothing is written then).
Status WriteImpactReport(state::StateStore* store, bool json, std::ostream& out);

}  // namespace touchstream::engine
