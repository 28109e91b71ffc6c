// A loaded rule and the set of rules the engine evaluates. Rules are immutable once loaded;
// a RuleSet (shared as shared_ptr<const RuleSet>) may be read from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "rules/environment.h"
#include "rules/program.h"
#include "rules/rule_index.h"
#include "rules/template.h"

namespace touchstream::rules {

// Fires on events of the listed types; "*" matches any type.
struct EventTrigger {
  std::vector<std::string> event_types;
};
// Fires on the event that completes the steps in order (other events may come between),
// all within `within_ms` of the first step; with `correlate_on`, every step's event must
// have the same value of that property (the same sku).
struct SequenceTrigger {
  std::vector<std::string> steps;  // event types, at least two
  int64_t within_ms = 0;
  std::string correlate_on;  // property name, or empty
};
// Fires `within_ms` after an event of `event_type` unless an event of `absent_type` came in
// between (inclusive of the deadline). With `correlate_on`, only an absent-type event with
// the same property value cancels, and each value has its own window. A new start event
// restarts its window.
struct AbsenceTrigger {
  std::string event_type;
  std::string absent_type;
  int64_t within_ms = 0;
  std::string correlate_on;
};
// Fires when no event of the listed types ("*" = any) came for `inactive_ms` after the
// latest one; `event` is that latest event.
struct InactivityTrigger {
  std::vector<std::string> event_types;
  int64_t inactive_ms = 0;
};
// Fires `after_ms` after each event of the listed types; `event` is that event. How
// multi-step journeys are built: a follow-up three days after a resolved ticket.
struct ScheduleTrigger {
  std::vector<std::string> event_types;
  int64_t after_ms = 0;
};
// Fires after an event when `expression` (over customer state) is true and was false after
// the customer's previous event: the edge, not the level.
struct ThresholdTrigger {
  std::shared_ptr<const Program> expression;
};
// Fires when the customer's lifecycle stage (or tier: the `tier` profile attribute) changes
// from `from` to `to` ("any" matches every value).
struct TransitionTrigger {
  enum class What { kStage, kTier };
  What what = What::kStage;
  std::string from = "any";
  std::string to = "any";
};
// Fires at a local time of day (in the customer's time zone) on a date: every year on the
// month and day of a customer date attribute (birthday, anniversary) or once on it
// (contract renewal), shifted by `offset_ms`; or on each date of a named calendar.
struct DateTrigger {
  std::string attribute;  // profile attribute holding "YYYY-MM-DD", or empty for a calendar
  bool yearly = true;
  std::string calendar;                     // calendar name, when attribute is empty
  std::vector<int32_t> days;                // the calendar's dates, days since 1970-01-01, sorted
  int64_t offset_ms = 0;                    // added to the date (e.g. -30d)
  int64_t local_time_ms = 9 * 3600 * 1000;  // time of day in the customer's zone
};
// What makes a rule run.
using Trigger = std::variant<EventTrigger, SequenceTrigger, AbsenceTrigger, InactivityTrigger,
                             ScheduleTrigger, ThresholdTrigger, TransitionTrigger, DateTrigger>;

// A short text naming the trigger, as put in Action.trigger / Decision.trigger
// ("absence:cart_add!purchase").
std::string TriggerName(const Trigger& trigger);

// The max_delay of a rule that sets none (docs/rules.md "Freshness"): 1d for event, sequence,
// threshold, schedule and date triggers, 12h for absence triggers, 7d for inactivity and
// transition triggers.
int64_t DefaultMaxDelayMs(const Trigger& trigger);
// The largest max_delay a rule may set: 366d.
inline constexpr int64_t kMaxMaxDelayMs = 366LL * 24 * 3600 * 1000;

// Names of the internal events transitions are delivered as (properties `from` and `to`).
inline constexpr std::string_view kStageChangedEvent = "stage_changed";
inline constexpr std::string_view kTierChangedEvent = "tier_changed";

struct EmitParam {
  std::string name;
  std::shared_ptr<const Program> expr;
};

struct PayloadEntry {
  std::string key;
  Template value;
};

// Produce an action for a channel.
struct EmitAction {
  std::string kind;                   // offer, alert, nudge, ...
  std::vector<std::string> channels;  // in order of preference (at least one)
  // `channel: best_of [push, email]`: the order of preference is by the customer's 90-day
  // engagement on each channel (state::EngagementScore; ties keep the written order).
  bool best_of = false;
  Template message;               // may be empty
  std::vector<EmitParam> params;  // rendered into the payload too, after `payload`
  std::vector<PayloadEntry> payload;
};
// Sets a profile attribute to the value of an expression.
struct SetAction {
  std::string attribute;
  std::shared_ptr<const Program> value;
};
// Adds loyalty points (add_points) or redeems them (redeem: refused when the balance is too
// low). The expression is an int (doubles are rounded); negative amounts are refused.
struct PointsAction {
  bool redeem = false;
  std::shared_ptr<const Program> amount;
};
// Adds (tag) or removes (untag) customer tags.
struct TagAction {
  bool remove = false;
  std::vector<std::string> tags;
};
// Overrides the lifecycle stage until the computed stage next changes.
struct SetStageAction {
  std::string stage;
};
// Raises an internal event of `event_type` for the same customer, which rules can trigger on;
// processed after the rules of the current event, up to a bounded chain depth.
struct RaiseAction {
  std::string event_type;
  std::vector<EmitParam> properties;
};
// What a rule does when it fires, in order.
using Action =
    std::variant<EmitAction, SetAction, PointsAction, TagAction, SetStageAction, RaiseAction>;

// What counts as a conversion of the rule's decisions (docs/impact.md): an event of
// `event_type` for which `condition` holds, at most `within_ms` after the decision.
struct Conversion {
  std::string event_type;
  std::shared_ptr<const Program> condition;  // bool; null = every such event
  int64_t within_ms = 0;
  std::shared_ptr<const Program> value;  // number: the conversion's value; null = 0
};

// Hours of the day (in the customer's time zone) when a rule's actions are not sent:
// [from, to), wrapping past midnight when to <= from (21:00-08:00). `send_window: {from, to}`
// in YAML is stored as the quiet hours [to, from).
struct QuietHours {
  int from_minute = 0;  // minutes after local midnight, 0-1439
  int to_minute = 0;
  // defer: send when the window opens (re-checking consent and caps then); else drop.
  bool defer = true;
};

// A rule's delivery policy (docs/delivery-policy.md); applied by engine/policy/delivery_policy.h.
struct RulePolicy {
  // "operational" (staff alerts: no customer consent, do-not-contact, caps or global quiet
  // hours) or any other name, which is marketing-like; default "marketing".
  std::string category = "marketing";
  // Eligibility: at most once ever; at most once per cooldown_ms; at most max_runs per
  // max_per_ms. 0 = no limit.
  bool once = false;
  int64_t cooldown_ms = 0;
  int64_t max_runs = 0;
  int64_t max_per_ms = 0;
  // Rules of one exclusion group are mutually exclusive within policy.exclusion_period.
  std::string exclusion_group;
  // Overrides policy.quiet_hours when set.
  bool has_quiet_hours = false;
  QuietHours quiet_hours;
  // Holdout: this percentage (0-100) of customers, by a hash of the customer id and the
  // experiment's salt, get HELD_OUT decisions instead of actions. experiment defaults to the
  // rule id.
  double holdout_percent = 0;
  std::string experiment;
  // Freshness: an action is not sent more than this after its trigger (decision SUPPRESSED,
  // reason "stale"); Action.expires_at is the trigger's time plus it. The rule's `max_delay`,
  // else DefaultMaxDelayMs(trigger) (the rule loader always sets it); 0 = no limit.
  int64_t max_delay_ms = 0;

