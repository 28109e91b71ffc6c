#include "state/customer_analytics.h"

#include <algorithm>

#include "state/window_aggregate.h"

namespace touchstream::state {

namespace {

const v1::Value* Property(const v1::TouchpointEvent& event, const std::string& name) {
  auto it = event.properties().find(name);
  return it == event.properties().end() ? nullptr : &it->second;
}

// Adds the event to a window it matches by type; nothing when the declared property is missing
// or its value is unusable for the kind (not numeric for sum/min/max/avg).
void AddEvent(const WindowDeclaration& d, const v1::TouchpointEvent& event, int64_t latest_ms,
              v1::WindowState* window) {
  const int64_t time = event.ts_ms();
  if (d.property.empty()) {
    AddToWindow(time, 0, latest_ms, window);
    return;
  }
  const v1::Value* value = Property(event, d.property);
  if (value == nullptr || value->kind_case() == v1::Value::KIND_NOT_SET) return;
  switch (d.kind) {
    case v1::WindowState::COUNT:
      AddToWindow(time, 0, latest_ms, window);
      return;
    case v1::WindowState::DISTINCT: {
      uint64_t hash = 0;
      if (DistinctHash(*value, &hash)) AddDistinctToWindow(time, hash, latest_ms, window);
      return;
    }
    default: {
      double number = 0;
      if (NumericValue(*value, &number)) AddToWindow(time, number, latest_ms, window);
      return;
    }
  }
}

}  // namespace

Status ValidateAnalyticsConfig(const AnalyticsConfig& config) {
  std::set<std::string> names;
  for (const WindowDeclaration& d : config.windows) {
    if (Status s = ValidateAggregateName(d.name); !s.ok()) return s;
    if (!names.insert(d.name).second) {
      return Status::InvalidArgument("aggregate '" + d.name + "' is declared twice");
    }
    // A declaration is valid when its canonical text parses back to it.
    auto reparsed = ParseWindowDeclaration(d.name, d.ToString());
    if (!reparsed.ok()) {
      return Status::InvalidArgument("aggregates." + d.name + ": " + reparsed.status().message());
    }
    if (reparsed->ToString() != d.ToString()) {
      return Status::InvalidArgument("aggregates." + d.name + ": invalid declaration");
    }
  }
  if (config.lateness_ms < 0) return Status::InvalidArgument("lateness: must not be negative");
  if (config.rfm_enabled) return ValidateRfmConfig(config.rfm);
  return Status::Ok();
}

CustomerAnalytics::CustomerAnalytics(AnalyticsConfig config)
    : config_(std::move(config)), breakpoints_(config_.rfm.breakpoints) {
  for (const WindowDeclaration& d : config_.windows) {
    fingerprints_.push_back(d.Fingerprint());
    names_.insert(d.name);
  }
  rfm_purchases_ = RfmPurchaseDeclaration(config_.rfm);
  rfm_fingerprint_ = rfm_purchases_.Fingerprint();
}

AnalyticsUpdate CustomerAnalytics::Apply(const v1::TouchpointEvent& event,
                                         v1::CustomerState* state) const {
  AnalyticsUpdate update;
  const int64_t time = event.ts_ms();
  const int64_t latest = std::max(state->last_seen_ms(), time);
  const bool late = time < latest - config_.lateness_ms;

  auto& windows = *state->mutable_windows();
  for (auto it = windows.begin(); it != windows.end();) {
    it = names_.count(it->first) ? std::next(it) : windows.erase(it);
  }
  for (size_t i = 0; i < config_.windows.size(); ++i) {
    const WindowDeclaration& d = config_.windows[i];
    v1::WindowState& window = windows[d.name];
    if (window.declaration() != fingerprints_[i] || window.bucket_ms() != d.bucket_ms) {
      ResetWindow(d, &window);
    }
    ExpireWindow(latest, &window);
    if (d.event_type != "*" && d.event_type != event.type()) continue;
    if (late) {
      ++update.late_windows;
      update.late_aggregates.push_back(d.name);
      continue;
    }
    AddEvent(d, event, latest, &window);
  }

  if (config_.rfm_enabled) {
    v1::Rfm* rfm = state->mutable_rfm();
    v1::WindowState* purchases = rfm->mutable_purchases();
    if (purchases->declaration() != rfm_fingerprint_ ||
        purchases->bucket_ms() != rfm_purchases_.bucket_ms) {
      ResetWindow(rfm_purchases_, purchases);
    }
    ExpireWindow(latest, purchases);
    if (event.type() == config_.rfm.purchase_event) {
      rfm->set_last_purchase_ms(std::max(rfm->last_purchase_ms(), time));
      if (late) {
        ++update.late_windows;
        update.late_aggregates.push_back("rfm");
      } else {
        // A purchase without a usable amount counts for frequency with amount 0.
        double amount = 0;
        const v1::Value* value = Property(event, config_.rfm.amount_property);
        if (value != nullptr && !NumericValue(*value, &amount)) amount = 0;
        AddToWindow(time, amount, latest, purchases);
      }
    }
    state::RefreshRfm(config_.rfm, breakpoints_, latest, rfm);
  }

  update.consent = ApplyConsentEvent(config_.consent, event, state);
  update.feedback = ApplyChannelFeedback(config_.feedback, event, latest, state);
  return update;
}

void CustomerAnalytics::RefreshRfm(int64_t now_ms, v1::CustomerState* state) const {
  if (!config_.rfm_enabled) return;
  state::RefreshRfm(config_.rfm, breakpoints_, now_ms, state->mutable_rfm());
}

}  // namespace touchstream::state
