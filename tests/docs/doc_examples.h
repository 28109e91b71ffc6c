// Checking a document's YAML examples with the engine's own loaders, and its links.
//
// A ```yaml block is a rule file when it is a list (of rules) or a map whose `rules:` is a list
// of maps; any other map is an engine config. Rule files load with rules::LoadRulesFromString,
// configs with engine::LoadConfigFromString. Blocks marked `<!-- fragment -->` on the line
// above are pieces of a file and are not loaded (a marked block that loads whole is reported,
// so the mark is kept for real fragments).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "rules/environment.h"
#include "tests/docs/markdown.h"

namespace touchstream::docs {

// Checks the YAML examples of one document, in order. Rules are checked against the rule
// environment of the nearest engine-config example above them in the same document (the
// aggregates, stages, calendars and event types it declares), else the starting environment.
// Not thread-safe.
class ExampleChecker {
 public:
  // `doc_name` names the document in messages ("docs/rules.md").
  ExampleChecker(std::string doc_name, rules::RuleEnvironment environment);

  // The problems of one block, each starting "<doc>:<line>"; empty when it loads, or when it is
  // a fragment, or not YAML (info string other than yaml/yml).
  std::vector<std::string> Check(const CodeBlock& block);

  // Blocks loaded so far, and fragments skipped.
  int checked() const { return checked_; }
  int fragments() const { return fragments_; }

 private:
  // The first problem loading the block whole, or "" when it loads.
  std::string Load(const CodeBlock& block, bool keep_environment);

  std::string doc_name_;
  rules::RuleEnvironment environment_;
  int checked_ = 0;
  int fragments_ = 0;
};

// The problems of the links of one document: every relative link must name an existing file
// or folder (relative to the document), and an anchor must be a heading of the target (or of
// the document itself for "#anchor"). `doc_name` is relative to `source_dir`.
std::vector<std::string> LinkProblems(const std::filesystem::path& source_dir,
                                      const std::string& doc_name, std::string_view markdown);

}  // namespace touchstream::docs
