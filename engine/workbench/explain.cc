#include "engine/workbench/explain.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "base/time_format.h"
#include "connectors/codec.h"
#include "connectors/jsonl.h"
#include "engine/ops/metrics.h"
#include "engine/runtime/replay.h"
#include "state/in_memory_store.h"

namespace touchstream::engine {

namespace {

std::string Joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& p : parts) text += (text.empty() ? "" : "; ") + p;
  return text;
}

// The words of a rule step, once its decision (if any) is known.
std::string RuleWords(const ExplainedStep& s) {
  std::string words = "rule " + s.rule_id + " (" + s.trigger + ") listened: ";
  if (s.comparisons.empty()) {
    words += s.condition_held ? "it had no condition to test" : "its condition did not hold";
  } else {
    words += std::string(s.condition_held ? "its condition held" : "its condition did not hold") +
             " (" + Joined(s.comparisons) + ")";
  }
  if (s.outcome.empty()) return words + (s.condition_held ? "" : ", so nothing was decided");
  words += ", then " + ReasonInWords(s.outcome, s.reason);
  if (s.outcome == "FIRED" && !s.channel.empty()) {
    words += " on " + s.channel + ": \"" + s.message + "\"";
  }
  return words;
}

nlohmann::json StepJson(const ExplainedStep& s) {
  nlohmann::json j = {{"ts", FormatRfc3339Ms(s.ts_ms)}, {"kind", s.kind}, {"words", s.words}};
  if (s.kind == "event") {
    j["event_id"] = s.event_id;
    j["event_type"] = s.event_type;
    return j;
  }
  j["rule_id"] = s.rule_id;
  j["trigger"] = s.trigger;
  j["condition_held"] = s.condition_held;
  j["comparisons"] = s.comparisons;
  if (!s.outcome.empty()) {
    j["decision"] = {{"outcome", s.outcome}, {"reason", s.reason}};
    if (!s.channel.empty()) j["decision"]["channel"] = s.channel;
    if (!s.message.empty()) j["decision"]["message"] = s.message;
    if (!s.experiment_arm.empty()) j["decision"]["experiment_arm"] = s.experiment_arm;
  }
  return j;
}

std::string Verdict(const Explanation& e) {
  std::vector<const ExplainedStep*> sent;
  const ExplainedStep* last_rule_step = nullptr;
  for (const ExplainedStep& s : e.timeline) {
    if (s.kind != "rule") continue;
    last_rule_step = &s;
    if (s.outcome == "FIRED") sent.push_back(&s);
  }
  if (sent.empty()) {
    std::string verdict =
        e.customer_id + " never got " + (e.rule_id.empty() ? "a message" : e.rule_id);
    if (last_rule_step == nullptr) {
      return verdict + ": no rule" + (e.rule_id.empty() ? "" : " of that id") +
             " listened to their events";
    }
    return verdict + ": the last time, " + last_rule_step->words;
  }
  std::string verdict = e.customer_id + " got " + std::to_string(sent.size()) + " message" +
                        (sent.size() == 1 ? "" : "s") + " from " +
                        (e.rule_id.empty() ? "the rules" : e.rule_id) + ":";
  for (const ExplainedStep* s : sent) {
    verdict += " " + s->rule_id + " on " + s->channel + " at " + FormatRfc3339Ms(s->ts_ms) + ";";
  }
  verdict.pop_back();
  return verdict;
}

}  // namespace

std::string ReasonInWords(const std::string& outcome, const std::string& reason) {
  static const std::unordered_map<std::string, std::string> kWords = {
      {"fired", "sent"},
      {"holdout",
       "held out: the customer is in the experiment's holdout group, so nothing was sent "
       "(recorded to measure the rule's impact)"},
      {"once", "not sent: the rule fires once per customer and already did"},
      {"cooldown", "not sent: the rule is still in its cooldown since it last ran"},
      {"max_per_window", "not sent: the rule already ran as often as its window allows"},
      {"no_consent", "not sent: no channel of the rule has the customer's consent and address"},
      {"do_not_contact", "not sent: the customer asked not to be contacted"},
      {"arbitration", "not sent: it lost to higher-priority rules at the same moment"},
      {"exclusion_group", "not sent: a rule of its exclusion group was sent"},
      {"quiet_hours_drop", "not sent: it fell in the customer's quiet hours (dropped)"},
      {"deferred", "held until the customer's quiet hours end (a second decision follows)"},
      {"defer_failed", "not sent: it could not be held until quiet hours end"},
      {"inactive", "not sent: by its send time the rule was disabled, expired or removed"},
  };
  auto found = kWords.find(reason);
  if (found != kWords.end()) return found->second;
  if (reason.starts_with("cap:")) {
    return "not sent: the customer's " + reason.substr(4) + " cap was full";
  }
  if (reason.starts_with("eval_error")) return "not decided: the rule failed (" + reason + ")";
  return outcome + " (" + reason + ")";
}

