#include "engine/ops/console_routes.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <variant>

#include "rules/loader.h"

namespace touchstream::engine {

namespace {

AdminResponse Json(int status, const nlohmann::json& body) {
  // Posted text may be any bytes: text that is not UTF-8 is written with U+FFFD in its place.
  return {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
          "application/json"};
}

nlohmann::json ErrorsJson(const std::vector<rules::Diagnostic>& diagnostics) {
  nlohmann::json errors = nlohmann::json::array();
  for (const rules::Diagnostic& d : diagnostics) {
    errors.push_back(
        {{"line", d.line}, {"column", d.column}, {"message", d.message}, {"text", d.ToString()}});
  }
  return errors;
}

std::optional<AdminResponse> TooLarge(std::string_view rule_text, const char* flag) {
  if (rule_text.size() <= kMaxConsoleRuleBytes) return std::nullopt;
  return Json(
      413, {{flag, false},
            {"error", "the rule file is " + std::to_string(rule_text.size()) + " bytes; at most " +
                          std::to_string(kMaxConsoleRuleBytes) + " are accepted"}});
}

// Why `name` cannot be a rule file name in the rules folder; nullopt when it can.
std::optional<std::string> FileNameProblem(std::string_view name) {
  if (name.empty()) return "name the file: POST /rules/save?file=<name>.yaml";
  if (name.size() > 100) return "the file name is longer than 100 characters";
  if (name.front() == '.') return "the file name must not start with '.'";
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return "the file name may hold only letters, digits, '-', '_' and '.'";
  }
  auto ends = [&](std::string_view suffix) {
    return name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (!ends(".yaml") && !ends(".yml")) return "the file name must end in .yaml or .yml";
  return std::nullopt;
}

// Writes `text` to `path` through a temporary file in the same folder and a rename, so that a
// reader (the rules watcher) sees the old file or the new one, never half of it.
Status WriteAtomically(const std::filesystem::path& path, std::string_view text) {
  const std::filesystem::path temp =
      path.parent_path() / ("." + path.filename().string() + ".console-tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      return Status::IOError("cannot write " + temp.string() + ": " + std::strerror(errno));
    }
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) {
    std::filesystem::remove(temp, error);
    return Status::IOError("cannot replace " + path.string() + ": " + error.message());
  }
  return Status::Ok();
}

}  // namespace

std::string FirstRulesFolder(const std::vector<std::string>& rules_paths) {
  for (const std::string& path : rules_paths) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) return path;
  }
  return {};
}

AdminResponse CheckRuleText(std::string_view rule_text, const rules::RuleEnvironment& environment) {
  if (auto refused = TooLarge(rule_text, "ok")) return *refused;
  rules::LoadResult loaded =
      rules::LoadRulesFromString(rule_text, kConsoleRuleFileName, environment);
  if (loaded.ok()) return Json(200, {{"ok", true}, {"rules", loaded.rule_set->size()}});
  return Json(422, {{"ok", false}, {"errors", ErrorsJson(loaded.errors)}});
}

