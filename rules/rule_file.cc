#include "rules/rule_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <map>
#include <span>

#include "base/time_format.h"
#include "rules/action_parser.h"
#include "rules/compiler.h"
#include "rules/conversion_parser.h"
#include "rules/policy_parser.h"
#include "rules/trigger_parser.h"
#include "rules/yaml_reader.h"

namespace touchstream::rules {

namespace {

constexpr std::string_view kFileKeys[] = {"rules"};
constexpr std::string_view kRuleKeys[] = {
    "id",          "description", "version",     "enabled",         "valid_from",
    "valid_until", "priority",    "tags",        "trigger",         "condition",
    "actions",     "category",    "eligibility", "exclusion_group", "quiet_hours",
    "send_window", "holdout",     "conversion",  "max_delay"};

// Stable, formatting-independent text of a YAML node, for content hashes.
void Canonical(const YAML::Node& node, std::string* out) {
  if (node.IsScalar()) {
    *out += "s" + std::to_string(node.Scalar().size()) + ":" + node.Scalar();
  } else if (node.IsSequence()) {
    *out += "[";
    for (const YAML::Node& item : node) Canonical(item, out);
    *out += "]";
  } else if (node.IsMap()) {
    *out += "{";
    for (auto it = node.begin(); it != node.end(); ++it) {
      Canonical(it->first, out);
      Canonical(it->second, out);
    }
    *out += "}";
  } else {
    *out += "~";
  }
}

std::string ContentVersion(const YAML::Node& node) {
  std::string text;
  Canonical(node, &text);
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a 64
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char buffer[9];
  std::snprintf(buffer, sizeof(buffer), "%08x",
                static_cast<unsigned>((hash ^ (hash >> 32)) & 0xffffffffu));
  return buffer;
}

class FileParser {
 public:
  FileParser(const SourceFile& file, const RuleEnvironment& env, std::vector<Diagnostic>* errors)
      : r_(file, env, errors) {}

  void Parse(std::string_view text, std::vector<ParsedRule>* rules) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
      r_.sink()->Error(e.mark.line + 1, e.mark.column + 1, "invalid YAML: " + e.msg);
      return;
    } catch (const YAML::Exception& e) {
      r_.sink()->Error(0, 0, std::string("invalid YAML: ") + e.what());
      return;
    }
    if (!root.IsDefined() || root.IsNull()) return;
    YAML::Node list = root;
    if (root.IsMap()) {
      std::map<std::string, std::pair<YAML::Node, YAML::Node>> entries;
      r_.CheckKeys(root, kFileKeys, "the file", &entries);
      if (!entries.count("rules")) {
        r_.ErrorAt(root, "expected a list of rules, or a map with a 'rules:' list");
        return;
      }
      list = entries["rules"].second;
    }
    if (!list.IsSequence()) {
      r_.ErrorAt(list, "expected a list of rules");
      return;
    }
    for (const YAML::Node& item : list) {
      ParsedRule parsed;
      if (ParseRule(item, &parsed)) rules->push_back(std::move(parsed));
    }
  }

