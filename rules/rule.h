// A loaded rule and the set of rules the engine evaluates. Rules are immutable once loaded;
// a RuleSet (shared as shared_ptr<const RuleSet>) may be read from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "rules/program.h"
#include "rules/template.h"

namespace touchstream::rules {

// Fires on events of the listed types; "*" matches any type.
struct EventTrigger {
  std::vector<std::string> event_types;
};
// What makes a rule run. A variant so timed and pattern triggers (sequence, absence,
// inactivity, threshold, lifecycle, date, schedule) can be added as alternatives.
using Trigger = std::variant<EventTrigger>;

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
  Template message;                   // may be empty
  std::vector<EmitParam> params;      // rendered into the payload too, after `payload`
  std::vector<PayloadEntry> payload;
};
// What a rule does when it fires. A variant so set, add_points, tag, raise, ... can be added.
using Action = std::variant<EmitAction>;

struct Rule {
  std::string id;
  std::string version;  // as written, or 8 hex digits of a hash of the rule's content
  std::string description;
  std::string file;  // the file it was loaded from
  int line = 0;      // where the rule starts in the file
  bool enabled = true;
  int priority = 0;  // higher runs first
  std::vector<std::string> tags;
  int64_t valid_from_ms = 0;             // 0 = unbounded
  int64_t valid_until_ms = 0;            // 0 = unbounded; exclusive
  std::vector<std::string> event_types;  // of the event trigger ("*" = any)
  Trigger trigger;
  std::shared_ptr<const Program> condition;  // null = always true
  std::vector<Action> actions;

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
  // All rules (also disabled ones) in load order.
  const std::vector<Rule>& rules() const { return rules_; }
  size_t size() const { return rules_.size(); }
  // The rule with this id, or null.
  const Rule* Find(std::string_view id) const;

 private:
  std::vector<Rule> rules_;
  std::map<std::string, std::vector<const Rule*>, std::less<>> by_type_;
  std::vector<const Rule*> any_type_;
};

}  // namespace touchstream::rules
