// RfmRefresh: recomputes the RFM quantile breakpoints from the whole store when the config
// scores RFM by quantiles (rfm.scoring: quantiles), once per rfm.refresh period: the first
// time it is asked, then whenever floor(now_ms / refresh) changes. `run` asks with the wall
// clock, `replay` with stream time (before each event), so a replay refreshes at the same
// stream times whatever the speed.
//
// Refresh reads every customer at once (state::ComputeRfmQuantileBreakpoints; the store must be
// current: commit the cache first): `replay` uses it, and `run` before its first record. Step
// reads the store in steps of `batch` customers, resuming where the previous step stopped, and
// applies the breakpoints when a scan is complete, so that `run` never spends more than one
// step between two records (the breakpoints are those of the store as the scan read it).
//
// Not thread-safe: runs on the processing thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/status.h"
#include "state/customer_analytics.h"
#include "state/rfm.h"
#include "state/state_store.h"

namespace touchstream::engine {

class RfmRefresh {
 public:
  using Apply = std::function<void(const state::RfmBreakpoints&)>;

  // `store` must outlive this; `apply` receives each new set of breakpoints
  // (EventProcessor::SetRfmBreakpoints).
  RfmRefresh(const state::AnalyticsConfig& config, state::StateStore* store, Apply apply);

  // True when RFM is on with quantile scoring and now_ms is in another refresh period than the
  // last refresh (or there was none).
  bool Due(int64_t now_ms) const;

  // Computes the breakpoints as of now_ms and applies them. Errors: the store's (nothing is
  // applied).
  Status Refresh(int64_t now_ms);

  // One step of an incremental refresh: starts a scan as of now_ms when one is Due and none is
  // running, reads up to `batch` customers, and applies the breakpoints at the end of the scan.
  // No-op when no scan is due or running. Errors: the store's (the scan starts over later).
  Status Step(int64_t now_ms, size_t batch);

 private:
  const state::AnalyticsConfig& config_;
  state::StateStore* store_;
  Apply apply_;
  // floor(now_ms / refresh) of the last refresh.
  std::optional<int64_t> period_;
  // The scan in progress (Step): its values, its period and the first id of its next step.
  std::optional<state::RfmSample> sample_;
  int64_t sample_period_ = 0;
  std::string cursor_;
};

}  // namespace touchstream::engine