AdminResponse SaveRuleFile(std::string_view file_name, std::string_view rule_text,
                           const rules::RuleEnvironment& environment, const ConsoleOptions& options,
                           const ConsoleReload& reload) {
  auto refuse = [](int status, const std::string& why) {
    return Json(status, {{"saved", false}, {"error", why}});
  };
  if (!options.writes) {
    return refuse(403,
                  "saving rules from the console is off: set admin.console_writes: true in the "
                  "engine config to allow it (docs/console.md)");
  }
  if (options.rules_folder.empty()) {
    return refuse(409,
                  "no rules folder to save into: none of the config's rules: paths is a folder");
  }
  if (!reload) return refuse(503, "rule reloading is not available in this engine");
  if (std::optional<std::string> problem = FileNameProblem(file_name)) return refuse(400, *problem);
  if (auto refused = TooLarge(rule_text, "saved")) return *refused;
  rules::LoadResult loaded =
      rules::LoadRulesFromString(rule_text, kConsoleRuleFileName, environment);
  if (!loaded.ok()) {
    return Json(422, {{"saved", false},
                      {"error", "the rule file has errors; nothing was written"},
                      {"errors", ErrorsJson(loaded.errors)}});
  }
  const std::filesystem::path path = std::filesystem::path(options.rules_folder) / file_name;
  std::optional<std::string> previous;
  if (std::ifstream in(path, std::ios::binary); in) {
    std::ostringstream text;
    text << in.rdbuf();
    previous = text.str();
  }
  if (Status written = WriteAtomically(path, rule_text); !written.ok()) {
    return refuse(500, written.message());
  }
  std::ostringstream diagnostics;
  Result<size_t> reloaded = reload(diagnostics);
  if (reloaded.ok()) {
    return Json(200, {{"saved", true}, {"file", path.string()}, {"rules", *reloaded}});
  }
  // All or nothing: the running set stayed; the folder goes back to what it held.
  Status restored = Status::Ok();
  if (previous) {
    restored = WriteAtomically(path, *previous);
  } else if (std::error_code error; !std::filesystem::remove(path, error) && error) {
    restored = Status::IOError("cannot remove " + path.string() + ": " + error.message());
  }
  nlohmann::json body = {
      {"saved", false},
      {"error", "the engine refused the new rule set (" + reloaded.status().message() +
                    "); the running rules and " + path.string() + " stay as they were"},
      {"diagnostics", diagnostics.str()}};
  if (!restored.ok()) {
    body["error"] = "the engine refused the new rule set (" + reloaded.status().message() +
                    ") and the previous file could not be put back: " + restored.message();
  }
  return Json(422, body);
}

rules::LoadResult LoadCandidateRules(const std::vector<std::string>& rules_paths,
                                     const std::string& replaced_file, std::string_view rule_text,
                                     const rules::RuleEnvironment& environment) {
  rules::LoadResult on_disk = rules::LoadRules(rules_paths, environment);
  if (!on_disk.ok()) return on_disk;
  rules::LoadResult posted =
      rules::LoadRulesFromString(rule_text, kConsoleRuleFileName, environment);
  if (!posted.ok()) return posted;
  const std::filesystem::path replaced = std::filesystem::path(replaced_file).lexically_normal();
  std::vector<rules::Rule> candidate;
  for (const rules::Rule& rule : on_disk.rule_set->rules()) {
    if (std::filesystem::path(rule.file).lexically_normal() != replaced) candidate.push_back(rule);
  }
  rules::LoadResult result;
  for (const rules::Rule& rule : posted.rule_set->rules()) {
    for (const rules::Rule& other : candidate) {
      if (other.id != rule.id) continue;
      rules::Diagnostic d;
      d.file = std::string(kConsoleRuleFileName);
      d.line = rule.line;
      d.column = 1;
      d.message = "duplicate rule id '" + rule.id + "' (also defined at " + other.file + ":" +
                  std::to_string(other.line) + ")";
      result.errors.push_back(std::move(d));
    }
  }
  if (!result.errors.empty()) return result;
  for (const rules::Rule& rule : posted.rule_set->rules()) candidate.push_back(rule);
  result.rule_set = std::make_shared<const rules::RuleSet>(std::move(candidate));
  return result;
}

AdminResponse TryRuleFile(std::string_view file_name, std::string_view rule_text,
                          const rules::RuleEnvironment& environment,
                          const ConsoleOptions& options) {
  auto refuse = [](int status, const std::string& why) {
    return Json(status, {{"ok", false}, {"error", why}});
  };
  if (!options.replay_diff) {
    return refuse(409,
                  "no history to try rules on: set admin.console_history to a JSON Lines "
                  "events file (docs/console.md)");
  }
  if (options.rules_folder.empty()) {
    return refuse(409, "no rules folder: none of the config's rules: paths is a folder");
  }
  if (std::optional<std::string> problem = FileNameProblem(file_name)) return refuse(400, *problem);
  if (auto refused = TooLarge(rule_text, "ok")) return *refused;
  const std::string replaced = (std::filesystem::path(options.rules_folder) / file_name).string();
  rules::LoadResult candidate =
      LoadCandidateRules(options.rules_paths, replaced, rule_text, environment);
  if (!candidate.ok()) return Json(422, {{"ok", false}, {"errors", ErrorsJson(candidate.errors)}});
  rules::LoadResult before = rules::LoadRules(options.rules_paths, environment);
  if (!before.ok()) return Json(422, {{"ok", false}, {"errors", ErrorsJson(before.errors)}});
  Result<std::string> diff = options.replay_diff(before.rule_set, candidate.rule_set);
  if (!diff.ok()) return refuse(500, diff.status().message());
  return {200, *diff + "\n", "application/json"};
}

