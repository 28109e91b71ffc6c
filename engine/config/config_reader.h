// ConfigReader: the YAML reading vocabulary of the engine config (engine/config/config.cc and the
// section readers split from it): walks mappings key by key and keeps the first error with
// file:line and the key path.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/duration.h"
#include "base/text_match.h"
#include "engine/config/config.h"
#include "state/window_declaration.h"

namespace touchstream::engine {

// Reads a YAML mapping key by key, remembering the first error with file:line and key path.
class ConfigReader {
 public:
  explicit ConfigReader(std::string file) : file_(std::move(file)) {}

  bool failed() const { return !error_.empty(); }
  Status status() const { return failed() ? Status::InvalidArgument(error_) : Status::Ok(); }

  void Fail(const YAML::Node& node, const std::string& key, const std::string& what) {
    if (failed()) return;
    std::ostringstream out;
    out << file_;
    if (node.Mark().line >= 0) out << ":" << node.Mark().line + 1;
    out << ": " << key << ": " << what;
    error_ = out.str();
  }

  // Calls fn(key, value) for each entry of a mapping; unknown keys (not in `known`) are errors.
  void ForEach(
      const YAML::Node& map, const std::string& path, const std::set<std::string>& known,
      const std::function<void(const std::string&, const YAML::Node&, const std::string&)>& fn) {
    if (!map || map.IsNull()) return;
    if (!map.IsMap()) return Fail(map, path.empty() ? "(top level)" : path, "expected a mapping");
    for (const auto& entry : map) {
      const std::string key = entry.first.as<std::string>();
      const std::string full = path.empty() ? key : path + "." + key;
      if (!known.empty() && !known.count(key)) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return Fail(entry.first, full, "unknown key (expected one of: " + list + ")");
      }
      fn(key, entry.second, full);
      if (failed()) return;
    }
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
  std::string file_;
  std::string error_;
};

// policy: section of the engine config (engine/config/policy_section.cc).
void ReadPolicy(ConfigReader& r, const YAML::Node& node, PolicyConfig* policy);

}  // namespace touchstream::engine
