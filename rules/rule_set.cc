#include <algorithm>

#include "rules/rule.h"

namespace touchstream::rules {

namespace {

std::string Join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

void SortByPriority(std::vector<const Rule*>* rules) {
  std::sort(rules->begin(), rules->end(), [](const Rule* a, const Rule* b) {
    return a->priority != b->priority ? a->priority > b->priority : a->id < b->id;
  });
}

}  // namespace

int64_t DefaultMaxDelayMs(const Trigger& trigger) {
  constexpr int64_t kHour = 3600LL * 1000;
  constexpr int64_t kDay = 24 * kHour;
  if (std::holds_alternative<AbsenceTrigger>(trigger)) return 12 * kHour;
  if (std::holds_alternative<InactivityTrigger>(trigger) ||
      std::holds_alternative<TransitionTrigger>(trigger)) {
    return 7 * kDay;
  }
  return kDay;
}

std::string TriggerName(const Trigger& trigger) {
  struct Namer {
    std::string operator()(const EventTrigger& t) const {
      return "event:" + Join(t.event_types, ',');
    }
    std::string operator()(const SequenceTrigger& t) const {
      return "sequence:" + Join(t.steps, '>');
    }
    std::string operator()(const AbsenceTrigger& t) const {
      return "absence:" + t.event_type + "!" + t.absent_type;
    }
    std::string operator()(const InactivityTrigger& t) const {
      return "inactivity:" + Join(t.event_types, ',');
    }
    std::string operator()(const ScheduleTrigger& t) const {
      return "schedule:" + Join(t.event_types, ',');
    }
    std::string operator()(const ThresholdTrigger&) const { return "threshold"; }
    std::string operator()(const TransitionTrigger& t) const {
      return std::string(t.what == TransitionTrigger::What::kStage ? "stage:" : "tier:") + t.from +
             ">" + t.to;
    }
    std::string operator()(const DateTrigger& t) const {
      return t.attribute.empty() ? "calendar:" + t.calendar
                                 : "date:customer.profile." + t.attribute;
    }
  };
  return std::visit(Namer{}, trigger);
}

namespace {

// The enabled rules listening to each type ("*" rules under "*" and in every other type's
// list), each list sorted by priority.
std::map<std::string, std::vector<const Rule*>, std::less<>> ByType(
    const std::vector<Rule>& rules) {
  std::map<std::string, std::vector<const Rule*>, std::less<>> by_type;
  std::vector<const Rule*>& any_type = by_type["*"];
  for (const Rule& rule : rules) {
    if (!rule.enabled) continue;
    for (const std::string& type : rule.event_types) by_type[type].push_back(&rule);
  }
  for (auto& [type, list] : by_type) {
    if (type != "*") {
      for (const Rule* any : any_type) {
        if (std::find(list.begin(), list.end(), any) == list.end()) list.push_back(any);
      }
    }
    SortByPriority(&list);
  }
  return by_type;
}

}  // namespace

RuleSet::RuleSet(std::vector<Rule> rules) : rules_(std::move(rules)) {
  for (const Rule& rule : rules_) by_id_.emplace(rule.id, &rule);
  for (auto& [type, list] : ByType(rules_)) {
    by_type_.emplace(type, EventRuleIndex(std::move(list)));
  }
}

const EventRuleIndex& RuleSet::IndexFor(std::string_view type) const {
  auto it = by_type_.find(type);
  return it == by_type_.end() ? by_type_.find("*")->second : it->second;
}

std::span<const Rule* const> RuleSet::ForEventType(std::string_view type) const {
  return IndexFor(type).all();
}

std::span<const Rule* const> RuleSet::ForEvent(const v1::TouchpointEvent& event,
                                               RuleCandidates* scratch) const {
  return IndexFor(event.type()).Candidates(event, scratch);
}

const Rule* RuleSet::Find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

}  // namespace touchstream::rules
