#include "engine/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "engine/config/config_reader.h"
#include "engine/ops/log.h"
#include "engine/runtime/partitioner.h"
#include "rules/date_schedule.h"
#include "rules/expression.h"
#include "rules/field_catalog.h"
#include "rules/source.h"

namespace touchstream::engine {

namespace {

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute() || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void ReadKafka(ConfigReader& r, const YAML::Node& node, KafkaConfig* kafka) {
  r.Read(node, "kafka",
         {{"bootstrap_servers",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &kafka->bootstrap_servers);
           }},
          {"group_id", [&](const YAML::Node& v,
                           const std::string& full) { r.String(v, full, &kafka->group_id); }},
          {"input_topics",
           [&](const YAML::Node& v, const std::string& full) {
             r.StringList(v, full, &kafka->input_topics);
           }},
          {"embedded_partitions",
           [&](const YAML::Node& v, const std::string& full) {
             int64_t n = kafka->embedded_partitions;
             r.Int(v, full, 1, &n);
             kafka->embedded_partitions = static_cast<int>(n);
           }},
          {"partitioner",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &kafka->partitioner);
             if (!r.failed() && !ParsePartitioner(kafka->partitioner)) {
               r.Fail(v, full, "expected consistent_random or murmur2_random");
             }
           }},
          {"consumer",
           [&](const YAML::Node& v, const std::string& full) {
             r.StringMap(v, full, &kafka->consumer_properties);
           }},
          {"producer", [&](const YAML::Node& v, const std::string& full) {
             r.StringMap(v, full, &kafka->producer_properties);
           }}});
  // The engine's producer places keyed records by kafka.partitioner; a different one would put
  // a customer's actions and dead letters on other partitions than its input.
  if (auto it = kafka->producer_properties.find("partitioner");
      it != kafka->producer_properties.end() &&
      ParsePartitioner(it->second) != ParsePartitioner(kafka->partitioner)) {
    r.Fail(node["producer"]["partitioner"], "kafka.producer.partitioner",
           "'" + it->second + "' disagrees with kafka.partitioner '" + kafka->partitioner +
               "'; set kafka.partitioner alone (the producer follows it)");
  }
}

// output.topic_formats: each key must be an output topic the section names (read after the
// rest of `output`, whatever the key order), each value json or protobuf.
void ReadTopicFormats(ConfigReader& r, const YAML::Node& node, const std::string& path,
                      OutputConfig* out) {
  r.StringMap(node, path, &out->topic_formats);
  if (r.failed()) return;
  for (const auto& entry : node) {
    const std::string topic = entry.first.as<std::string>();
    const std::string& format = out->topic_formats[topic];
    if (format != "json" && format != "protobuf") {
      return r.Fail(entry.second, path + "." + topic, "expected json or protobuf");
    }
  }
}

// TLS is both files or neither; a non-loopback admin address needs TLS or allow_plaintext.
void CheckAdminExposure(ConfigReader& r, const YAML::Node& node, const AdminConfig& admin) {
  const AdminServerOptions& server = admin.server;
  if (server.tls_cert_file.empty() != server.tls_key_file.empty()) {
    return r.Fail(node["tls"], "admin.tls",
                  "set both cert_file and key_file (PEM), or neither for plain HTTP");
  }
  if (admin.address.empty() || !server.tls_cert_file.empty() || admin.allow_plaintext ||
      IsLoopbackAddress(admin.address)) {
    return;
  }
  r.Fail(node["address"], "admin.address",
         "'" + admin.address +
             "' is not a loopback address and admin.tls is not set: serve TLS "
             "(admin.tls.cert_file and key_file) or say plain HTTP is on purpose with "
             "admin.allow_plaintext: true (docs/security.md)");
}

// Every topic_formats key names an output topic.
void CheckTopicFormats(ConfigReader& r, const YAML::Node& node, const OutputConfig& out) {
  std::set<std::string> topics = {out.default_topic, out.alerts_topic, out.decisions_topic};
  for (const auto& [channel, topic] : out.channel_topics) topics.insert(topic);
  topics.erase("");
  for (const auto& [topic, format] : out.topic_formats) {
    if (topics.count(topic)) continue;
    std::string list;
    for (const auto& t : topics) list += (list.empty() ? "" : ", ") + t;
    return r.Fail(node["topic_formats"][topic], "output.topic_formats." + topic,
                  "not an output topic (expected one of: " + list + ")");
  }
}