  bool operational() const { return category == "operational"; }
  bool has_eligibility() const { return once || cooldown_ms > 0 || max_runs > 0; }
};

// The lifecycle stages, in README order.
inline constexpr std::string_view kLifecycleStages[] = {"prospect", "new",     "active",  "loyal",
                                                        "at_risk",  "churned", "won_back"};

// The stages rules may name: env.lifecycle_stages when configured, else kLifecycleStages.
inline std::vector<std::string_view> LifecycleStageNames(const RuleEnvironment& env) {
  if (env.lifecycle_stages.empty()) {
    return {std::begin(kLifecycleStages), std::end(kLifecycleStages)};
  }
  return {env.lifecycle_stages.begin(), env.lifecycle_stages.end()};
}

struct Rule {
  std::string id;
  std::string version;  // as written, or 8 hex digits of a hash of the rule's content
  std::string description;
  std::string file;  // the file it was loaded from
  int line = 0;      // where the rule starts in the file
  bool enabled = true;
  int priority = 0;  // higher runs first
  std::vector<std::string> tags;
  int64_t valid_from_ms = 0;   // 0 = unbounded
  int64_t valid_until_ms = 0;  // 0 = unbounded; exclusive
  // Event types the rule listens to ("*" = any): the trigger's own, the types that arm or
  // cancel its timers, stage_changed / tier_changed for transitions, "*" for threshold and
  // date triggers (checked, or armed, after every event).
  std::vector<std::string> event_types;
  Trigger trigger;
  std::shared_ptr<const Program> condition;  // null = always true
  std::vector<Action> actions;
  std::optional<Conversion> conversion;  // unset: the rule's impact is not measured
  RulePolicy policy;

  // True when enabled and ms is within [valid_from, valid_until).
  bool ActiveAt(int64_t ms) const {
    return enabled && (valid_from_ms == 0 || ms >= valid_from_ms) &&
           (valid_until_ms == 0 || ms < valid_until_ms);
  }
};

// An immutable set of rules indexed by trigger event type.
class RuleSet {
 public:
  explicit RuleSet(std::vector<Rule> rules);
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // Enabled rules triggered by events of `type`, including "*" rules, sorted by priority
  // (highest first) then id. The span is valid as long as the RuleSet.
  std::span<const Rule* const> ForEventType(std::string_view type) const;
  // Those of ForEventType(event.type()) that can fire for `event`: without the rules whose
  // condition the event's property values settle as false (rules/rule_index.h). The span is
  // valid until the next call with the same *scratch.
  std::span<const Rule* const> ForEvent(const v1::TouchpointEvent& event,
                                        RuleCandidates* scratch) const;
  // All rules (also disabled ones) in load order.
  const std::vector<Rule>& rules() const { return rules_; }
  size_t size() const { return rules_.size(); }
  // The rule with this id, or null.
  const Rule* Find(std::string_view id) const;

 private:
  std::vector<Rule> rules_;
  const EventRuleIndex& IndexFor(std::string_view type) const;

  // By event type; "*" holds the rules listening to any type (always present).
  std::map<std::string, EventRuleIndex, std::less<>> by_type_;
  std::unordered_map<std::string_view, const Rule*> by_id_;  // keys view rules_' ids
};

}  // namespace touchstream::rules
