#include "rules/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "rules/rule_file.h"

namespace touchstream::rules {

namespace {

struct Input {
  std::string name;
  std::string text;
};

bool IsRuleFile(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return false;
  *text = buffer.str();
  return true;
}

Diagnostic FileError(const std::string& file, std::string message) {
  Diagnostic d;
  d.file = file;
  d.message = std::move(message);
  return d;
}

// Collects the files named by `paths` in load order, reporting paths that cannot be read.
std::vector<Input> ReadInputs(const std::vector<std::string>& paths,
                              std::vector<Diagnostic>* errors) {
  std::vector<Input> inputs;
  for (const std::string& path : paths) {
    std::error_code ec;
    std::vector<std::string> files;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        if (entry.is_regular_file(ec) && IsRuleFile(entry.path()))
          files.push_back(entry.path().string());
      }
      if (ec) errors->push_back(FileError(path, "cannot list directory: " + ec.message()));
      std::sort(files.begin(), files.end());
    } else if (std::filesystem::exists(path, ec)) {
      files.push_back(path);
    } else {
      errors->push_back(FileError(path, "no such file or directory"));
    }
    for (const std::string& file : files) {
      Input input{file, {}};
      if (!ReadFile(file, &input.text)) {
        errors->push_back(FileError(file, "cannot read file"));
        continue;
      }
      inputs.push_back(std::move(input));
    }
  }
  return inputs;
}

LoadResult Load(const std::vector<Input>& inputs, std::vector<Diagnostic> errors,
                const RuleEnvironment& env) {
  std::vector<std::unique_ptr<SourceFile>> files;
  std::vector<ParsedRule> parsed;
  for (const Input& input : inputs) {
    files.push_back(std::make_unique<SourceFile>(input.name, input.text));
    ParseRuleFile(input.text, *files.back(), env, &parsed, &errors);
  }
  // Duplicate ids, reported at the later definition, naming the earlier one.
  std::map<std::string, const ParsedRule*> first_by_id;
  for (const ParsedRule& p : parsed) {
    if (p.rule.id.empty()) continue;
    auto [it, inserted] = first_by_id.emplace(p.rule.id, &p);
    if (inserted) continue;
    const ParsedRule& first = *it->second;
    auto file = std::find_if(files.begin(), files.end(),
                             [&](const auto& f) { return f->name() == p.rule.file; });
    std::vector<Diagnostic> duplicate;
    DiagnosticSink sink(file->get(), &duplicate);
    sink.Error(p.id_line, p.id_column,
               "duplicate rule id '" + p.rule.id + "' (also defined at " + first.rule.file + ":" +
                   std::to_string(first.id_line) + ")");
    errors.push_back(std::move(duplicate.front()));
  }
  LoadResult result;
  result.errors = std::move(errors);
  if (result.ok()) {
    std::vector<Rule> rules;
    rules.reserve(parsed.size());
    for (ParsedRule& p : parsed) rules.push_back(std::move(p.rule));
    result.rule_set = std::make_shared<const RuleSet>(std::move(rules));
  }
  return result;
}

}  // namespace

LoadResult LoadRules(const std::vector<std::string>& paths, const RuleEnvironment& env) {
  std::vector<Diagnostic> errors;
  std::vector<Input> inputs = ReadInputs(paths, &errors);
  return Load(inputs, std::move(errors), env);
}

LoadResult LoadRulesFromString(std::string_view yaml_text, std::string_view file_name,
                               const RuleEnvironment& env) {
  return Load({Input{std::string(file_name), std::string(yaml_text)}}, {}, env);
}

}  // namespace touchstream::rules
