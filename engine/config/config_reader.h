// ConfigReader: the YAML reading vocabulary of the engine config (engine/config/config.cc and the
// section readers split from it): walks mappings key by key, reading each key with the reader
// its table names, and collects every error as "file:line:col: error: <key path>: <message>",
// the style of rule-file diagnostics, with a did-you-mean for unknown keys.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/duration.h"
#include "base/text_match.h"
#include "base/time_format.h"
#include "engine/config/config.h"
#include "state/window_declaration.h"

namespace touchstream::engine {

// Reads a YAML mapping key by key, collecting every error with file:line:col and key path.
// A section (BeginSection) stops its own cross-key checks after its first error (failed()),
// while later sections are still read, so one load reports the errors of every section.
class ConfigReader {
 public:
  // How one key's value is read: (value node, full key path such as "state.retention").
  using KeyReader = std::function<void(const YAML::Node&, const std::string&)>;
  // Key -> reader: the keys a mapping may have.
  using KeyTable = std::map<std::string, KeyReader, std::less<>>;

  explicit ConfigReader(std::string file) : file_(std::move(file)) {}

  // Starts a top-level section: failed() now counts only its errors.
  void BeginSection() { section_start_ = errors_.size(); }
  // True when the current section has an error.
  bool failed() const { return errors_.size() > section_start_; }
  // Errors so far (to tell whether one reader added any).
  size_t error_count() const { return errors_.size(); }
  // True when any section has an error.
  bool any_failed() const { return !errors_.empty(); }
  // InvalidArgument with every error, one a line in file order of reading; ok when none.
  Status status() const {
    if (errors_.empty()) return Status::Ok();
    std::string text;
    for (const std::string& e : errors_) text += (text.empty() ? "" : "\n") + e;
    return Status::InvalidArgument(text);
  }

  // Records "file:line:col: error: key: what" at `node`'s position (only "file: error: ..." when
  // the node has none).
  void Fail(const YAML::Node& node, const std::string& key, const std::string& what) {
    FailAt(node.Mark().line, node.Mark().column, key, what);
  }
  // The same at a 0-based line and column (-1: no position); an empty key is left out.
  void FailAt(int line, int column, const std::string& key, const std::string& what) {
    std::string out = file_;
    if (line >= 0) out += ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1);
    out += ": error: " + (key.empty() ? std::string() : key + ": ") + what;
    errors_.push_back(std::move(out));
  }

  // Calls fn(key, value, full path) for each entry of a mapping; unknown keys (not in `known`,
  // when it is not empty) are errors with a did-you-mean, and reading goes on after errors.
  void ForEach(
      const YAML::Node& map, const std::string& path, const std::set<std::string>& known,
      const std::function<void(const std::string&, const YAML::Node&, const std::string&)>& fn) {
    if (!map || map.IsNull()) return;
    if (!map.IsMap()) return Fail(map, path.empty() ? "(top level)" : path, "expected a mapping");
    for (const auto& entry : map) {
      if (!entry.first.IsScalar()) {
        Fail(entry.first, path.empty() ? "(top level)" : path, "expected a key name");
        continue;
      }
      const std::string key = entry.first.Scalar();
      const std::string full = path.empty() ? key : path + "." + key;
      if (!known.empty() && !known.count(key)) {
        UnknownKey(entry.first, full, key,
                   std::vector<std::string_view>(known.begin(), known.end()));
        continue;
      }
      fn(key, entry.second, full);
    }
  }

  // Reads each entry of a mapping with the reader `table` names for its key; unknown keys are
  // errors with a did-you-mean. With `sections`, each key starts a section (BeginSection).
  void Read(const YAML::Node& map, const std::string& path, const KeyTable& table,
            bool sections = false) {
    std::set<std::string> known;
    for (const auto& [key, reader] : table) known.insert(key);
    ForEach(map, path, known,
            [&](const std::string& key, const YAML::Node& value, const std::string& full) {
              if (sections) BeginSection();
              table.find(key)->second(value, full);
            });
  }

  // Table entries for the common value kinds: read the value into *out (kept alive by the
  // caller while the table is used).
  KeyReader StringInto(std::string* out) {
    return [this, out](const YAML::Node& v, const std::string& key) { String(v, key, out); };
  }
  KeyReader StringListInto(std::vector<std::string>* out) {
    return [this, out](const YAML::Node& v, const std::string& key) { StringList(v, key, out); };
  }
  KeyReader IntInto(int64_t min, int64_t* out) {
    return [this, min, out](const YAML::Node& v, const std::string& key) { Int(v, key, min, out); };
  }
  KeyReader DurationInto(bool allow_zero, int64_t* out) {
    return [this, allow_zero, out](const YAML::Node& v, const std::string& key) {
      Duration(v, key, allow_zero, out);
    };
  }

  void String(const YAML::Node& node, const std::string& key, std::string* out) {
    if (!node.IsScalar()) return Fail(node, key, "expected a string");
    *out = node.Scalar();
  }