void ReadOutput(ConfigReader& r, const YAML::Node& node, OutputConfig* out) {
  r.Read(node, "output",
         {{"channel_topics",
           [&](const YAML::Node& v, const std::string& full) {
             r.StringMap(v, full, &out->channel_topics);
           }},
          {"default_topic", r.StringInto(&out->default_topic)},
          {"alerts_topic", r.StringInto(&out->alerts_topic)},
          {"decisions_topic", r.StringInto(&out->decisions_topic)},
          {"dead_letter_topic", r.StringInto(&out->dead_letter_topic)},
          {"actions_dead_letter_topic", r.StringInto(&out->actions_dead_letter_topic)},
          {"topic_hold_max_messages", r.IntInto(0, &out->topic_hold_max_messages)},
          {"format",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &out->format);
             if (out->format != "json" && out->format != "protobuf") {
               r.Fail(v, full, "expected json or protobuf");
             }
           }},
          {"topic_formats", [&](const YAML::Node& v, const std::string& full) {
             ReadTopicFormats(r, v, full, out);
           }}});
}

// `all`, or a list of distinct partition numbers (>= 0).
void ReadStandbyPartitions(ConfigReader& r, const YAML::Node& node, const std::string& key,
                           StateConfig* state) {
  if (node.IsScalar() && node.Scalar() == "all") {
    state->standby_all_partitions = true;
    return;
  }
  if (!node.IsSequence()) return r.Fail(node, key, "expected `all` or a list of partition numbers");
  std::set<int64_t> seen;
  for (const YAML::Node& item : node) {
    int64_t partition = 0;
    r.Int(item, key, 0, &partition);
    if (r.failed()) return;
    if (!seen.insert(partition).second) {
      return r.Fail(item, key, "partition " + std::to_string(partition) + " is listed twice");
    }
    state->standby_partitions.push_back(static_cast<int32_t>(partition));
  }
}

void ReadState(ConfigReader& r, const YAML::Node& node, StateConfig* state) {
  r.Read(node, "state",
         {{"dir",
           [&](const YAML::Node& v, const std::string& full) { r.String(v, full, &state->dir); }},
          {"block_cache_mb",
           [&](const YAML::Node& v, const std::string& full) {
             int64_t mb = state->block_cache_bytes >> 20;
             r.Int(v, full, 1, &mb);
             state->block_cache_bytes = mb << 20;
           }},
          {"cache_customers", r.IntInto(1, &state->cache_customers)},
          {"retention", r.DurationInto(true, &state->retention_ms)},
          {"retention_sweep_batch", r.IntInto(1, &state->retention_sweep_batch)},
          {"retention_sweep_interval_ms", r.IntInto(1, &state->retention_sweep_interval_ms)},
          {"erase_event_type",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &state->erase_event_type);
           }},
          {"sync_commits", [&](const YAML::Node& v,
                               const std::string& full) { r.Bool(v, full, &state->sync_commits); }},
          {"changelog", [&](const YAML::Node& v,
                            const std::string& full) { r.Bool(v, full, &state->changelog); }},
          {"changelog_topic",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &state->changelog_topic);
           }},
          {"standby_partitions",
           [&](const YAML::Node& v, const std::string& full) {
             ReadStandbyPartitions(r, v, full, state);
           }},
          {"standby_dir", [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &state->standby_dir);
           }}});
  if (state->standby_enabled() && !state->changelog) {
    r.Fail(node["standby_partitions"], "state.standby_partitions",
           "needs state.changelog: true (standbys tail the changelog)");
  }
}

