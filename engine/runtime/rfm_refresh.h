// RfmRefresh: recomputes the RFM quantile breakpoints from the whole store when the config
// scores RFM by quantiles (rfm.scoring: quantiles), once per rfm.refresh period: the first
// time it is asked, then whenever floor(now_ms / refresh) changes. `run` asks with the wall
// clock, `replay` with stream time (before each event), so a replay refreshes at the same
// stream times whatever the speed.
//
// The store must be current (commit the cache first); the computation reads every customer
// once (state::ComputeRfmQuantileBreakpoints).
//
// Not thread-safe: runs on the processing thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

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

 private:
  const state::AnalyticsConfig& config_;
  state::StateStore* store_;
  Apply apply_;
  // floor(now_ms / refresh) of the last refresh.
  std::optional<int64_t> period_;
};

}  // namespace touchstream::engine