  void Int(const YAML::Node& node, const std::string& key, int64_t min, int64_t* out) {
    int64_t value = 0;
    if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, value)) {
      return Fail(node, key,
                  "expected an integer, got '" + (node.IsScalar() ? node.Scalar() : "") + "'");
    }
    if (value < min) return Fail(node, key, "must be at least " + std::to_string(min));
    *out = value;
  }

  void Bool(const YAML::Node& node, const std::string& key, bool* out) {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      return Fail(node, key,
                  "expected true or false, got '" + (node.IsScalar() ? node.Scalar() : "") + "'");
    }
    *out = value;
  }

  // An RFC 3339 time (2024-01-31T00:00:00Z), as epoch milliseconds.
  void Timestamp(const YAML::Node& node, const std::string& key, int64_t* out) {
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    const std::optional<int64_t> ms = ParseRfc3339Ms(text);
    if (!ms)
      return Fail(node, key, "expected a time such as 2024-01-31T00:00:00Z, got '" + text + "'");
    *out = *ms;
  }

  // A duration (base/duration.h: 90d, 12h, 1h30m, 2w), positive; zero ("0", "0s") is accepted
  // only when allow_zero.
  void Duration(const YAML::Node& node, const std::string& key, bool allow_zero, int64_t* out) {
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    const Result<int64_t> ms = ParseDuration(text);
    if (!ms.ok()) {
      return Fail(node, key, "expected a duration such as 90d, 12h or 1h30m, got '" + text + "'");
    }
    if (*ms < 0 || (*ms == 0 && !allow_zero)) return Fail(node, key, "must be positive");
    *out = *ms;
  }

  void StringList(const YAML::Node& node, const std::string& key, std::vector<std::string>* out) {
    out->clear();
    if (node.IsScalar()) {
      out->push_back(node.Scalar());
      return;
    }
    if (!node.IsSequence()) return Fail(node, key, "expected a string or a list of strings");
    for (const auto& item : node) {
      if (!item.IsScalar()) return Fail(item, key, "expected a string");
      out->push_back(item.Scalar());
    }
  }

  void StringMap(const YAML::Node& node, const std::string& key,
                 std::map<std::string, std::string>* out) {
    ForEach(node, key, {}, [&](const std::string& k, const YAML::Node& v, const std::string& full) {
      if (!v.IsScalar()) return Fail(v, full, "expected a string");
      (*out)[k] = v.Scalar();
    });
  }

 private:
  void UnknownKey(const YAML::Node& node, const std::string& full, const std::string& key,
                  const std::vector<std::string_view>& known) {
    const std::string_view suggestion = ClosestMatch(key, known);
    if (!suggestion.empty()) {
      return Fail(node, full, "unknown key (did you mean '" + std::string(suggestion) + "'?)");
    }
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    Fail(node, full, "unknown key (expected one of: " + list + ")");
  }

  std::string file_;
  std::vector<std::string> errors_;
  size_t section_start_ = 0;
};

// policy: section of the engine config (engine/config/policy_section.cc).
void ReadPolicy(ConfigReader& r, const YAML::Node& node, PolicyConfig* policy);

// The customer-value sections (engine/config/customer_sections.cc).
// aggregates: declares each aggregate's type in *env as well.
void ReadAggregates(ConfigReader& r, const YAML::Node& node, state::AnalyticsConfig* analytics,
                    rules::RuleEnvironment* env);
void ReadRfm(ConfigReader& r, const YAML::Node& node, state::AnalyticsConfig* analytics);
void ReadConsent(ConfigReader& r, const YAML::Node& node, state::ConsentConfig* consent);
void ReadClv(ConfigReader& r, const YAML::Node& node, ClvConfig* clv);
void ReadSatisfaction(ConfigReader& r, const YAML::Node& node, state::SatisfactionConfig* s);
// value_tiers: the score expression's node goes to *score_node, compiled by CompileValueScore
// once every section is read.
void ReadValueTiers(ConfigReader& r, const YAML::Node& node, ValueTiersConfig* tiers,
                    std::optional<YAML::Node>* score_node);
void CompileValueScore(ConfigReader& r, const std::string& file_name, const std::string& yaml_text,
                       const YAML::Node& node, const rules::RuleEnvironment& env,
                       ValueTiersConfig* tiers);
// loyalty: the tier basis node goes to *basis_node, checked by CheckLoyaltyBasis once the
// aggregates are known.
void ReadLoyalty(ConfigReader& r, const YAML::Node& node, state::LoyaltyConfig* loyalty,
                 std::optional<YAML::Node>* basis_node);
void CheckLoyaltyBasis(ConfigReader& r, const YAML::Node& node,
                       const state::AnalyticsConfig& analytics, const std::string& basis);
void ReadHistory(ConfigReader& r, const YAML::Node& node, int64_t* size);

// deliver: section (engine/config/deliver_section.cc).
void ReadDeliver(ConfigReader& r, const YAML::Node& node, DeliverConfig* deliver);

}  // namespace touchstream::engine
