// Loading rule files: YAML files with one or more rules each (a top-level list, or a map
// with a `rules:` list). The format is documented in docs/rules.md ("Rule file format").
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/environment.h"
#include "rules/rule.h"
#include "rules/source.h"

namespace touchstream::rules {

struct LoadResult {
  // The loaded rules; null when there is any error.
  std::shared_ptr<const RuleSet> rule_set;
  // Every error found, in file order then position order.
  std::vector<Diagnostic> errors;
  bool ok() const { return errors.empty(); }
};

// Loads rule files. Each path is a file, or a directory whose *.yaml / *.yml files (not
// recursive) are loaded in name order. Rule ids must be unique across all files. Unreadable
// paths, YAML syntax errors, unknown keys, expression errors and duplicate ids are all
// reported (one pass, as many as can be found).
LoadResult LoadRules(const std::vector<std::string>& paths, const RuleEnvironment& env);

// Loads rules from YAML text; `file_name` is used in diagnostics and Rule::file.
LoadResult LoadRulesFromString(std::string_view yaml_text, std::string_view file_name,
                               const RuleEnvironment& env);

}  // namespace touchstream::rules