void ReadProcessing(ConfigReader& r, const YAML::Node& node, ProcessingConfig* p) {
  r.Read(node, "processing",
         {{"input_format",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &p->input_format);
             if (p->input_format != "json" && p->input_format != "protobuf" &&
                 p->input_format != "auto") {
               r.Fail(v, full, "expected json, protobuf or auto");
             }
           }},
          {"max_event_bytes", r.IntInto(16, &p->max_event_bytes)},
          {"key_mismatch",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &p->key_mismatch);
             if (p->key_mismatch != "process" && p->key_mismatch != "dead_letter") {
               r.Fail(v, full, "expected process or dead_letter");
             }
           }},
          {"commit_interval_ms", r.IntInto(1, &p->commit_interval_ms)},
          {"commit_max_events", r.IntInto(1, &p->commit_max_events)},
          {"max_in_flight", r.IntInto(1, &p->max_in_flight)},
          {"max_raise_depth", r.IntInto(0, &p->max_raise_depth)},
          {"max_timers_per_customer", r.IntInto(1, &p->max_timers_per_customer)},
          {"timer_interval_ms", r.IntInto(1, &p->timer_interval_ms)},
          {"timer_batch", r.IntInto(1, &p->timer_batch)},
          {"timer_round_ms", r.IntInto(1, &p->timer_round_ms)},
          {"store_failure_exit_ms", r.IntInto(0, &p->store_failure_exit_ms)},
          {"max_customer_id_bytes", r.IntInto(1, &p->max_customer_id_bytes)},
          {"min_event_time",
           [&](const YAML::Node& v, const std::string& full) {
             r.Timestamp(v, full, &p->min_event_time_ms);
           }},
          {"max_event_time",
           [&](const YAML::Node& v, const std::string& full) {
             r.Timestamp(v, full, &p->max_event_time_ms);
           }},
          {"rules_watch_interval_ms", r.IntInto(0, &p->rules_watch_interval_ms)}});
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

// lifecycle.stages: [{name, when}, ...], the last without `when`; *when_nodes receives each
// condition's node, compiled by CompileStageConditions once the whole file is read.
void ReadStages(ConfigReader& r, const YAML::Node& node, LifecycleStagesConfig* config,
                std::vector<std::optional<YAML::Node>>* when_nodes) {
  if (!node.IsSequence() || node.size() == 0) {
    return r.Fail(node, "lifecycle.stages",
                  "expected a list of {name, when}, e.g. [{name: prospect, when: \"...\"}, "
                  "{name: active}]");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < node.size() && !r.failed(); ++i) {
    const std::string at = "lifecycle.stages[" + std::to_string(i) + "]";
    LifecycleStage stage;
    std::optional<YAML::Node> when;
    r.ForEach(node[i], at, {"name", "when"},
              [&](const std::string& k, const YAML::Node& v, const std::string& full) {
                if (k == "name") r.String(v, full, &stage.name);
                if (k == "when") {
                  r.String(v, full, &stage.when_text);
                  when = v;
                }
              });
    if (r.failed()) return;
    if (!node[i].IsMap()) return r.Fail(node[i], at, "expected a mapping {name, when}");
    const bool identifier =
        !stage.name.empty() && !std::isdigit(static_cast<unsigned char>(stage.name[0])) &&
        std::all_of(stage.name.begin(), stage.name.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!identifier) {
      return r.Fail(node[i], at + ".name",
                    "expected an identifier (letters, digits, _), got '" + stage.name + "'");
    }
    if (stage.name == "any" || stage.name == "none" || !names.insert(stage.name).second) {
      return r.Fail(node[i], at + ".name",
                    "'" + stage.name +
                        (stage.name == "any" || stage.name == "none" ? "' is reserved"
                                                                     : "' is already a stage"));
    }
    const bool last = i + 1 == node.size();
    if (last && when) {
      return r.Fail(*when, at + ".when", "the last stage must have no condition (it always holds)");
    }
    if (!last && !when) {
      return r.Fail(node[i], at + ".when", "missing (only the last stage has no condition)");
    }
    stage.rule.id = "lifecycle." + stage.name;
    stage.rule.file = at + ".when";
    config->stages.push_back(std::move(stage));
    when_nodes->push_back(when);
  }
}

