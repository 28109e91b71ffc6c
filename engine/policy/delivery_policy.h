// DeliveryPolicy: decides which of the actions that rules produced in one processing step are
// sent, to which channel, now or later (README "Delivery policy"). Policy steps 1-2 (validity,
// eligibility) run in RuleRunner::Run before a rule's actions; this class applies, at the end
// of the step, to every rule that fired and emits:
//   freshness (actions past their expires_at: SUPPRESSED "stale", also at a deferred send)
//   3. consent, reachability and channel choice  4. frequency caps  5. arbitration and exclusion
//   groups
//   6. quiet hours (defer into a persisted timer, or drop)  7. holdout
// Candidates are decided highest priority first (ties: rule id, then firing order) and
// published (actions, then the Decision through RuleRunner) in the order the rules fired.
// What is sent or held out is recorded in CustomerState.delivery.
//
// Not thread-safe: one per EventProcessor.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/core/customer_timers.h"
#include "engine/core/rule_runner.h"
#include "engine/policy/delivery_candidate.h"
#include "rules/zone_cache.h"
#include "state/channel_feedback.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// Prefix of the names of the timers holding deferred actions.
inline constexpr std::string_view kDeferredTimerPrefix = "deferred:";

class DeliveryPolicy {
 public:
  // All must outlive the policy.
  DeliveryPolicy(const EngineConfig& config, RuleRunner* runner, CustomerTimers* timers);

  // Decides the undecided step->candidates, publishes every candidate's actions and decision
  // in order, then clears them.
  void Resolve(Step* step);

  // Sends the actions a quiet-hours timer held (payload kind DEFERRED_ACTION), re-checking
  // the rule (null when it is gone: reason "inactive"), consent, caps and exclusion group.
  void SendDeferred(const v1::TimerPayload& payload, const rules::Rule* rule, Step* step);

 private:
  // What was decided in the current moment so far.
  struct Moment {
    int64_t slots = 0;
    std::set<std::string, std::less<>> groups;
  };
  // Decides one candidate: sets its decision's outcome and reason and fills *send with the
  // actions to send. at_send: a deferred send (no arbitration or quiet hours).
  void Decide(DeliveryCandidate* c, bool at_send, Moment* moment, Step* step,
              std::vector<v1::Action>* send);
  // The first usable channel of `channels` (consent, address, not made unreachable by
  // bounces), or "" with *reason set: "do_not_contact", "unreachable" (every channel with
  // consent and an address bounced) or "no_consent".
  std::string ChooseChannel(const rules::RulePolicy& policy,
                            const std::vector<std::string>& channels,
                            const v1::CustomerState& state, std::string* reason) const;
  // The name of the first cap sending on `channel` would exceed, or "".
  std::string ExceededCap(const rules::RulePolicy& policy, const std::string& channel,
                          const std::vector<v1::Action>& also_sent, const Step& step) const;
  // True when it armed a timer holding the candidate until `opens_ms`.
  bool Defer(const DeliveryCandidate& c, const std::vector<v1::Action>& send, int64_t opens_ms,
             Step* step);
  void Publish(v1::Decision decision, const std::vector<v1::Action>& send, Step* step);

  const PolicyConfig& policy_;
  RuleRunner* runner_;
  CustomerTimers* timers_;
  int64_t retention_ms_;
  state::ChannelFeedbackConfig feedback_;
  rules::ZoneCache zones_;
  const date::time_zone* default_zone_;
};

}  // namespace touchstream::engine
