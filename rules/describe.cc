#include "rules/describe.h"

#include "base/time_format.h"

namespace touchstream::rules {

namespace {

std::string JoinList(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

std::string TemplateText(const Template& tmpl) {
  std::string out;
  for (const Template::Segment& s : tmpl.segments) {
    out += s.expr == nullptr ? s.text : "{{ " + s.expr->canonical + " }}";
  }
  std::string quoted;
  AppendQuoted(out, &quoted);
  return quoted;
}

struct ActionDescriber {
  std::string* out;
  void operator()(const SetAction& set) const {
    *out += "  action set profile." + set.attribute + " = " + set.value->canonical + "\n";
  }
  void operator()(const PointsAction& points) const {
    *out += std::string("  action ") + (points.redeem ? "redeem " : "add_points ") +
            points.amount->canonical + "\n";
  }
  void operator()(const TagAction& tag) const {
    *out += std::string("  action ") + (tag.remove ? "untag " : "tag ") + JoinList(tag.tags, ", ") +
            "\n";
  }
  void operator()(const SetStageAction& stage) const {
    *out += "  action set_stage " + stage.stage + "\n";
  }
  void operator()(const RaiseAction& raise) const {
    *out += "  action raise " + raise.event_type + "\n";
    for (const EmitParam& p : raise.properties) {
      *out += "    property " + p.name + " = " + p.expr->canonical + "\n";
    }
  }
  void operator()(const EmitAction& emit) const {
    const std::string channels = JoinList(emit.channels, ", ");
    *out += "  action emit " + emit.kind + " -> " +
            (emit.best_of ? "best_of [" + channels + "]" : channels) + "\n";
    if (!emit.message.empty()) *out += "    message: " + TemplateText(emit.message) + "\n";
    for (const PayloadEntry& entry : emit.payload) {
      *out += "    payload " + entry.key + ": " + TemplateText(entry.value) + "\n";
    }
    for (const EmitParam& param : emit.params) {
      *out += "    param " + param.name + " = " + param.expr->canonical + "\n";
    }
  }
};

// Which timers a trigger arms, for --explain.
struct TimerDescriber {
  std::string operator()(const EventTrigger&) const { return ""; }
  std::string operator()(const SequenceTrigger& t) const {
    return std::string("none (partial matches kept in the customer state, ") + "expiring after " +
           DurationText(t.within_ms) + ")";
  }
  std::string operator()(const AbsenceTrigger& t) const {
    return "one per customer" +
           std::string(t.correlate_on.empty() ? "" : " and " + t.correlate_on) + ", armed by " +
           t.event_type + " for " + DurationText(t.within_ms) + ", cancelled by " + t.absent_type;
  }
  std::string operator()(const InactivityTrigger& t) const {
    return "one per customer, re-armed by each " + JoinList(t.event_types, ", ") + " for " +
           DurationText(t.inactive_ms);
  }
  std::string operator()(const ScheduleTrigger& t) const {
    return "one per " + JoinList(t.event_types, ", ") + " event, firing " +
           DurationText(t.after_ms) + " after it";
  }
  std::string operator()(const ThresholdTrigger& t) const {
    return "none (evaluated after every event: " + t.expression->canonical + ")";
  }
  std::string operator()(const TransitionTrigger&) const {
    return "none (runs on the engine's transition events)";
  }
  std::string operator()(const DateTrigger& t) const {
    return "one per customer at the next date, armed by the customer's next event, offset " +
           DurationText(t.offset_ms) + ", at " + std::to_string(t.local_time_ms / 3600000) + ":" +
           (t.local_time_ms / 60000 % 60 < 10 ? "0" : "") +
           std::to_string(t.local_time_ms / 60000 % 60) + " local time";
  }
  static std::string DurationText(int64_t ms) {
    std::string out;
    AppendDuration(ms, &out);
    return out;
  }
};

std::string Clock(int minutes) {
  std::string out = std::to_string(minutes / 60) + ":" + std::to_string(minutes % 60 / 10) +
                    std::to_string(minutes % 10);
  return out.size() < 5 ? "0" + out : out;
}

// The delivery policy keys the rule sets, or "" when it sets none.
std::string DescribePolicy(const RulePolicy& p) {
  std::vector<std::string> parts;
  if (p.category != RulePolicy().category) parts.push_back("category " + p.category);
  if (p.once) parts.push_back("once");
  if (p.cooldown_ms > 0) {
    std::string text = "cooldown ";
    AppendDuration(p.cooldown_ms, &text);
    parts.push_back(text);
  }
  if (p.max_runs > 0) {
    std::string text = "at most " + std::to_string(p.max_runs) + " per ";
    AppendDuration(p.max_per_ms, &text);
    parts.push_back(text);
  }
  if (!p.exclusion_group.empty()) parts.push_back("exclusion group " + p.exclusion_group);
  if (p.has_quiet_hours) {
    parts.push_back("quiet hours " + Clock(p.quiet_hours.from_minute) + "-" +
                    Clock(p.quiet_hours.to_minute) + (p.quiet_hours.defer ? " defer" : " drop"));
  }
  if (p.holdout_percent > 0) {
    std::string text = "holdout ";
    AppendDouble(p.holdout_percent, &text);
    parts.push_back(text + "% (experiment " + p.experiment + ")");
  }
  return JoinList(parts, ", ");
}

}  // namespace

std::string DescribeRule(const Rule& rule) {
  std::string out = "rule " + rule.id + " (version " + rule.version + ") from " + rule.file + ":" +
                    std::to_string(rule.line) + "\n";
  out += std::string("  ") + (rule.enabled ? "enabled" : "disabled") + ", priority " +
         std::to_string(rule.priority);
  if (!rule.tags.empty()) out += ", tags: " + JoinList(rule.tags, ", ");
  out += "\n";
  if (!rule.description.empty()) out += "  description: " + rule.description + "\n";
  if (rule.valid_from_ms != 0) out += "  valid from: " + FormatRfc3339Ms(rule.valid_from_ms) + "\n";
  if (rule.valid_until_ms != 0)
    out += "  valid until: " + FormatRfc3339Ms(rule.valid_until_ms) + "\n";
  if (std::string policy = DescribePolicy(rule.policy); !policy.empty()) {
    out += "  policy: " + policy + "\n";
  }
  out += "  trigger: " + TriggerName(rule.trigger) + "\n";
  out += "  listens to events: " + JoinList(rule.event_types, ", ") + "\n";
  if (std::string timers = std::visit(TimerDescriber{}, rule.trigger); !timers.empty()) {
    out += "  timers: " + timers + "\n";
  }
  if (rule.condition == nullptr) {
    out += "  condition: (none, always true)\n";
  } else {
    out += "  condition: " + rule.condition->canonical + "\n";
    std::vector<std::string> fields;
    for (const Program::FieldRef& ref : rule.condition->fields) fields.push_back(ref.path);
    if (!fields.empty()) out += "  reads: " + JoinList(fields, ", ") + "\n";
  }
  for (const Action& action : rule.actions) std::visit(ActionDescriber{&out}, action);
  if (rule.conversion) {
    const Conversion& c = *rule.conversion;
    out += "  conversion: " + c.event_type + " within " +
           TimerDescriber::DurationText(c.within_ms) + " of the decision";
    if (c.condition != nullptr) out += " when " + c.condition->canonical;
    if (c.value != nullptr) out += ", value " + c.value->canonical;
    out += "\n";
  }
  return out;
}

}  // namespace touchstream::rules