void ReadLifecycle(ConfigReader& r, const YAML::Node& node, EngineConfig* config,
                   std::vector<std::optional<YAML::Node>>* when_nodes) {
  state::LifecycleConfig* lifecycle = &config->lifecycle;
  LifecycleStagesConfig* stages = &config->lifecycle_stages;
  std::string threshold_key;
  bool has_reevaluate = false;
  // A threshold key of the built-in stages: read, and remembered to refuse it with `stages`.
  auto threshold = [&](int64_t* out) {
    return [&r, &threshold_key, out](const YAML::Node& v, const std::string& full) {
      r.Duration(v, full, false, out);
      threshold_key = full;
    };
  };
  r.Read(node, "lifecycle",
         {{"new_for", threshold(&lifecycle->new_for_ms)},
          {"at_risk_after", threshold(&lifecycle->at_risk_after_ms)},
          {"churned_after", threshold(&lifecycle->churned_after_ms)},
          {"won_back_for", threshold(&lifecycle->won_back_for_ms)},
          {"loyal_purchases",
           [&](const YAML::Node& v, const std::string& full) {
             r.Int(v, full, 1, &lifecycle->loyal_purchases);
             threshold_key = full;
           }},
          {"stages",
           [&](const YAML::Node& v, const std::string&) { ReadStages(r, v, stages, when_nodes); }},
          {"reevaluate_every", [&](const YAML::Node& v, const std::string& full) {
             r.Duration(v, full, true, &stages->reevaluate_every_ms);
             has_reevaluate = true;
           }}});
  if (r.failed()) return;
  if (!stages->stages.empty() && !threshold_key.empty()) {
    return r.Fail(node, threshold_key, "applies only without lifecycle.stages");
  }
  if (stages->stages.empty() && has_reevaluate) {
    return r.Fail(node, "lifecycle.reevaluate_every", "applies only with lifecycle.stages");
  }
  if (lifecycle->churned_after_ms <= lifecycle->at_risk_after_ms) {
    r.Fail(node, "lifecycle.churned_after", "must be longer than lifecycle.at_risk_after");
  }
}

// Compiles the lifecycle.stages conditions with the rules compiler; each must be a bool (or
// dyn, checked when evaluated).
void CompileStageConditions(ConfigReader& r, const std::string& file_name,
                            const std::string& yaml_text,
                            const std::vector<std::optional<YAML::Node>>& nodes,
                            const rules::RuleEnvironment& env, LifecycleStagesConfig* config) {
  const rules::SourceFile source(file_name, yaml_text);
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i]) continue;  // the last stage
    const YAML::Node& node = *nodes[i];
    LifecycleStage& stage = config->stages[i];
    std::vector<rules::Diagnostic> diagnostics;
    stage.rule.condition = rules::CompileScalarExpression(stage.when_text, source, node.Mark().line,
                                                          node.Mark().column, env, &diagnostics);
    for (const rules::Diagnostic& d : diagnostics) {
      r.FailAt(d.line - 1, d.column - 1, stage.rule.file, d.message);
    }
    if (!diagnostics.empty()) continue;
    const rules::ValueType type = stage.rule.condition->type;
    if (type != rules::ValueType::kBool && type != rules::ValueType::kDyn) {
      r.Fail(node, stage.rule.file,
             "expected a bool condition, but '" + stage.when_text + "' is " +
                 std::string(rules::ValueTypeName(type)));
    }
  }
}

// calendars: {name: [YYYY-MM-DD, ...]}
void ReadCalendars(ConfigReader& r, const YAML::Node& node, rules::RuleEnvironment* env) {
  r.ForEach(node, "calendars", {},
            [&](const std::string& name, const YAML::Node& dates, const std::string& path) {
              std::vector<std::string> texts;
              r.StringList(dates, path, &texts);
              std::vector<int32_t>& days = env->calendars[name];
              for (size_t i = 0; i < texts.size() && !r.failed(); ++i) {
                const std::optional<int32_t> day = rules::ParseIsoDate(texts[i]);
                if (!day) {
                  const YAML::Node item = dates.IsSequence() ? dates[i] : dates;
                  return r.Fail(item, path, "expected a date YYYY-MM-DD, got '" + texts[i] + "'");
                }
                days.push_back(*day);
              }
              std::sort(days.begin(), days.end());
              days.erase(std::unique(days.begin(), days.end()), days.end());
            });
}

// logging: {format: text|json, level: debug|info|warn|error}
void ReadLogging(ConfigReader& r, const YAML::Node& node, const std::string& path,
                 LoggingConfig* logging) {
  r.Read(node, path,
         {{"format",
           [&](const YAML::Node& v, const std::string& full) {
             const size_t errors = r.error_count();
             r.String(v, full, &logging->format);
             if (r.error_count() == errors && !ParseLogFormat(logging->format)) {
               r.Fail(v, full, "expected text or json, got '" + logging->format + "'");
             }
           }},
          {"level", [&](const YAML::Node& v, const std::string& full) {
             const size_t errors = r.error_count();
             r.String(v, full, &logging->level);
             if (r.error_count() == errors && !ParseLogLevel(logging->level)) {
               r.Fail(v, full, "expected debug, info, warn or error, got '" + logging->level + "'");
             }
           }}});
}

}  // namespace

