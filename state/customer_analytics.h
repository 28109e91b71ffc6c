// CustomerAnalytics: the per-event entry point for declared windowed aggregates, RFM and
// consent (CustomerState fields windows, rfm, consent, do_not_contact, do_not_contact_change).
//
// The engine calls, for each event, after state::ApplyBuiltinAggregates (which has already
// folded the event into last_seen_ms) and before evaluating rules:
//
//   analytics.Apply(event, state);        // windows, RFM inputs, consent, channel feedback
//   analytics.RefreshRfm(now_ms, state);  // RFM scores and segment as of the rules' now
//
// Windows: every declared aggregate gets an entry in state->windows (created empty, restarted
// empty when its declaration changes, removed when no longer declared); buckets that left the
// window as of the customer's latest event time are deleted; the event is added to each window
// it matches (event type, and the property present with a usable value) unless it is late:
// older than the customer's latest event time minus `lateness`. Within the lateness, late and
// out-of-order events give exactly the windows that in-order delivery gives (see
// state/window_aggregate.h for the two caveats).
//
// Size per customer: at most 1000 buckets per bucketed window (about 8 to 20 bytes each,
// depending on kind), 1024 entries per distinct window (about 13 bytes each), 32 consent
// channels; windows of undeclared aggregates are removed.
//
// Thread safety: Apply and RefreshRfm are const and may run concurrently on different states;
// SetRfmBreakpoints must not run concurrently with them (call it on the processing thread).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "state/channel_feedback.h"
#include "state/consent.h"
#include "state/rfm.h"
#include "state/window_declaration.h"
#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

struct AnalyticsConfig {
  // Declared windowed aggregates (config `aggregates:`), names unique. Default none.
  std::vector<WindowDeclaration> windows;
  // Events older than the customer's latest event time minus this are not added to any window
  // (declared ones and RFM's purchase window). Default 1d.
  int64_t lateness_ms = kMsPerDay;
  // RFM is maintained only when enabled (config `rfm:` present). Default off.
  bool rfm_enabled = false;
  RfmConfig rfm;
  ConsentConfig consent;
  // Channel feedback (config `channels:` and policy.addresses).
  ChannelFeedbackConfig feedback;
};

// Ok when names are valid and unique, every declaration is well-formed (as
// ParseWindowDeclaration makes them), lateness >= 0 and the RFM config is valid.
Status ValidateAnalyticsConfig(const AnalyticsConfig& config);

// What Apply did, for metrics.
struct AnalyticsUpdate {
  // Windows the event matched but was too late for (declared ones plus RFM's).
  int late_windows = 0;
  // Their names: the declared names (views into the config), "rfm" for RFM's purchase window.
  // Empty (no allocation) unless the event was late.
  std::vector<std::string_view> late_aggregates;
  ConsentResult consent;
  FeedbackResult feedback;
};

class CustomerAnalytics {
 public:
  // `config` must pass ValidateAnalyticsConfig. RFM breakpoints start as config.rfm.breakpoints.
  explicit CustomerAnalytics(AnalyticsConfig config);

  // Folds `event` (ts_ms set) into *state as described at the top of this file, and refreshes
  // the RFM derived values as of the customer's latest event time. Never fails.
  AnalyticsUpdate Apply(const v1::TouchpointEvent& event, v1::CustomerState* state) const;

  // Recomputes state->rfm's derived values (recency, frequency, monetary, scores, segment) as
  // of now_ms with the current breakpoints. No-op when RFM is disabled.
  void RefreshRfm(int64_t now_ms, v1::CustomerState* state) const;

  // Replaces the RFM breakpoints (quantile mode: the result of ComputeRfmQuantileBreakpoints).
  // Customers pick them up at their next Apply or RefreshRfm.
  void SetRfmBreakpoints(const RfmBreakpoints& breakpoints) { breakpoints_ = breakpoints; }
  const RfmBreakpoints& rfm_breakpoints() const { return breakpoints_; }

  const AnalyticsConfig& config() const { return config_; }

 private:
  AnalyticsConfig config_;
  std::vector<uint32_t> fingerprints_;  // per config_.windows entry
  std::set<std::string, std::less<>> names_;
  WindowDeclaration rfm_purchases_;
  uint32_t rfm_fingerprint_ = 0;
  RfmBreakpoints breakpoints_;
};

}  // namespace touchstream::state
