// YamlReader: checked reading of YAML nodes of one rule file, reporting problems as
// diagnostics at the node's position ("file:line:col: error: ..."). Internal to ts_rules;
// shared by the rule, trigger and action parsers.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/checker.h"
#include "rules/environment.h"
#include "rules/program.h"
#include "rules/source.h"

namespace touchstream::rules {

// Key name -> (key node, value node), as filled by CheckKeys.
using YamlEntries = std::map<std::string, std::pair<YAML::Node, YAML::Node>>;

class YamlReader {
 public:
  YamlReader(const SourceFile& file, const RuleEnvironment& env, std::vector<Diagnostic>* errors)
      : file_(file), env_(env), sink_(&file, errors) {}

  const SourceFile& file() const { return file_; }
  const RuleEnvironment& env() const { return env_; }
  DiagnosticSink* sink() { return &sink_; }
  size_t error_count() const { return sink_.error_count(); }

  void ErrorAt(const YAML::Node& node, std::string message);

  // Reports unknown keys (with a did-you-mean or the list of known keys) and repeated keys
  // of `map`, `where` naming it ("trigger"); fills *entries. False when anything was reported.
  bool CheckKeys(const YAML::Node& map, std::span<const std::string_view> known,
                 std::string_view where, YamlEntries* entries);

  // A scalar's text; reports `what` must be a single value otherwise.
  bool Scalar(const YAML::Node& node, std::string_view what, std::string* out);
  // A list of scalars (or, with allow_scalar, one scalar as a one-element list).
  bool StringList(const YAML::Node& node, std::string_view what, bool allow_scalar,
                  std::vector<std::string>* out);
  // A duration (base/duration.h: 2h, 30d, 1h30m, 2w); with allow_negative false, must be
  // positive.
  bool Duration(const YAML::Node& node, std::string_view what, bool allow_negative, int64_t* ms);
  // An event type name (lower_snake_case), or "*" when allow_any.
  bool EventType(const YAML::Node& node, const std::string& type, bool allow_any);
  // A list of event types (or one), each checked by EventType.
  bool EventTypes(const YAML::Node& node, std::string_view what, bool allow_any,
                  std::vector<std::string>* out);

  // Compiles the expression in a scalar node; null (with diagnostics) on error.
  std::shared_ptr<const Program> Expression(const YAML::Node& node, std::string_view what,
                                            const CheckScope& scope);

  ExprLocation Location(const YAML::Node& node);

 private:
  const SourceFile& file_;
  const RuleEnvironment& env_;
  DiagnosticSink sink_;
};

// True for [A-Za-z_][A-Za-z0-9_]*.
bool IsIdentifier(std::string_view s);

}  // namespace touchstream::rules
