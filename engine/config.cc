#include "engine/config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace touchstream::engine {

namespace {

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

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute() || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void ReadKafka(ConfigReader& r, const YAML::Node& node, KafkaConfig* kafka) {
  r.ForEach(node, "kafka",
            {"bootstrap_servers", "group_id", "input_topics", "embedded_partitions", "consumer",
             "producer"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "bootstrap_servers") r.String(v, full, &kafka->bootstrap_servers);
              if (key == "group_id") r.String(v, full, &kafka->group_id);
              if (key == "input_topics") r.StringList(v, full, &kafka->input_topics);
              if (key == "embedded_partitions") {
                int64_t n = 0;
                r.Int(v, full, 1, &n);
                kafka->embedded_partitions = static_cast<int>(n);
              }
              if (key == "consumer") r.StringMap(v, full, &kafka->consumer_properties);
              if (key == "producer") r.StringMap(v, full, &kafka->producer_properties);
            });
}

void ReadOutput(ConfigReader& r, const YAML::Node& node, OutputConfig* out) {
  r.ForEach(node, "output",
            {"channel_topics", "default_topic", "alerts_topic", "decisions_topic",
             "dead_letter_topic", "format"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "channel_topics") r.StringMap(v, full, &out->channel_topics);
              if (key == "default_topic") r.String(v, full, &out->default_topic);
              if (key == "alerts_topic") r.String(v, full, &out->alerts_topic);
              if (key == "decisions_topic") r.String(v, full, &out->decisions_topic);
              if (key == "dead_letter_topic") r.String(v, full, &out->dead_letter_topic);
              if (key == "format") {
                r.String(v, full, &out->format);
                if (out->format != "json" && out->format != "protobuf")
                  r.Fail(v, full, "expected json or protobuf");
              }
            });
}

void ReadState(ConfigReader& r, const YAML::Node& node, StateConfig* state) {
  r.ForEach(node, "state", {"dir", "block_cache_mb", "cache_customers"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "dir") r.String(v, full, &state->dir);
              if (key == "block_cache_mb") {
                int64_t mb = 0;
                r.Int(v, full, 1, &mb);
                state->block_cache_bytes = mb << 20;
              }
              if (key == "cache_customers") r.Int(v, full, 1, &state->cache_customers);
            });
}

void ReadProcessing(ConfigReader& r, const YAML::Node& node, ProcessingConfig* p) {
  r.ForEach(node, "processing",
            {"input_format", "max_event_bytes", "commit_interval_ms", "commit_max_events",
             "max_in_flight"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "input_format") {
                r.String(v, full, &p->input_format);
                if (p->input_format != "json" && p->input_format != "protobuf" &&
                    p->input_format != "auto") {
                  r.Fail(v, full, "expected json, protobuf or auto");
                }
              }
              if (key == "max_event_bytes") r.Int(v, full, 16, &p->max_event_bytes);
              if (key == "commit_interval_ms") r.Int(v, full, 1, &p->commit_interval_ms);
              if (key == "commit_max_events") r.Int(v, full, 1, &p->commit_max_events);
              if (key == "max_in_flight") r.Int(v, full, 1, &p->max_in_flight);
            });
}

void ReadEvents(ConfigReader& r, const YAML::Node& node, rules::RuleEnvironment* env) {
  r.ForEach(node, "events", {},
            [&](const std::string& type, const YAML::Node& props, const std::string& path) {
              auto& declared = env->event_properties[type];
              r.ForEach(props, path, {},
                        [&](const std::string& name, const YAML::Node& v, const std::string& full) {
                          if (!v.IsScalar()) return r.Fail(v, full, "expected a type name");
                          auto type_or = rules::ParseValueType(v.Scalar());
                          if (!type_or.ok()) return r.Fail(v, full, type_or.status().message());
                          declared[name] = *type_or;
                        });
            });
}

}  // namespace

const std::string& EngineConfig::TopicFor(const std::string& channel,
                                          const std::string& kind) const {
  if (kind == "alert" && !output.alerts_topic.empty()) return output.alerts_topic;
  auto it = output.channel_topics.find(channel);
  return it == output.channel_topics.end() ? output.default_topic : it->second;
}

Result<EngineConfig> LoadConfigFromString(const std::string& yaml_text,
                                          const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  EngineConfig config;
  config.source_file = file_name;
  const std::string base_dir = std::filesystem::path(file_name).parent_path().string();
  ConfigReader r(file_name);
  try {
    r.ForEach(root, "", {"kafka", "output", "state", "processing", "rules", "events", "metrics"},
              [&](const std::string& key, const YAML::Node& v, const std::string& full) {
                if (key == "kafka") ReadKafka(r, v, &config.kafka);
                if (key == "output") ReadOutput(r, v, &config.output);
                if (key == "state") ReadState(r, v, &config.state);
                if (key == "processing") ReadProcessing(r, v, &config.processing);
                if (key == "rules") r.StringList(v, full, &config.rules_paths);
                if (key == "events") ReadEvents(r, v, &config.rule_environment);
                if (key == "metrics") {
                  r.ForEach(v, full, {"address"},
                            [&](const std::string&, const YAML::Node& a, const std::string& f) {
                              r.String(a, f, &config.metrics_address);
                            });
                }
              });
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file_name + ":" + std::to_string(e.mark.line + 1) + ": " +
                                   e.msg);
  }
  if (r.failed()) return r.status();
  config.state.dir = ResolvePath(base_dir, config.state.dir);
  for (auto& p : config.rules_paths) p = ResolvePath(base_dir, p);
  return config;
}

Result<EngineConfig> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return LoadConfigFromString(text.str(), path);
}

}  // namespace touchstream::engine
