#include "rules/rule_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <map>
#include <span>

#include "proto/time_format.h"
#include "rules/compiler.h"

namespace touchstream::rules {

namespace {

constexpr std::string_view kFileKeys[] = {"rules"};
constexpr std::string_view kRuleKeys[] = {"id",         "description", "version",  "enabled",
                                          "valid_from", "valid_until", "priority", "tags",
                                          "trigger",    "condition",   "actions"};
constexpr std::string_view kTriggerKeys[] = {"event"};
constexpr std::string_view kActionKeys[] = {"emit"};
constexpr std::string_view kEmitKeys[] = {"kind", "channel", "template", "params", "payload"};
constexpr std::string_view kRootNames[] = {"event", "customer", "rule", "now"};

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

bool IsIdentifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

class FileParser {
 public:
  FileParser(const SourceFile& file, const RuleEnvironment& env, std::vector<Diagnostic>* errors)
      : file_(file), env_(env), sink_(&file, errors) {}

  void Parse(std::string_view text, std::vector<ParsedRule>* rules) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
      sink_.Error(e.mark.line + 1, e.mark.column + 1, "invalid YAML: " + e.msg);
      return;
    } catch (const YAML::Exception& e) {
      sink_.Error(0, 0, std::string("invalid YAML: ") + e.what());
      return;
    }
    if (!root.IsDefined() || root.IsNull()) return;
    YAML::Node list = root;
    if (root.IsMap()) {
      std::map<std::string, std::pair<YAML::Node, YAML::Node>> entries;
      CheckKeys(root, kFileKeys, "the file", &entries);
      if (!entries.count("rules")) {
        ErrorAt(root, "expected a list of rules, or a map with a 'rules:' list");
        return;
      }
      list = entries["rules"].second;
    }
    if (!list.IsSequence()) {
      ErrorAt(list, "expected a list of rules");
      return;
    }
    for (const YAML::Node& item : list) {
      ParsedRule parsed;
      if (ParseRule(item, &parsed)) rules->push_back(std::move(parsed));
    }
  }

 private:
  void ErrorAt(const YAML::Node& node, std::string message) {
    const YAML::Mark mark = node.Mark();
    sink_.Error(mark.line + 1, mark.column + 1, std::move(message));
  }

