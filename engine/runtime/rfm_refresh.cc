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

Status RfmRefresh::Step(int64_t now_ms, size_t batch) {
  if (!sample_) {
    if (!Due(now_ms)) return Status::Ok();
    sample_.emplace(config_.rfm, now_ms);
    sample_period_ = now_ms / config_.rfm.refresh_ms;
    cursor_.clear();
  }
  size_t read = 0;
  std::string last_id;
  Status scan = store_->ForEachCustomerFrom(cursor_, [&](const v1::CustomerState& customer) {
    sample_->Add(customer);
    last_id = customer.customer_id();
    return ++read < batch;
  });
  if (!scan.ok()) {
    sample_.reset();
    return scan;
  }
  if (read == batch) {
    // The smallest id after last_id is last_id followed by a NUL byte.
    cursor_ = last_id + std::string(1, '\0');
    return Status::Ok();
  }
  apply_(std::move(*sample_).Breakpoints());
  period_ = sample_period_;
  sample_.reset();
  return Status::Ok();
}

}  // namespace touchstream::engine
