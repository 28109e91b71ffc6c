#include "engine/workbench/replay_diff.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "base/time_format.h"
#include "connectors/codec.h"
#include "engine/ops/metrics.h"
#include "state/in_memory_store.h"

namespace touchstream::engine {

namespace {

// One replay's outcome: every decision per rule and customer, in processing order, and the
// actions sent per rule.
struct Recorded {
  struct Entry {
    DiffDecision decision;
    std::string action_id;
  };
  // Key: rule id, '\n', customer id.
  std::unordered_map<std::string, std::vector<Entry>> by_rule_customer;
  std::unordered_map<std::string, std::pair<std::string, std::string>> action_channel_message;
  std::map<std::string, int64_t> actions_per_rule;
  ReplayStats stats;
};

std::string Key(const std::string& rule_id, const std::string& customer_id) {
  return rule_id + '\n' + customer_id;
}

Result<Recorded> Record(const EngineConfig& config, std::shared_ptr<const rules::RuleSet> rules,
                        const ReplayDiffOptions& diff_options, std::ostream* errors) {
  Recorded recorded;
  ReplayOptions options;
  options.events_path = diff_options.events_path;
  options.until_ms = diff_options.until_ms;
  options.errors = errors;
  options.on_action = [&](std::string_view json) -> Status {
    auto action = connectors::DecodeAction(json, connectors::Format::kJson);
    if (!action.ok()) return action.status();
    ++recorded.actions_per_rule[action->rule_id()];
    recorded.action_channel_message[action->action_id()] = {action->channel(), action->message()};
    return Status::Ok();
  };
  options.on_decision = [&](std::string_view json) -> Status {
    auto decision = connectors::DecodeDecision(json, connectors::Format::kJson);
    if (!decision.ok()) return decision.status();
    Recorded::Entry entry;
    entry.decision.ts_ms = decision->ts_ms();
    entry.decision.outcome = v1::Decision::Outcome_Name(decision->outcome());
    entry.decision.reason = decision->reason();
    entry.action_id = decision->action_id();
    recorded.by_rule_customer[Key(decision->rule_id(), decision->customer_id())].push_back(
        std::move(entry));
    return Status::Ok();
  };
  auto store = state::NewInMemoryStore();
  EngineMetrics metrics;
  auto stats = Replay(config, std::move(rules), store.get(), &metrics, options);
  if (!stats.ok()) return stats.status();
  recorded.stats = *stats;
  // Actions and their decisions are joined once both are known.
  for (auto& [key, entries] : recorded.by_rule_customer) {
    for (auto& entry : entries) {
      auto found = recorded.action_channel_message.find(entry.action_id);
      if (found == recorded.action_channel_message.end()) continue;
      entry.decision.channel = found->second.first;
      entry.decision.message = found->second.second;
    }
  }
  return recorded;
}

bool SameDecision(const DiffDecision& a, const DiffDecision& b) {
  return std::tie(a.ts_ms, a.outcome, a.reason, a.channel, a.message) ==
         std::tie(b.ts_ms, b.outcome, b.reason, b.channel, b.message);
}

bool SameSend(const DiffDecision& a, const DiffDecision& b) {
  return std::tie(a.ts_ms, a.channel, a.message) == std::tie(b.ts_ms, b.channel, b.message);
}

std::vector<DiffDecision> Sends(const std::vector<Recorded::Entry>& entries) {
  std::vector<DiffDecision> sends;
  for (const auto& e : entries) {
    if (e.decision.outcome == "FIRED") sends.push_back(e.decision);
  }
  return sends;
}

// The customer's change, or nullopt when both replays decided alike.
std::optional<AffectedCustomer> Compare(const std::string& customer_id,
                                        const std::vector<Recorded::Entry>& before,
                                        const std::vector<Recorded::Entry>& after) {
  size_t i = 0;
  while (i < before.size() && i < after.size() &&
         SameDecision(before[i].decision, after[i].decision)) {
    ++i;
  }
  if (i == before.size() && i == after.size()) return std::nullopt;
  AffectedCustomer affected;
  affected.customer_id = customer_id;
  if (i < before.size()) {
    affected.has_before = true;
    affected.before = before[i].decision;
  }
  if (i < after.size()) {
    affected.has_after = true;
    affected.after = after[i].decision;
  }
  const std::vector<DiffDecision> sends_before = Sends(before), sends_after = Sends(after);
  if (sends_before.empty() && !sends_after.empty()) {
    affected.change = "newly gets it";
  } else if (!sends_before.empty() && sends_after.empty()) {
    affected.change = "no longer gets it";
  } else if (!std::equal(sends_before.begin(), sends_before.end(), sends_after.begin(),
                         sends_after.end(), SameSend)) {
    affected.change = "gets it differently";
  } else {
    affected.change = "decided differently";
  }
  return affected;
}

void CountDecisions(const std::vector<Recorded::Entry>& entries,
                    std::map<std::string, int64_t>* counts) {
  for (const auto& e : entries) ++(*counts)[e.decision.outcome + " " + e.decision.reason];
}

nlohmann::json DecisionJson(const DiffDecision& d) {
  nlohmann::json j = {
      {"ts", FormatRfc3339Ms(d.ts_ms)}, {"outcome", d.outcome}, {"reason", d.reason}};
  if (!d.channel.empty()) j["channel"] = d.channel;
  if (!d.message.empty()) j["message"] = d.message;
  return j;
}

std::string CountsText(const std::map<std::string, int64_t>& before,
                       const std::map<std::string, int64_t>& after) {
  std::map<std::string, std::pair<int64_t, int64_t>> both;
  for (const auto& [k, n] : before) both[k].first = n;
  for (const auto& [k, n] : after) both[k].second = n;
  std::string text;
  for (const auto& [k, n] : both) {
    if (!text.empty()) text += "; ";
    text += k + " " + std::to_string(n.first) + " -> " + std::to_string(n.second);
  }
  return text.empty() ? "none" : text;
}

}  // namespace

bool RuleDiff::Differs() const {
  return status != "unchanged" || actions_before != actions_after ||
         decisions_before != decisions_after || customers_new != 0 || customers_lost != 0 ||
         customers_changed != 0 || customers_redecided != 0;
}

Result<ReplayDiff> DiffReplays(const EngineConfig& config,
                               std::shared_ptr<const rules::RuleSet> before,
                               std::shared_ptr<const rules::RuleSet> after,
                               const ReplayDiffOptions& options) {
  // The second replay reads the same lines: its rejections would repeat the first one's.
  std::ostringstream repeated_errors;
  Result<Recorded> recorded_after = Status::Internal("the candidate replay did not run");
  std::thread after_thread;
  auto run_after = [&]() { recorded_after = Record(config, after, options, &repeated_errors); };
  if (options.concurrent) {
    after_thread = std::thread(run_after);
  }
  Result<Recorded> recorded_before = Record(config, before, options, options.errors);
  if (options.concurrent) {
    after_thread.join();
  } else {
    run_after();
  }
  if (!recorded_before.ok()) return recorded_before.status();
  if (!recorded_after.ok()) return recorded_after.status();
  const Recorded& b = *recorded_before;
  const Recorded& a = *recorded_after;

  ReplayDiff diff;
  diff.before = b.stats;
  diff.after = a.stats;
  std::map<std::string, RuleDiff> rules;
  for (const rules::Rule& rule : before->rules()) {
    RuleDiff& r = rules[rule.id];
    r.rule_id = rule.id;
    r.version_before = rule.version;
    r.status = "removed";
  }
  for (const rules::Rule& rule : after->rules()) {
    RuleDiff& r = rules[rule.id];
    r.rule_id = rule.id;
    r.version_after = rule.version;
    if (r.status.empty()) {
      r.status = "added";
    } else {
      r.status = r.version_before == rule.version ? "unchanged" : "changed";
    }
  }
  for (auto& [id, r] : rules) {
    auto found_b = b.actions_per_rule.find(id);
    if (found_b != b.actions_per_rule.end()) r.actions_before = found_b->second;
    auto found_a = a.actions_per_rule.find(id);
    if (found_a != a.actions_per_rule.end()) r.actions_after = found_a->second;
  }
  std::map<std::string, std::vector<AffectedCustomer>> affected;
  const std::vector<Recorded::Entry> none;
  auto visit = [&](const std::string& key, const std::vector<Recorded::Entry>& in_before,
                   const std::vector<Recorded::Entry>& in_after) {
    const size_t cut = key.find('\n');
    const std::string rule_id = key.substr(0, cut);
    RuleDiff& r = rules[rule_id];
    r.rule_id = rule_id;
    CountDecisions(in_before, &r.decisions_before);
    CountDecisions(in_after, &r.decisions_after);
    auto change = Compare(key.substr(cut + 1), in_before, in_after);
    if (!change) return;
    if (change->change == "newly gets it") ++r.customers_new;
    if (change->change == "no longer gets it") ++r.customers_lost;
    if (change->change == "gets it differently") ++r.customers_changed;
    if (change->change == "decided differently") ++r.customers_redecided;
    affected[rule_id].push_back(std::move(*change));
  };
  for (const auto& [key, entries] : b.by_rule_customer) {
    auto found = a.by_rule_customer.find(key);
    visit(key, entries, found == a.by_rule_customer.end() ? none : found->second);
  }
  for (const auto& [key, entries] : a.by_rule_customer) {
    if (!b.by_rule_customer.contains(key)) visit(key, none, entries);
  }
  for (auto& [rule_id, customers] : affected) {
    const size_t keep = std::min(options.sample_size, customers.size());
    std::partial_sort(customers.begin(), customers.begin() + static_cast<ptrdiff_t>(keep),
                      customers.end(), [](const AffectedCustomer& x, const AffectedCustomer& y) {
                        return x.customer_id < y.customer_id;
                      });
    customers.resize(keep);
    rules[rule_id].sample = std::move(customers);
  }
  for (auto& [id, r] : rules) {
    // A rule in neither set (possible only for decisions of no loaded rule) has no status.
    if (r.status.empty()) r.status = "unchanged";
    diff.rules.push_back(std::move(r));
  }
  return diff;
}

std::string DescribeDiffDecision(const DiffDecision& d) {
  std::string text = d.outcome + " " + d.reason + " " + FormatRfc3339Ms(d.ts_ms);
  if (!d.channel.empty()) text += " " + d.channel + ": \"" + d.message + "\"";
  return text;
}

std::string ReplayDiffToJson(const ReplayDiff& diff) {
  nlohmann::json rules = nlohmann::json::array();
  for (const RuleDiff& r : diff.rules) {
    nlohmann::json sample = nlohmann::json::array();
    for (const AffectedCustomer& c : r.sample) {
      sample.push_back({{"customer_id", c.customer_id},
                        {"change", c.change},
                        {"before", c.has_before ? DecisionJson(c.before) : nlohmann::json()},
                        {"after", c.has_after ? DecisionJson(c.after) : nlohmann::json()}});
    }
    rules.push_back({{"rule_id", r.rule_id},
                     {"status", r.status},
                     {"differs", r.Differs()},
                     {"version_before", r.version_before},
                     {"version_after", r.version_after},
                     {"actions", {{"before", r.actions_before}, {"after", r.actions_after}}},
                     {"decisions", {{"before", r.decisions_before}, {"after", r.decisions_after}}},
                     {"customers",
                      {{"newly_get_it", r.customers_new},
                       {"no_longer_get_it", r.customers_lost},
                       {"get_it_differently", r.customers_changed},
                       {"decided_differently", r.customers_redecided}}},
                     {"sample", std::move(sample)}});
  }
  auto stats = [](const ReplayStats& s) {
    return nlohmann::json{{"events", s.events},
                          {"timers_fired", s.timers_fired},
                          {"rejected_lines", s.dead_letters},
                          {"actions", s.actions},
                          {"decisions", s.decisions}};
  };
  nlohmann::json out = {
      {"before", stats(diff.before)}, {"after", stats(diff.after)}, {"rules", std::move(rules)}};
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void PrintReplayDiff(const ReplayDiff& diff, std::ostream& out) {
  out << "Replayed " << diff.before.events << " events: " << diff.before.actions << " -> "
      << diff.after.actions << " actions, " << diff.before.decisions << " -> "
      << diff.after.decisions << " decisions\n";
  std::vector<std::string> same;
  for (const RuleDiff& r : diff.rules) {
    if (!r.Differs()) {
      same.push_back(r.rule_id);
      continue;
    }
    out << "\nrule " << r.rule_id << ": ";
    if (r.status == "added") out << "added (version " << r.version_after << ")";
    if (r.status == "removed") out << "removed (version " << r.version_before << ")";
    if (r.status == "changed") {
      out << "changed (version " << r.version_before << " -> " << r.version_after << ")";
    }
    if (r.status == "unchanged") out << "unchanged, affected through the delivery policy";
    out << "\n  actions: " << r.actions_before << " -> " << r.actions_after
        << "\n  decisions: " << CountsText(r.decisions_before, r.decisions_after)
        << "\n  customers: " << r.customers_new << " newly get it, " << r.customers_lost
        << " no longer get it, " << r.customers_changed << " get it differently, "
        << r.customers_redecided << " decided differently\n";
    for (const AffectedCustomer& c : r.sample) {
      out << "  " << c.customer_id << " (" << c.change
          << ")\n    before: " << (c.has_before ? DescribeDiffDecision(c.before) : "no decision")
          << "\n    after:  " << (c.has_after ? DescribeDiffDecision(c.after) : "no decision")
          << "\n";
    }
  }
  if (!same.empty()) {
    out << "\nno difference:";
    for (const std::string& id : same) out << " " << id;
    out << "\n";
  }
}

}  // namespace touchstream::engine
