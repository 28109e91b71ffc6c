#include "rules/trigger_parser.h"

#include <algorithm>
#include <charconv>

namespace touchstream::rules {

namespace {

constexpr std::string_view kTriggerKeys[] = {
    "event",        "sequence", "within",       "correlate_on",  "not_followed_by",
    "inactive_for", "after",    "becomes_true", "stage_changed", "tier_changed",
    "date",         "calendar", "offset",       "repeat",        "at"};
// Keys that decide the trigger kind; at most one may be present.
constexpr std::string_view kKindKeys[] = {
    "sequence",      "not_followed_by", "inactive_for", "after",   "becomes_true",
    "stage_changed", "tier_changed",    "date",         "calendar"};
constexpr std::string_view kAbsenceKeys[] = {"event", "within"};
constexpr std::string_view kTransitionKeys[] = {"from", "to"};

class TriggerParser {
 public:
  TriggerParser(YamlReader* reader, Rule* rule, std::vector<std::string>* scope)
      : r_(*reader), rule_(*rule), scope_(*scope) {}

  void Parse(const YAML::Node& node) {
    node_ = node;
    if (!node.IsMap()) {
      r_.ErrorAt(node, "'trigger' must be a map, e.g. {event: purchase}");
      return;
    }
    r_.CheckKeys(node, kTriggerKeys, "trigger", &e_);
    std::string kind;
    for (std::string_view key : kKindKeys) {
      if (!e_.count(std::string(key))) continue;
      if (!kind.empty()) {
        r_.ErrorAt(e_[std::string(key)].first, "a trigger is one kind: '" + kind + "' and '" +
                                                   std::string(key) + "' cannot be combined");
        return;
      }
      kind = key;
    }
    if (kind == "sequence") {
      Sequence();
    } else if (kind == "not_followed_by") {
      Absence();
    } else if (kind == "inactive_for") {
      Inactivity();
    } else if (kind == "after") {
      Schedule();
    } else if (kind == "becomes_true") {
      Threshold();
    } else if (kind == "stage_changed" || kind == "tier_changed") {
      Transition(kind);
    } else if (kind == "date" || kind == "calendar") {
      Date(kind);
    } else {
      Event();
    }
  }

 private:
  // Reports keys present but not used by the trigger kind.
  void OnlyKeys(std::initializer_list<std::string_view> allowed, std::string_view kind) {
    for (const auto& [name, nodes] : e_) {
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      r_.ErrorAt(nodes.first,
                 "'" + name + "' does not apply to " + std::string(kind) + " triggers");
    }
  }

  // Reports a missing key; returns the value node (undefined when missing).
  YAML::Node Required(const std::string& key, std::string_view hint) {
    if (e_.count(key)) return e_[key].second;
    r_.ErrorAt(node_, "this trigger needs '" + key + "' (" + std::string(hint) + ")");
    return YAML::Node(YAML::NodeType::Undefined);
  }

  void Correlation(std::string* out) {
    if (!e_.count("correlate_on")) return;
    if (r_.Scalar(e_["correlate_on"].second, "'correlate_on'", out) && !IsIdentifier(*out)) {
      r_.ErrorAt(e_["correlate_on"].second, "'correlate_on' must name an event property, e.g. sku");
    }
  }

  void Event() {
    OnlyKeys({"event"}, "event");
    if (!e_.count("event")) {
      r_.ErrorAt(node_,
                 "'trigger' needs 'event' (an event type, a list of types, or \"*\"), or one "
                 "of: sequence, not_followed_by, inactive_for, after, becomes_true, "
                 "stage_changed, tier_changed, date, calendar");
      return;
    }
    EventTrigger trigger;
    r_.EventTypes(e_["event"].second, "'event'", true, &trigger.event_types);
    rule_.event_types = trigger.event_types;
    scope_ = trigger.event_types;
    rule_.trigger = std::move(trigger);
  }

  void Sequence() {
    OnlyKeys({"sequence", "within", "correlate_on"}, "sequence");
    SequenceTrigger trigger;
    const YAML::Node steps = e_["sequence"].second;
    if (r_.EventTypes(steps, "'sequence'", false, &trigger.steps) && trigger.steps.size() < 2) {
      r_.ErrorAt(steps, "'sequence' needs at least two event types, e.g. [cart_add, purchase]");
    }
    const YAML::Node within = Required("within", "the time from the first to the last step");
    if (within.IsDefined()) r_.Duration(within, "'within'", false, &trigger.within_ms);
    Correlation(&trigger.correlate_on);
    for (const std::string& step : trigger.steps) AddListened(step);
    if (!trigger.steps.empty()) scope_ = {trigger.steps.back()};
    rule_.trigger = std::move(trigger);
  }