const std::string& EngineConfig::TopicFor(const std::string& channel,
                                          const std::string& kind) const {
  if (kind == "alert" && !output.alerts_topic.empty()) return output.alerts_topic;
  auto it = output.channel_topics.find(channel);
  return it == output.channel_topics.end() ? output.default_topic : it->second;
}

connectors::Format EngineConfig::OutputFormatFor(const std::string& topic) const {
  auto it = output.topic_formats.find(topic);
  const std::string& name = it == output.topic_formats.end() ? output.format : it->second;
  return name == "json" ? connectors::Format::kJson : connectors::Format::kProtobuf;
}

std::string EngineConfig::DeliverTopic(const std::string& channel) const {
  auto it = deliver.channels.find(channel);
  if (it != deliver.channels.end() && !it->second.topic.empty()) return it->second.topic;
  return TopicFor(channel, "");
}

std::string EngineConfig::DeliverGroupId(const std::string& channel) const {
  auto it = deliver.channels.find(channel);
  if (it != deliver.channels.end() && !it->second.group_id.empty()) return it->second.group_id;
  return kafka.group_id + ".deliver." + channel;
}

std::string EngineConfig::FeedbackTopic() const {
  if (!deliver.feedback_topic.empty()) return deliver.feedback_topic;
  return kafka.input_topics.empty() ? std::string() : kafka.input_topics.front();
}

