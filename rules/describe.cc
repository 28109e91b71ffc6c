#include "rules/describe.h"

#include "proto/time_format.h"

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
  void operator()(const EmitAction& emit) const {
    *out += "  action emit " + emit.kind + " -> " + JoinList(emit.channels, ", ") + "\n";
    if (!emit.message.empty()) *out += "    message: " + TemplateText(emit.message) + "\n";
    for (const PayloadEntry& entry : emit.payload) {
      *out += "    payload " + entry.key + ": " + TemplateText(entry.value) + "\n";
    }
    for (const EmitParam& param : emit.params) {
      *out += "    param " + param.name + " = " + param.expr->canonical + "\n";
    }
  }
};

struct TriggerDescriber {
  std::string* out;
  void operator()(const EventTrigger& trigger) const {
    *out += "  trigger: event " + JoinList(trigger.event_types, ", ") + "\n";
  }
};

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
  std::visit(TriggerDescriber{&out}, rule.trigger);
  if (rule.condition == nullptr) {
    out += "  condition: (none, always true)\n";
  } else {
    out += "  condition: " + rule.condition->canonical + "\n";
    std::vector<std::string> fields;
    for (const Program::FieldRef& ref : rule.condition->fields) fields.push_back(ref.path);
    if (!fields.empty()) out += "  reads: " + JoinList(fields, ", ") + "\n";
  }
  for (const Action& action : rule.actions) std::visit(ActionDescriber{&out}, action);
  return out;
}

}  // namespace touchstream::rules