  void Absence() {
    OnlyKeys({"event", "not_followed_by", "correlate_on"}, "not_followed_by");
    AbsenceTrigger trigger;
    const YAML::Node start = Required("event", "the event that opens the window");
    if (start.IsDefined() && r_.Scalar(start, "'event'", &trigger.event_type)) {
      r_.EventType(start, trigger.event_type, false);
    }
    const YAML::Node absent = e_["not_followed_by"].second;
    if (!absent.IsMap()) {
      r_.ErrorAt(absent, "'not_followed_by' must be a map, e.g. {event: purchase, within: 2h}");
    } else {
      YamlEntries a;
      r_.CheckKeys(absent, kAbsenceKeys, "not_followed_by", &a);
      if (!a.count("event")) {
        r_.ErrorAt(absent, "'not_followed_by' needs 'event'");
      } else if (r_.Scalar(a["event"].second, "'event'", &trigger.absent_type)) {
        r_.EventType(a["event"].second, trigger.absent_type, false);
        if (trigger.absent_type == trigger.event_type) {
          r_.ErrorAt(a["event"].second, "'not_followed_by' needs an event type other than '" +
                                            trigger.event_type + "'");
        }
      }
      if (!a.count("within")) {
        r_.ErrorAt(absent, "'not_followed_by' needs 'within' (how long to wait, e.g. 2h)");
      } else {
        r_.Duration(a["within"].second, "'within'", false, &trigger.within_ms);
      }
    }
    Correlation(&trigger.correlate_on);
    AddListened(trigger.event_type);
    AddListened(trigger.absent_type);
    scope_ = {trigger.event_type};
    rule_.trigger = std::move(trigger);
  }

  void Inactivity() {
    OnlyKeys({"inactive_for", "event"}, "inactive_for");
    InactivityTrigger trigger;
    r_.Duration(e_["inactive_for"].second, "'inactive_for'", false, &trigger.inactive_ms);
    if (e_.count("event")) {
      r_.EventTypes(e_["event"].second, "'event'", true, &trigger.event_types);
    } else {
      trigger.event_types = {"*"};
    }
    rule_.event_types = trigger.event_types;
    scope_ = trigger.event_types;
    rule_.trigger = std::move(trigger);
  }

  void Schedule() {
    OnlyKeys({"after", "event"}, "after");
    ScheduleTrigger trigger;
    r_.Duration(e_["after"].second, "'after'", false, &trigger.after_ms);
    const YAML::Node types = Required("event", "the event the delay starts from");
    if (types.IsDefined()) r_.EventTypes(types, "'event'", false, &trigger.event_types);
    rule_.event_types = trigger.event_types;
    scope_ = trigger.event_types;
    rule_.trigger = std::move(trigger);
  }

  void Threshold() {
    OnlyKeys({"becomes_true"}, "becomes_true");
    ThresholdTrigger trigger;
    CheckScope scope;
    scope.event_types = {"*"};
    trigger.expression = r_.Expression(e_["becomes_true"].second, "'becomes_true'", scope);
    if (trigger.expression != nullptr && trigger.expression->type != ValueType::kBool &&
        trigger.expression->type != ValueType::kDyn) {
      r_.ErrorAt(e_["becomes_true"].second,
                 "'becomes_true' must be a bool expression, but it is " +
                     std::string(ValueTypeName(trigger.expression->type)));
    }
    rule_.event_types = {"*"};
    scope_ = {"*"};
    rule_.trigger = std::move(trigger);
  }

  void Transition(const std::string& kind) {
    OnlyKeys({kind}, kind);
    TransitionTrigger trigger;
    const bool stage = kind == "stage_changed";
    trigger.what = stage ? TransitionTrigger::What::kStage : TransitionTrigger::What::kTier;
    const YAML::Node node = e_[kind].second;
    if (!node.IsMap()) {
      r_.ErrorAt(node, "'" + kind + "' must be a map, e.g. {from: any, to: at_risk}");
    } else {
      YamlEntries t;
      r_.CheckKeys(node, kTransitionKeys, kind, &t);
      for (const char* end : {"from", "to"}) {
        if (!t.count(end)) continue;
        std::string* value = std::string_view(end) == "from" ? &trigger.from : &trigger.to;
        if (!r_.Scalar(t[end].second, std::string("'") + end + "'", value)) continue;
        const std::vector<std::string_view> stages = LifecycleStageNames(r_.env());
        if (stage && *value != "any" &&
            std::find(stages.begin(), stages.end(), *value) == stages.end()) {
          std::string message = "unknown lifecycle stage '" + *value + "' (expected any";
          for (std::string_view s : stages) message += ", " + std::string(s);
          r_.ErrorAt(t[end].second, message + ")");
        }
      }
    }
    const std::string type(stage ? kStageChangedEvent : kTierChangedEvent);
    rule_.event_types = {type};
    scope_ = {type};
    rule_.trigger = std::move(trigger);
  }