Result<EngineConfig> LoadConfigFromString(const std::string& yaml_text,
                                          const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": error: " + e.msg);
  }
  EngineConfig config;
  config.source_file = file_name;
  const std::string base_dir = std::filesystem::path(file_name).parent_path().string();
  ConfigReader r(file_name);
  // Set by sections checked once the whole file is read.
  std::optional<YAML::Node> value_score_node, loyalty_basis_node;
  std::vector<std::optional<YAML::Node>> stage_when_nodes;
  try {
    using V = const YAML::Node&;
    using P = const std::string&;
    r.Read(root, "",
           {{"kafka", [&](V v, P) { ReadKafka(r, v, &config.kafka); }},
            {"output",
             [&](V v, P) {
               ReadOutput(r, v, &config.output);
               if (!r.failed()) CheckTopicFormats(r, v, config.output);
             }},
            {"state", [&](V v, P) { ReadState(r, v, &config.state); }},
            {"processing", [&](V v, P) { ReadProcessing(r, v, &config.processing); }},
            {"rules", r.StringListInto(&config.rules_paths)},
            {"events", [&](V v, P) { ReadEvents(r, v, &config.rule_environment); }},
            {"metrics",
             [&](V v, P full) {
               r.Read(v, full,
                      {{"address", r.StringInto(&config.metrics_address)},
                       {"require_token",
                        [&r, &config](V b, P f) { r.Bool(b, f, &config.metrics_require_token); }}});
             }},
            {"lifecycle", [&](V v, P) { ReadLifecycle(r, v, &config, &stage_when_nodes); }},
            {"calendars", [&](V v, P) { ReadCalendars(r, v, &config.rule_environment); }},
            {"aggregates",
             [&](V v, P) { ReadAggregates(r, v, &config.analytics, &config.rule_environment); }},
            {"lateness", r.DurationInto(true, &config.analytics.lateness_ms)},
            {"rfm", [&](V v, P) { ReadRfm(r, v, &config.analytics); }},
            {"consent", [&](V v, P) { ReadConsent(r, v, &config.analytics.consent); }},
            {"channels",
             [&](V v, P full) {
               r.Read(v, full,
                      {{"soft_bounce_limit",
                        r.IntInto(1, &config.analytics.feedback.soft_bounce_limit)}});
             }},
            {"clv", [&](V v, P) { ReadClv(r, v, &config.clv); }},
            {"admin",
             [&](V v, P full) {
               AdminConfig& admin = config.admin;
               AdminServerOptions& server = admin.server;
               r.Read(v, full,
                      {{"address", r.StringInto(&admin.address)},
                       {"advertised_address", r.StringInto(&admin.advertised_address)},
                       {"stall_timeout", r.DurationInto(false, &admin.stall_timeout_ms)},
                       {"tokens_file", r.StringInto(&admin.tokens_file)},
                       {"allow_plaintext",
                        [&r, &admin](V b, P f) { r.Bool(b, f, &admin.allow_plaintext); }},
                       {"console_writes",
                        [&r, &admin](V b, P f) { r.Bool(b, f, &admin.console_writes); }},
                       {"console_history", r.StringInto(&admin.console_history)},
                       {"tls",
                        [&r, &server](V t, P f) {
                          r.Read(t, f,
                                 {{"cert_file", r.StringInto(&server.tls_cert_file)},
                                  {"key_file", r.StringInto(&server.tls_key_file)}});
                        }},
                       {"max_header_bytes", r.IntInto(1024, &server.max_header_bytes)},
                       {"max_body_bytes", r.IntInto(0, &server.max_body_bytes)},
                       {"read_timeout", r.DurationInto(false, &server.read_timeout_ms)},
                       {"write_timeout", r.DurationInto(false, &server.write_timeout_ms)},
                       {"max_connections", r.IntInto(1, &server.max_connections)}});
               if (!r.failed()) CheckAdminExposure(r, v, admin);
             }},
            {"logging", [&](V v, P full) { ReadLogging(r, v, full, &config.logging); }},
            {"satisfaction", [&](V v, P) { ReadSatisfaction(r, v, &config.satisfaction); }},
            {"value_tiers",
             [&](V v, P) { ReadValueTiers(r, v, &config.value_tiers, &value_score_node); }},
            {"loyalty", [&](V v, P) { ReadLoyalty(r, v, &config.loyalty, &loyalty_basis_node); }},
            {"history", [&](V v, P) { ReadHistory(r, v, &config.history_size); }},
            {"policy", [&](V v, P) { ReadPolicy(r, v, &config.policy); }},
            {"deliver", [&](V v, P) { ReadDeliver(r, v, &config.deliver); }}},
           /*sections=*/true);
    // Sections that refer to others (declared aggregates), whatever the order in the file;
    // checked when every section read without error.
    const bool sections_ok = !r.any_failed();
    r.BeginSection();
    if (sections_ok && value_score_node) {
      CompileValueScore(r, file_name, yaml_text, *value_score_node, config.rule_environment,
                        &config.value_tiers);
    }
    if (sections_ok && !config.lifecycle_stages.stages.empty()) {
      CompileStageConditions(r, file_name, yaml_text, stage_when_nodes, config.rule_environment,
                             &config.lifecycle_stages);
      for (const LifecycleStage& stage : config.lifecycle_stages.stages) {
        config.rule_environment.lifecycle_stages.push_back(stage.name);
      }
    }
    if (sections_ok && loyalty_basis_node) {
      CheckLoyaltyBasis(r, *loyalty_basis_node, config.analytics, config.loyalty.tier_basis);
    }
  } catch (const YAML::Exception& e) {
    r.FailAt(e.mark.line, e.mark.column, "", e.msg);
    return r.status();
  }
  if (r.any_failed()) return r.status();
  if (Status analytics = state::ValidateAnalyticsConfig(config.analytics); !analytics.ok()) {
    return Status::InvalidArgument(file_name + ": " + analytics.message());
  }
  // Feedback reachability follows the addresses the policy checks.
  config.analytics.feedback.addresses = config.policy.addresses;
  config.state.dir = ResolvePath(base_dir, config.state.dir);
  for (auto& p : config.rules_paths) p = ResolvePath(base_dir, p);
  for (std::string* p : {&config.admin.tokens_file, &config.admin.console_history,
                         &config.admin.server.tls_cert_file, &config.admin.server.tls_key_file}) {
    if (!p->empty()) *p = ResolvePath(base_dir, *p);
  }
  for (auto& [name, channel] : config.deliver.channels) {
    if (!channel.tls_ca_file.empty()) {
      channel.tls_ca_file = ResolvePath(base_dir, channel.tls_ca_file);
    }
    if (!channel.auth_secret_file.empty()) {
      channel.auth_secret_file = ResolvePath(base_dir, channel.auth_secret_file);
    }
  }
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
