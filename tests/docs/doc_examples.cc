#include "tests/docs/doc_examples.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "engine/config/config.h"
#include "rules/loader.h"

namespace touchstream::docs {
namespace {

enum class Kind { kRules, kConfig, kNeither };

Kind Classify(const YAML::Node& root) {
  if (root.IsSequence()) return Kind::kRules;
  if (!root.IsMap()) return Kind::kNeither;
  const YAML::Node rules = root["rules"];
  if (rules && rules.IsSequence() && rules.size() > 0 && rules[0].IsMap()) return Kind::kRules;
  return Kind::kConfig;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ExampleChecker::ExampleChecker(std::string doc_name, rules::RuleEnvironment environment)
    : doc_name_(std::move(doc_name)), environment_(std::move(environment)) {}

std::vector<std::string> ExampleChecker::Check(const CodeBlock& block) {
  if (block.info != "yaml" && block.info != "yml") return {};
  const std::string where = doc_name_ + ":" + std::to_string(block.fence_line);
  if (block.fragment) {
    ++fragments_;
    if (Load(block, /*keep_environment=*/false).empty()) {
      return {where +
              ": the block is marked <!-- fragment --> but loads as a whole; remove the mark"};
    }
    return {};
  }
  ++checked_;
  const std::string problem = Load(block, /*keep_environment=*/true);
  if (problem.empty()) return {};
  return {where + ": example does not load (mark a piece of a file <!-- fragment -->):\n" +
          problem};
}

std::string ExampleChecker::Load(const CodeBlock& block, bool keep_environment) {
  // Blank lines in front, so that the loaders' line numbers are the document's.
  const std::string text = std::string(block.fence_line, '\n') + block.text;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return std::string("not YAML: ") + e.what();
  }
  switch (Classify(root)) {
    case Kind::kRules: {
      const rules::LoadResult loaded = rules::LoadRulesFromString(text, doc_name_, environment_);
      std::string problems;
      for (const rules::Diagnostic& d : loaded.errors) problems += d.ToString() + "\n";
      return problems;
    }
    case Kind::kConfig: {
      Result<engine::EngineConfig> config = engine::LoadConfigFromString(text, doc_name_);
      if (!config.ok()) return config.status().ToString();
      if (keep_environment) environment_ = config->rule_environment;
      return "";
    }
    case Kind::kNeither:
      break;
  }
  return "neither a rule file (a list, or a map with a rules: list) nor an engine config (a map)";
}

std::vector<std::string> LinkProblems(const std::filesystem::path& source_dir,
                                      const std::string& doc_name, std::string_view markdown) {
  namespace fs = std::filesystem;
  std::vector<std::string> problems;
  const fs::path doc_dir = fs::path(doc_name).parent_path();
  for (const Link& link : Links(markdown)) {
    const std::string& target = link.target;
    if (target.starts_with("http://") || target.starts_with("https://") ||
        target.starts_with("mailto:")) {
      continue;
    }
    const size_t hash = target.find('#');
    const std::string path = target.substr(0, hash);
    const std::string anchor = hash == std::string::npos ? "" : target.substr(hash + 1);
    const std::string where =
        doc_name + ":" + std::to_string(link.line) + ": link '" + target + "'";
    const std::string relative =
        path.empty() ? doc_name : (doc_dir / path).lexically_normal().generic_string();
    const fs::path resolved = source_dir / relative;
    if (!path.empty() && !fs::exists(resolved)) {
      problems.push_back(where + ": no such file " + relative);
      continue;
    }
    if (anchor.empty()) continue;
    if (fs::path(relative).extension() != ".md") {
      problems.push_back(where + ": an anchor into a file that is not Markdown");
      continue;
    }
    const std::string target_text = path.empty() ? std::string(markdown) : ReadFile(resolved);
    if (HeadingAnchors(target_text).count(anchor) == 0) {
      problems.push_back(where + ": no heading '#" + anchor + "' in " + relative);
    }
  }
  return problems;
}

}  // namespace touchstream::docs