  void Date(const std::string& kind) {
    OnlyKeys({kind, "offset", "repeat", "at"}, kind);
    DateTrigger trigger;
    if (kind == "date") {
      std::string path;
      if (r_.Scalar(e_["date"].second, "'date'", &path)) {
        constexpr std::string_view kPrefix = "customer.profile.";
        trigger.attribute = path.starts_with(kPrefix) ? path.substr(kPrefix.size()) : path;
        if (!IsIdentifier(trigger.attribute)) {
          r_.ErrorAt(e_["date"].second,
                     "'date' must name a profile attribute holding a date, e.g. "
                     "customer.profile.birthday");
        }
      }
      if (e_.count("repeat")) {
        std::string repeat;
        if (r_.Scalar(e_["repeat"].second, "'repeat'", &repeat)) {
          if (repeat == "yearly" || repeat == "once") {
            trigger.yearly = repeat == "yearly";
          } else {
            r_.ErrorAt(e_["repeat"].second,
                       "'repeat' must be yearly or once, not '" + repeat + "'");
          }
        }
      }
    } else {
      if (e_.count("repeat")) {
        r_.ErrorAt(e_["repeat"].first, "'repeat' does not apply to calendar triggers");
      }
      const YAML::Node name = e_["calendar"].second;
      if (r_.Scalar(name, "'calendar'", &trigger.calendar)) {
        auto it = r_.env().calendars.find(trigger.calendar);
        if (it == r_.env().calendars.end()) {
          std::vector<std::string_view> known;
          for (const auto& [n, days] : r_.env().calendars) known.push_back(n);
          std::string message = "unknown calendar '" + trigger.calendar + "'";
          const std::string_view suggestion = ClosestMatch(trigger.calendar, known);
          if (!suggestion.empty()) {
            message += " (did you mean '" + std::string(suggestion) + "'?)";
          } else {
            message += " (declare it under calendars: in the config)";
          }
          r_.ErrorAt(name, message);
        } else {
          trigger.days = it->second;
        }
      }
    }
    if (e_.count("offset")) r_.Duration(e_["offset"].second, "'offset'", true, &trigger.offset_ms);
    if (e_.count("at")) LocalTime(e_["at"].second, &trigger.local_time_ms);
    rule_.event_types = {"*"};
    scope_ = {"*"};
    rule_.trigger = std::move(trigger);
  }

  void LocalTime(const YAML::Node& node, int64_t* ms) {
    std::string text;
    if (!r_.Scalar(node, "'at'", &text)) return;
    int hour = -1, minute = -1;
    const char* p = text.data();
    const char* end = p + text.size();
    auto [colon, ec1] = std::from_chars(p, end, hour);
    bool ok = ec1 == std::errc() && colon < end && *colon == ':' && colon - p <= 2;
    if (ok) {
      auto [rest, ec2] = std::from_chars(colon + 1, end, minute);
      ok = ec2 == std::errc() && rest == end && end - colon == 3;
    }
    if (!ok || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
      r_.ErrorAt(node,
                 "'at' must be a local time of day HH:MM, e.g. \"09:30\", not '" + text + "'");
      return;
    }
    *ms = (hour * 60 + minute) * 60 * 1000;
  }

  void AddListened(const std::string& type) {
    if (type.empty()) return;
    if (std::find(rule_.event_types.begin(), rule_.event_types.end(), type) ==
        rule_.event_types.end()) {
      rule_.event_types.push_back(type);
    }
  }

  YamlReader& r_;
  Rule& rule_;
  std::vector<std::string>& scope_;
  YAML::Node node_;
  YamlEntries e_;
};

}  // namespace

void ParseTrigger(const YAML::Node& node, YamlReader* reader, Rule* rule,
                  std::vector<std::string>* event_scope) {
  TriggerParser(reader, rule, event_scope).Parse(node);
}

}  // namespace touchstream::rules
