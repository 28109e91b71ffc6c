#include "engine/runtime/rfm_refresh.h"

#include <utility>

namespace touchstream::engine {

RfmRefresh::RfmRefresh(const state::AnalyticsConfig& config, state::StateStore* store, Apply apply)
    : config_(config), store_(store), apply_(std::move(apply)) {}

bool RfmRefresh::Due(int64_t now_ms) const {
  if (!config_.rfm_enabled || config_.rfm.scoring != state::RfmScoring::kQuantiles) return false;
  return period_ != now_ms / config_.rfm.refresh_ms;
}

Status RfmRefresh::Refresh(int64_t now_ms) {
  auto breakpoints = state::ComputeRfmQuantileBreakpoints(*store_, config_.rfm, now_ms);
  if (!breakpoints.ok()) return breakpoints.status();
  apply_(*breakpoints);
  period_ = now_ms / config_.rfm.refresh_ms;
  return Status::Ok();
}

}  // namespace touchstream::engine