 private:
  bool ParseRule(const YAML::Node& node, ParsedRule* parsed) {
    Rule& rule = parsed->rule;
    rule.file = r_.file().name();
    rule.line = node.Mark().line + 1;
    if (!node.IsMap()) {
      r_.ErrorAt(node, "each rule must be a map with at least 'id', 'trigger' and 'actions'");
      return false;
    }
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> e;
    r_.CheckKeys(node, kRuleKeys, "rule", &e);
    auto value = [&e](const char* key) { return e.count(key) ? e[key].second : YAML::Node(); };

    if (!e.count("id")) {
      r_.ErrorAt(node, "rule has no 'id'");
    } else if (r_.Scalar(value("id"), "'id'", &rule.id)) {
      parsed->id_line = value("id").Mark().line + 1;
      parsed->id_column = value("id").Mark().column + 1;
      if (rule.id.empty() || !std::all_of(rule.id.begin(), rule.id.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
          })) {
        r_.ErrorAt(value("id"),
                   "rule id '" + rule.id + "' may only contain letters, digits, '_', '-' and '.'");
      }
    }
    if (e.count("description")) r_.Scalar(value("description"), "'description'", &rule.description);
    if (e.count("version")) {
      r_.Scalar(value("version"), "'version'", &rule.version);
    } else {
      rule.version = ContentVersion(node);
    }
    if (e.count("enabled")) {
      std::string text;
      if (r_.Scalar(value("enabled"), "'enabled'", &text)) {
        if (text == "true") {
          rule.enabled = true;
        } else if (text == "false") {
          rule.enabled = false;
        } else {
          r_.ErrorAt(value("enabled"), "'enabled' must be true or false, not '" + text + "'");
        }
      }
    }
    if (e.count("priority")) {
      std::string text;
      if (r_.Scalar(value("priority"), "'priority'", &text)) {
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rule.priority);
        if (ec != std::errc() || end != text.data() + text.size()) {
          r_.ErrorAt(value("priority"), "'priority' must be an integer, not '" + text + "'");
        }
      }
    }
    if (e.count("tags")) r_.StringList(value("tags"), "'tags'", false, &rule.tags);
    if (e.count("valid_from")) Time(value("valid_from"), "valid_from", &rule.valid_from_ms);
    if (e.count("valid_until")) Time(value("valid_until"), "valid_until", &rule.valid_until_ms);
    if (rule.valid_from_ms != 0 && rule.valid_until_ms != 0 &&
        rule.valid_until_ms <= rule.valid_from_ms) {
      r_.ErrorAt(value("valid_until"), "'valid_until' must be after 'valid_from'");
    }
    std::vector<std::string> event_scope;
    if (!e.count("trigger")) {
      r_.ErrorAt(node, "rule '" + rule.id + "' has no 'trigger' (e.g. trigger: {event: purchase})");
    } else {
      ParseTrigger(value("trigger"), &r_, &rule, &event_scope);
    }
    CheckScope scope;
    scope.event_types = event_scope;
    if (e.count("condition")) {
      const YAML::Node condition = value("condition");
      std::string text;
      if (r_.Scalar(condition, "'condition'", &text)) {
        ExprLocation location = r_.Location(condition);
        ExprPtr ast;
        rule.condition = CompileExpression(text, location, scope, r_.env(), r_.sink(), &ast);
        if (rule.condition != nullptr && rule.condition->type != ValueType::kBool &&
            rule.condition->type != ValueType::kDyn) {
          r_.sink()->ErrorAt(location, 0,
                             "condition must be a bool expression, but it is " +
                                 std::string(ValueTypeName(rule.condition->type)));
        }
      }
    }
    if (!e.count("actions")) {
      r_.ErrorAt(node, "rule '" + rule.id + "' has no 'actions'");
    } else if (!value("actions").IsSequence() || value("actions").size() == 0) {
      r_.ErrorAt(value("actions"), "'actions' must be a non-empty list");
    } else {
      for (const YAML::Node& action : value("actions")) ParseAction(action, scope, &r_, &rule);
    }
    if (e.count("conversion")) ParseConversion(value("conversion"), &r_, &rule);
    for (std::string_view key : kPolicyKeys) {
      if (e.count(std::string(key)))
        ParsePolicyKey(key, value(std::string(key).c_str()), &r_, &rule);
    }
    if (rule.policy.max_delay_ms == 0) rule.policy.max_delay_ms = DefaultMaxDelayMs(rule.trigger);
    return true;
  }

  void Time(const YAML::Node& node, const char* what, int64_t* ms) {
    std::string text;
    if (!r_.Scalar(node, what, &text)) return;
    const std::optional<int64_t> parsed = ParseRfc3339Ms(text);
    if (!parsed) {
      r_.ErrorAt(node, std::string("'") + what +
                           "' must be an RFC 3339 time such as 2026-01-05T10:00:00Z");
      return;
    }
    *ms = *parsed;
  }

  YamlReader r_;
};

}  // namespace

void ParseRuleFile(std::string_view text, const SourceFile& file, const RuleEnvironment& env,
                   std::vector<ParsedRule>* rules, std::vector<Diagnostic>* errors) {
  const size_t first_error = errors->size();
  FileParser(file, env, errors).Parse(text, rules);
  std::stable_sort(errors->begin() + static_cast<std::ptrdiff_t>(first_error), errors->end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
}

}  // namespace touchstream::rules