  // Reports unknown and repeated keys; fills *entries with key -> (key node, value node).
  bool CheckKeys(const YAML::Node& map, std::span<const std::string_view> known,
                 std::string_view where,
                 std::map<std::string, std::pair<YAML::Node, YAML::Node>>* entries) {
    const std::vector<std::string_view> candidates(known.begin(), known.end());
    bool ok = true;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        ErrorAt(key, "expected a key name");
        ok = false;
        continue;
      }
      const std::string& name = key.Scalar();
      if (std::find(candidates.begin(), candidates.end(), name) == candidates.end()) {
        std::string message = "unknown key '" + name + "' in " + std::string(where);
        const std::string_view suggestion = ClosestMatch(name, candidates);
        if (!suggestion.empty()) {
          message += " (did you mean '" + std::string(suggestion) + "'?)";
        } else {
          message += " (expected one of:";
          for (std::string_view c : candidates) message += " " + std::string(c);
          message += ")";
        }
        ErrorAt(key, message);
        ok = false;
      } else if (!entries->emplace(name, std::make_pair(key, it->second)).second) {
        ErrorAt(key, "key '" + name + "' appears twice in " + std::string(where));
        ok = false;
      }
    }
    return ok;
  }

  bool Scalar(const YAML::Node& node, std::string_view what, std::string* out) {
    if (!node.IsScalar()) {
      ErrorAt(node, std::string(what) + " must be a single value");
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  bool StringList(const YAML::Node& node, std::string_view what, bool allow_scalar,
                  std::vector<std::string>* out) {
    if (allow_scalar && node.IsScalar()) {
      out->push_back(node.Scalar());
      return true;
    }
    if (!node.IsSequence()) {
      ErrorAt(node,
              std::string(what) + " must be a list" + (allow_scalar ? " or a single value" : ""));
      return false;
    }
    bool ok = true;
    for (const YAML::Node& item : node) {
      std::string value;
      if (Scalar(item, std::string("each entry of ") + std::string(what), &value)) {
        out->push_back(value);
      } else {
        ok = false;
      }
    }
    return ok;
  }

  ExprLocation Location(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return ExprLocation::ForScalar(file_, mark.line, mark.column, node.Scalar());
  }

  bool ParseRule(const YAML::Node& node, ParsedRule* parsed) {
    Rule& rule = parsed->rule;
    rule.file = file_.name();
    rule.line = node.Mark().line + 1;
    if (!node.IsMap()) {
      ErrorAt(node, "each rule must be a map with at least 'id', 'trigger' and 'actions'");
      return false;
    }
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> e;
    CheckKeys(node, kRuleKeys, "rule", &e);
    auto value = [&e](const char* key) { return e.count(key) ? e[key].second : YAML::Node(); };

    if (!e.count("id")) {
      ErrorAt(node, "rule has no 'id'");
    } else if (Scalar(value("id"), "'id'", &rule.id)) {
      parsed->id_line = value("id").Mark().line + 1;
      parsed->id_column = value("id").Mark().column + 1;
      if (rule.id.empty() || !std::all_of(rule.id.begin(), rule.id.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
          })) {
        ErrorAt(value("id"),
                "rule id '" + rule.id + "' may only contain letters, digits, '_', '-' and '.'");
      }
    }
    if (e.count("description")) Scalar(value("description"), "'description'", &rule.description);
    if (e.count("version")) {
      Scalar(value("version"), "'version'", &rule.version);
    } else {
      rule.version = ContentVersion(node);
    }
    if (e.count("enabled")) {
      std::string text;
      if (Scalar(value("enabled"), "'enabled'", &text)) {
        if (text == "true") {
          rule.enabled = true;
        } else if (text == "false") {
          rule.enabled = false;
        } else {
          ErrorAt(value("enabled"), "'enabled' must be true or false, not '" + text + "'");
        }
      }
    }
    if (e.count("priority")) {
      std::string text;
      if (Scalar(value("priority"), "'priority'", &text)) {
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rule.priority);
        if (ec != std::errc() || end != text.data() + text.size()) {
          ErrorAt(value("priority"), "'priority' must be an integer, not '" + text + "'");
        }
      }
    }
    if (e.count("tags")) StringList(value("tags"), "'tags'", false, &rule.tags);
    if (e.count("valid_from")) Time(value("valid_from"), "valid_from", &rule.valid_from_ms);
    if (e.count("valid_until")) Time(value("valid_until"), "valid_until", &rule.valid_until_ms);
    if (rule.valid_from_ms != 0 && rule.valid_until_ms != 0 &&
        rule.valid_until_ms <= rule.valid_from_ms) {
      ErrorAt(value("valid_until"), "'valid_until' must be after 'valid_from'");
    }
    if (!e.count("trigger")) {
      ErrorAt(node, "rule '" + rule.id + "' has no 'trigger' (e.g. trigger: {event: purchase})");
    } else {
      ParseTrigger(value("trigger"), &rule);
    }
    CheckScope scope;
    scope.event_types = rule.event_types;
    if (e.count("condition")) {
      const YAML::Node condition = value("condition");
      std::string text;
      if (Scalar(condition, "'condition'", &text)) {
        ExprLocation location = Location(condition);
        ExprPtr ast;
        rule.condition = CompileExpression(text, location, scope, env_, &sink_, &ast);
        if (rule.condition != nullptr && rule.condition->type != ValueType::kBool &&
            rule.condition->type != ValueType::kDyn) {
          sink_.ErrorAt(location, 0,
                        "condition must be a bool expression, but it is " +
                            std::string(ValueTypeName(rule.condition->type)));
        }
      }
    }
    if (!e.count("actions")) {
      ErrorAt(node, "rule '" + rule.id + "' has no 'actions'");
    } else if (!value("actions").IsSequence() || value("actions").size() == 0) {
      ErrorAt(value("actions"), "'actions' must be a non-empty list");
    } else {
      for (const YAML::Node& action : value("actions")) ParseAction(action, scope, &rule);
    }
    return true;
  }

  void Time(const YAML::Node& node, const char* what, int64_t* ms) {
    std::string text;
    if (!Scalar(node, what, &text)) return;
    const std::optional<int64_t> parsed = ParseRfc3339Ms(text);
    if (!parsed) {
      ErrorAt(node,
              std::string("'") + what + "' must be an RFC 3339 time such as 2026-01-05T10:00:00Z");
      return;
    }
    *ms = *parsed;
  }

  void ParseTrigger(const YAML::Node& node, Rule* rule) {
    if (!node.IsMap()) {
      ErrorAt(node, "'trigger' must be a map, e.g. {event: purchase}");
      return;
    }
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> e;
    CheckKeys(node, kTriggerKeys, "trigger", &e);
    if (!e.count("event")) {
      ErrorAt(node, "'trigger' needs 'event' (an event type, a list of types, or \"*\")");
      return;
    }
    EventTrigger trigger;
    const YAML::Node types = e["event"].second;
    if (!StringList(types, "'event'", true, &trigger.event_types)) return;
    if (trigger.event_types.empty()) {
      ErrorAt(types, "'event' needs at least one event type");
      return;
    }
    for (const std::string& type : trigger.event_types) {
      if (type != "*" && !IsIdentifier(type)) {
        ErrorAt(types,
                "invalid event type '" + type + "' (use lower_snake_case, or \"*\" for any)");
      }
    }
    rule->event_types = trigger.event_types;
    rule->trigger = std::move(trigger);
  }

  void ParseAction(const YAML::Node& node, const CheckScope& scope, Rule* rule) {
    if (!node.IsMap() || node.size() != 1) {
      ErrorAt(node, "each action must be a map with one key naming the action, e.g. 'emit:'");
      return;
    }
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> e;
    if (!CheckKeys(node, kActionKeys, "action", &e)) return;
    EmitAction emit;
    if (ParseEmit(e["emit"].second, scope, &emit)) rule->actions.emplace_back(std::move(emit));
  }

  bool ParseEmit(const YAML::Node& node, const CheckScope& scope, EmitAction* emit) {
    if (!node.IsMap()) {
      ErrorAt(node, "'emit' must be a map with 'kind', 'channel' and usually 'template'");
      return false;
    }
    const size_t errors_before = sink_.error_count();
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> e;
    CheckKeys(node, kEmitKeys, "emit", &e);
    if (!e.count("kind")) {
      ErrorAt(node, "'emit' needs 'kind' (offer, alert, nudge, ...)");
    } else {
      Scalar(e["kind"].second, "'kind'", &emit->kind);
    }
    if (!e.count("channel")) {
      ErrorAt(node, "'emit' needs 'channel' (a channel, or a list in order of preference)");
    } else if (StringList(e["channel"].second, "'channel'", true, &emit->channels) &&
               emit->channels.empty()) {
      ErrorAt(e["channel"].second, "'channel' needs at least one channel");
    }
    // Params first: templates may refer to them by name.
    std::vector<ExprPtr> param_asts;
    std::map<std::string, const Expr*, std::less<>> params;
    if (e.count("params")) {
      const YAML::Node map = e["params"].second;
      if (!map.IsMap()) {
        ErrorAt(map, "'params' must be a map of name: expression");
      } else {
        for (auto it = map.begin(); it != map.end(); ++it) {
          std::string name, text;
          if (!Scalar(it->first, "a param name", &name) || !Scalar(it->second, "a param", &text))
            continue;
          if (!IsIdentifier(name) || std::find(std::begin(kRootNames), std::end(kRootNames),
                                               name) != std::end(kRootNames)) {
            ErrorAt(it->first, "param name '" + name +
                                   "' must be a simple name other than event, customer, rule, now");
            continue;
          }
          if (params.count(name)) {
            ErrorAt(it->first, "param '" + name + "' appears twice");
            continue;
          }
          ExprPtr ast;
          auto program = CompileExpression(text, Location(it->second), scope, env_, &sink_, &ast);
          if (program == nullptr) continue;
          params.emplace(name, ast.get());
          param_asts.push_back(std::move(ast));
          emit->params.push_back({name, std::move(program)});
        }
      }
    }
    CheckScope template_scope = scope;
    template_scope.params = &params;
    if (e.count("template")) {
      const YAML::Node tmpl = e["template"].second;
      std::string text;
      if (Scalar(tmpl, "'template'", &text)) {
        if (auto compiled = CompileTemplate(text, Location(tmpl), template_scope, env_, &sink_)) {
          emit->message = std::move(*compiled);
        }
      }
    }
    if (e.count("payload")) {
      const YAML::Node map = e["payload"].second;
      if (!map.IsMap()) {
        ErrorAt(map, "'payload' must be a map of key: template");
      } else {
        for (auto it = map.begin(); it != map.end(); ++it) {
          std::string key, text;
          if (!Scalar(it->first, "a payload key", &key) ||
              !Scalar(it->second, "a payload value", &text)) {
            continue;
          }
          if (params.count(key)) {
            ErrorAt(it->first,
                    "payload key '" + key + "' is also a param (params are added to the payload)");
            continue;
          }
          if (auto compiled =
                  CompileTemplate(text, Location(it->second), template_scope, env_, &sink_)) {
            emit->payload.push_back({key, std::move(*compiled)});
          }
        }
      }
    }
    return sink_.error_count() == errors_before;
  }

  const SourceFile& file_;
  const RuleEnvironment& env_;
  DiagnosticSink sink_;
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
