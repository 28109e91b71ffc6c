// Reading one YAML rule file into Rules (internal to ts_rules; see loader.h for the API).
#pragma once

#include <string_view>
#include <vector>

#include "rules/environment.h"
#include "rules/rule.h"
#include "rules/source.h"

namespace touchstream::rules {

struct ParsedRule {
  Rule rule;
  int id_line = 0;  // position of the id value, for duplicate-id errors
  int id_column = 0;
};

// Parses and compiles every rule in `text` (the contents of `file`). Every error found is
// appended to *errors (sorted by position); rules with errors are still appended to *rules
// as far as they were understood, so callers must check *errors. Never throws.
void ParseRuleFile(std::string_view text, const SourceFile& file, const RuleEnvironment& env,
                   std::vector<ParsedRule>* rules, std::vector<Diagnostic>* errors);

}  // namespace touchstream::rules