Result<Explanation> ExplainCustomer(const EngineConfig& config,
                                    std::shared_ptr<const rules::RuleSet> rules,
                                    const ExplainOptions& options) {
  if (!options.rule_id.empty() && rules->Find(options.rule_id) == nullptr) {
    return Status::NotFound("no rule '" + options.rule_id + "' in the configured rules");
  }
  // The customer's events, in file order.
  std::vector<ExplainedStep> events;
  {
    auto reader = connectors::JsonlReader::Open(options.events_path);
    if (!reader.ok()) return reader.status();
    std::string line;
    while ((*reader)->Next(&line)) {
      auto event = connectors::DecodeEvent(line, connectors::Format::kJson);
      if (!event.ok() || event->customer_id() != options.customer_id) continue;
      ExplainedStep step;
      step.kind = "event";
      step.ts_ms = event->ts_ms();
      step.event_id = event->event_id();
      step.event_type = event->type();
      step.words = "event " + step.event_type + " (" + step.event_id + ")";
      events.push_back(std::move(step));
    }
  }
  Explanation explanation;
  explanation.customer_id = options.customer_id;
  explanation.rule_id = options.rule_id;
  std::vector<ExplainedStep>& timeline = explanation.timeline;
  size_t next_event = 0;
  // Brings the timeline up to the customer's event `event_id` (every earlier one first).
  auto events_up_to = [&](const std::string& event_id) {
    for (size_t i = next_event; i < events.size(); ++i) {
      if (events[i].event_id != event_id) continue;
      for (; next_event <= i; ++next_event) timeline.push_back(events[next_event]);
      return;
    }
  };
  std::unordered_map<std::string, std::pair<std::string, std::string>> actions;
  std::vector<std::pair<size_t, std::string>> step_actions;  // timeline index, action id
  auto wanted = [&](const std::string& rule_id) {
    return options.rule_id.empty() || rule_id == options.rule_id;
  };

  ReplayOptions replay;
  replay.events_path = options.events_path;
  replay.until_ms = options.until_ms;
  replay.errors = options.errors;
  replay.observe_customer = options.customer_id;
  replay.on_condition = [&](ConditionTrace trace) {
    events_up_to(trace.trigger_event_id);
    if (!wanted(trace.rule_id)) return;
    ExplainedStep step;
    step.kind = "rule";
    step.ts_ms = trace.ts_ms;
    step.event_id = trace.trigger_event_id;
    step.rule_id = trace.rule_id;
    step.trigger = trace.trigger;
    step.condition_held = trace.held;
    step.comparisons = std::move(trace.comparisons);
    timeline.push_back(std::move(step));
  };
  replay.on_action = [&](std::string_view json) -> Status {
    auto action = connectors::DecodeAction(json, connectors::Format::kJson);
    if (!action.ok()) return action.status();
    if (action->customer_id() == options.customer_id) {
      actions[action->action_id()] = {action->channel(), action->message()};
    }
    return Status::Ok();
  };
  replay.on_decision = [&](std::string_view json) -> Status {
    auto decision = connectors::DecodeDecision(json, connectors::Format::kJson);
    if (!decision.ok()) return decision.status();
    if (decision->customer_id() != options.customer_id || !wanted(decision->rule_id())) {
      return Status::Ok();
    }
    // The run this decision ends: the latest undecided one of the rule for the same trigger.
    size_t index = timeline.size();
    for (size_t i = timeline.size(); i-- > 0;) {
      const ExplainedStep& s = timeline[i];
      if (s.kind == "rule" && s.rule_id == decision->rule_id() && s.outcome.empty() &&
          s.event_id == decision->trigger_event_id()) {
        index = i;
        break;
      }
    }
    if (index == timeline.size()) {
      // A decision without a run of its own: a deferred message sent (or not) later.
      ExplainedStep step;
      step.kind = "rule";
      step.ts_ms = decision->ts_ms();
      step.event_id = decision->trigger_event_id();
      step.rule_id = decision->rule_id();
      step.trigger = decision->trigger();
      step.condition_held = true;
      timeline.push_back(std::move(step));
    }
    ExplainedStep& step = timeline[index];
    step.condition_held = decision->outcome() != v1::Decision::NOT_MATCHED;
    step.outcome = v1::Decision::Outcome_Name(decision->outcome());
    step.reason = decision->reason();
    step.experiment_arm = decision->experiment_arm();
    if (!decision->action_id().empty()) step_actions.emplace_back(index, decision->action_id());
    return Status::Ok();
  };
  auto store = state::NewInMemoryStore();
  EngineMetrics metrics;
  auto stats = Replay(config, std::move(rules), store.get(), &metrics, replay);
  if (!stats.ok()) return stats.status();
  for (; next_event < events.size(); ++next_event) timeline.push_back(events[next_event]);
  for (const auto& [index, action_id] : step_actions) {
    auto found = actions.find(action_id);
    if (found == actions.end()) continue;
    timeline[index].channel = found->second.first;
    timeline[index].message = found->second.second;
  }
  for (ExplainedStep& step : timeline) {
    if (step.kind == "rule") step.words = RuleWords(step);
  }
  explanation.verdict = Verdict(explanation);
  return explanation;
}

std::string ExplanationToJson(const Explanation& explanation) {
  nlohmann::json timeline = nlohmann::json::array();
  for (const ExplainedStep& s : explanation.timeline) timeline.push_back(StepJson(s));
  nlohmann::json out = {{"customer_id", explanation.customer_id},
                        {"rule_id", explanation.rule_id},
                        {"timeline", std::move(timeline)},
                        {"verdict", explanation.verdict}};
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void PrintExplanation(const Explanation& explanation, std::ostream& out) {
  for (const ExplainedStep& s : explanation.timeline) {
    out << FormatRfc3339Ms(s.ts_ms) << (s.kind == "event" ? " " : "   ") << s.words << "\n";
  }
  out << explanation.verdict << "\n";
}

}  // namespace touchstream::engine
