#include "rules/yaml_reader.h"

#include <algorithm>
#include <cctype>

#include "base/duration.h"
#include "rules/compiler.h"
#include "rules/lexer.h"

namespace touchstream::rules {

bool IsIdentifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

void YamlReader::ErrorAt(const YAML::Node& node, std::string message) {
  const YAML::Mark mark = node.Mark();
  sink_.Error(mark.line + 1, mark.column + 1, std::move(message));
}

bool YamlReader::CheckKeys(const YAML::Node& map, std::span<const std::string_view> known,
                           std::string_view where, YamlEntries* entries) {
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

bool YamlReader::Scalar(const YAML::Node& node, std::string_view what, std::string* out) {
  if (!node.IsScalar()) {
    ErrorAt(node, std::string(what) + " must be a single value");
    return false;
  }
  *out = node.Scalar();
  return true;
}

bool YamlReader::StringList(const YAML::Node& node, std::string_view what, bool allow_scalar,
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
    if (Scalar(item, "each entry of " + std::string(what), &value)) {
      out->push_back(value);
    } else {
      ok = false;
    }
  }
  return ok;
}

bool YamlReader::Duration(const YAML::Node& node, std::string_view what, bool allow_negative,
                          int64_t* ms) {
  std::string text;
  if (!Scalar(node, what, &text)) return false;
  const Result<int64_t> parsed = ParseDuration(text);
  if (!parsed.ok()) {
    ErrorAt(node, std::string(what) + ": " + parsed.status().message());
    return false;
  }
  *ms = *parsed;
  if (!allow_negative && *ms <= 0) {
    ErrorAt(node, std::string(what) + " must be a positive duration");
    return false;
  }
  return true;
}

bool YamlReader::EventType(const YAML::Node& node, const std::string& type, bool allow_any) {
  if ((allow_any && type == "*") || IsIdentifier(type)) return true;
  ErrorAt(node, "invalid event type '" + type + "' (use lower_snake_case" +
                    (allow_any ? std::string(", or \"*\" for any)") : std::string(")")));
  return false;
}

bool YamlReader::EventTypes(const YAML::Node& node, std::string_view what, bool allow_any,
                            std::vector<std::string>* out) {
  const size_t first = out->size();
  if (!StringList(node, what, true, out)) return false;
  if (out->size() == first) {
    ErrorAt(node, std::string(what) + " needs at least one event type");
    return false;
  }
  bool ok = true;
  for (size_t i = first; i < out->size(); ++i) ok = EventType(node, (*out)[i], allow_any) && ok;
  return ok;
}

std::shared_ptr<const Program> YamlReader::Expression(const YAML::Node& node, std::string_view what,
                                                      const CheckScope& scope) {
  std::string text;
  if (!Scalar(node, what, &text)) return nullptr;
  ExprPtr ast;
  return CompileExpression(text, Location(node), scope, env_, &sink_, &ast);
}

ExprLocation YamlReader::Location(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return ExprLocation::ForScalar(file_, mark.line, mark.column, node.Scalar());
}

}  // namespace touchstream::rules