AdminResponse ExplainFromHistory(const std::string& customer_id, const std::string& rule_id,
                                 const rules::RuleEnvironment& environment,
                                 const ConsoleOptions& options) {
  if (!options.explain) {
    return Json(409, {{"error",
                       "no history to explain from: set admin.console_history to a JSON Lines "
                       "events file (docs/console.md), or run touchstream explain"}});
  }
  rules::LoadResult loaded = rules::LoadRules(options.rules_paths, environment);
  if (!loaded.ok()) return Json(422, {{"ok", false}, {"errors", ErrorsJson(loaded.errors)}});
  Result<std::string> explained = options.explain(loaded.rule_set, customer_id, rule_id);
  if (!explained.ok()) {
    const int status = explained.status().code() == Status::Code::kNotFound ? 404 : 500;
    return Json(status, {{"error", explained.status().message()}});
  }
  return {200, *explained + "\n", "application/json"};
}

nlohmann::json CustomerModelsJson(const rules::CustomerModels* models,
                                  const v1::CustomerState& customer, int64_t now_ms) {
  if (models == nullptr) return nullptr;
  auto value = [&](rules::ModelField field) {
    const double v = models->Value(field, customer, now_ms);
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  return {{"p_alive", value(rules::ModelField::kProbabilityAlive)},
          {"expected_purchases", value(rules::ModelField::kExpectedPurchases)},
          {"expected_spend", value(rules::ModelField::kExpectedSpend)},
          {"predicted_clv", value(rules::ModelField::kPredictedClv)}};
}

nlohmann::json RuleListJson(const rules::RuleSet& rule_set) {
  nlohmann::json list = nlohmann::json::array();
  for (const rules::Rule& rule : rule_set.rules()) {
    nlohmann::json channels = nlohmann::json::array();
    nlohmann::json kinds = nlohmann::json::array();
    for (const rules::Action& action : rule.actions) {
      if (const auto* emit = std::get_if<rules::EmitAction>(&action)) {
        for (const std::string& channel : emit->channels) channels.push_back(channel);
        kinds.push_back(emit->kind);
      }
    }
    const rules::RulePolicy& p = rule.policy;
    nlohmann::json policy = {{"category", p.category},
                             {"once", p.once},
                             {"cooldown_ms", p.cooldown_ms},
                             {"max_runs", p.max_runs},
                             {"max_per_ms", p.max_per_ms},
                             {"exclusion_group", p.exclusion_group},
                             {"holdout_percent", p.holdout_percent},
                             {"experiment", p.experiment},
                             {"max_delay_ms", p.max_delay_ms},
                             {"quiet_hours", nullptr}};
    if (p.has_quiet_hours) {
      policy["quiet_hours"] = {{"from_minute", p.quiet_hours.from_minute},
                               {"to_minute", p.quiet_hours.to_minute},
                               {"defer", p.quiet_hours.defer}};
    }
    nlohmann::json conversion = nullptr;
    if (rule.conversion) {
      conversion = {{"event_type", rule.conversion->event_type},
                    {"within_ms", rule.conversion->within_ms}};
    }
    list.push_back({{"id", rule.id},
                    {"version", rule.version},
                    {"enabled", rule.enabled},
                    {"file", rule.file},
                    {"line", rule.line},
                    {"description", rule.description},
                    {"priority", rule.priority},
                    {"tags", rule.tags},
                    {"trigger", rules::TriggerName(rule.trigger)},
                    {"condition", rule.condition ? nlohmann::json(rule.condition->canonical)
                                                 : nlohmann::json(nullptr)},
                    {"channels", channels},
                    {"kinds", kinds},
                    {"conversion", conversion},
                    {"policy", policy}});
  }
  return list;
}

}  // namespace touchstream::engine
