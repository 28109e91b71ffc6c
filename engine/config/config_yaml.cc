#include "engine/config/config_yaml.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

#include "base/time_format.h"

namespace touchstream::engine {

namespace {

YAML::Node Int(int64_t value) {
  return YAML::Node(value);
}

YAML::Node Str(const std::string& value) {
  return YAML::Node(value);
}

YAML::Node Bool(bool value) {
  return YAML::Node(value);
}

YAML::Node Duration(int64_t ms) {
  return YAML::Node(FormatConfigDuration(ms));
}

YAML::Node List(const std::vector<std::string>& items) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const std::string& item : items) node.push_back(item);
  node.SetStyle(YAML::EmitterStyle::Flow);
  return node;
}

YAML::Node Map(const std::map<std::string, std::string>& entries) {
  YAML::Node node(YAML::NodeType::Map);
  for (const auto& [key, value] : entries) node[key] = value;
  if (entries.empty()) node.SetStyle(YAML::EmitterStyle::Flow);  // "{}" on the key's line
  return node;
}

std::string Absolute(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

YAML::Node Address(const std::string& address) {
  YAML::Node node(YAML::NodeType::Map);
  node["address"] = address;
  return node;
}

YAML::Node Kafka(const KafkaConfig& kafka) {
  YAML::Node node(YAML::NodeType::Map);
  node["bootstrap_servers"] = Str(kafka.bootstrap_servers);
  node["group_id"] = Str(kafka.group_id);
  node["input_topics"] = List(kafka.input_topics);
  node["embedded_partitions"] = Int(kafka.embedded_partitions);
  node["partitioner"] = Str(kafka.partitioner);
  node["consumer"] = Map(kafka.consumer_properties);
  node["producer"] = Map(kafka.producer_properties);
  return node;
}

YAML::Node Output(const OutputConfig& out) {
  YAML::Node node(YAML::NodeType::Map);
  node["format"] = Str(out.format);
  node["default_topic"] = Str(out.default_topic);
  node["channel_topics"] = Map(out.channel_topics);
  node["alerts_topic"] = Str(out.alerts_topic);
  node["decisions_topic"] = Str(out.decisions_topic);
  node["dead_letter_topic"] = Str(out.dead_letter_topic);
  node["actions_dead_letter_topic"] = Str(out.actions_dead_letter_topic);
  node["topic_hold_max_messages"] = Int(out.topic_hold_max_messages);
  node["topic_formats"] = Map(out.topic_formats);
  return node;
}

YAML::Node State(const StateConfig& state) {
  YAML::Node node(YAML::NodeType::Map);
  node["dir"] = Str(Absolute(state.dir));
  node["block_cache_mb"] = Int(state.block_cache_bytes >> 20);
  node["cache_customers"] = Int(state.cache_customers);
  node["retention"] = Duration(state.retention_ms);
  node["retention_sweep_batch"] = Int(state.retention_sweep_batch);
  node["retention_sweep_interval_ms"] = Int(state.retention_sweep_interval_ms);
  node["erase_event_type"] = Str(state.erase_event_type);
  node["sync_commits"] = Bool(state.sync_commits);
  node["changelog"] = Bool(state.changelog);
  node["changelog_topic"] = Str(state.changelog_topic);
  if (state.standby_all_partitions) {
    node["standby_partitions"] = Str("all");
  } else {
    YAML::Node partitions(YAML::NodeType::Sequence);
    for (int32_t p : state.standby_partitions) partitions.push_back(Int(p));
    node["standby_partitions"] = partitions;
  }
  node["standby_dir"] = Str(state.standby_dir);
  return node;
}

YAML::Node Processing(const ProcessingConfig& p) {
  YAML::Node node(YAML::NodeType::Map);
  node["input_format"] = Str(p.input_format);
  node["max_event_bytes"] = Int(p.max_event_bytes);
  node["key_mismatch"] = Str(p.key_mismatch);
  node["commit_interval_ms"] = Int(p.commit_interval_ms);
  node["commit_max_events"] = Int(p.commit_max_events);
  node["store_failure_exit_ms"] = Int(p.store_failure_exit_ms);
  node["max_customer_id_bytes"] = Int(p.max_customer_id_bytes);
  node["min_event_time"] = Str(FormatRfc3339Ms(p.min_event_time_ms));
  node["max_event_time"] = Str(FormatRfc3339Ms(p.max_event_time_ms));
  node["max_in_flight"] = Int(p.max_in_flight);
  node["max_raise_depth"] = Int(p.max_raise_depth);
  node["max_timers_per_customer"] = Int(p.max_timers_per_customer);
  node["timer_interval_ms"] = Int(p.timer_interval_ms);
  node["timer_batch"] = Int(p.timer_batch);
  node["timer_round_ms"] = Int(p.timer_round_ms);
  node["rules_watch_interval_ms"] = Int(p.rules_watch_interval_ms);
  return node;
}

YAML::Node Satisfaction(const state::SatisfactionConfig& s) {
  YAML::Node node(YAML::NodeType::Map);
  node["nps_event"] = Str(s.nps_event);
  node["csat_event"] = Str(s.csat_event);
  node["ticket_opened_event"] = Str(s.ticket_opened_event);
  node["ticket_resolved_event"] = Str(s.ticket_resolved_event);
  node["score_property"] = Str(s.score_property);
  node["ticket_id_property"] = Str(s.ticket_id_property);
  node["max_open_tickets"] = Int(s.max_open_tickets);
  return node;
}

YAML::Node Consent(const state::ConsentConfig& consent) {
  YAML::Node node(YAML::NodeType::Map);
  node["event_type"] = Str(consent.event_type);
  node["channels"] = List(consent.channels);
  return node;
}

YAML::Node Lifecycle(const state::LifecycleConfig& l) {
  YAML::Node node(YAML::NodeType::Map);
  node["new_for"] = Duration(l.new_for_ms);
  node["at_risk_after"] = Duration(l.at_risk_after_ms);
  node["churned_after"] = Duration(l.churned_after_ms);
  node["won_back_for"] = Duration(l.won_back_for_ms);
  node["loyal_purchases"] = Int(l.loyal_purchases);
  return node;
}

// The policy's settings from `policy`; quiet_hours and send_window as written in `written`.
YAML::Node Policy(const PolicyConfig& policy, const YAML::Node& written) {
  YAML::Node node(YAML::NodeType::Map);
  node["enabled"] = Bool(policy.enabled);
  node["default_time_zone"] = Str(policy.default_time_zone);
  node["max_actions_per_moment"] = Int(policy.max_actions_per_moment);
  node["exclusion_period"] = Duration(policy.exclusion_period_ms);
  node["history_size"] = Int(policy.history_size);
  node["unknown_consent"] = Str(policy.unknown_consent_allowed ? "allow" : "deny");
  node["addresses"] = Map(policy.addresses);
  YAML::Node experiments(YAML::NodeType::Map);
  if (policy.experiment_salts.empty()) experiments.SetStyle(YAML::EmitterStyle::Flow);
  for (const auto& [name, salt] : policy.experiment_salts) {
    YAML::Node experiment(YAML::NodeType::Map);
    experiment["salt"] = salt;
    experiment.SetStyle(YAML::EmitterStyle::Flow);
    experiments[name] = experiment;
  }
  node["experiments"] = experiments;
  YAML::Node caps(YAML::NodeType::Sequence);
  for (const FrequencyCap& cap : policy.caps) {
    YAML::Node item(YAML::NodeType::Map);
    item["name"] = cap.name;
    item["max"] = cap.max;
    item["per"] = FormatConfigDuration(cap.per_ms);
    if (!cap.channel.empty()) item["channel"] = cap.channel;
    if (!cap.categories.empty()) item["categories"] = List(cap.categories);
    item.SetStyle(YAML::EmitterStyle::Flow);
    caps.push_back(item);
  }
  node["caps"] = caps;
  if (written.IsMap()) {
    for (const char* key : {"quiet_hours", "send_window"}) {
      if (written[key]) node[key] = YAML::Clone(written[key]);
    }
  }
  return node;
}

// deliver: every channel with its defaults; the secret's file, never the secret.
YAML::Node Deliver(const DeliverConfig& deliver) {
  YAML::Node node(YAML::NodeType::Map);
  node["feedback_topic"] = Str(deliver.feedback_topic);
  node["commit_interval"] = Duration(deliver.commit_interval_ms);
  YAML::Node channels(YAML::NodeType::Map);
  if (deliver.channels.empty()) channels.SetStyle(YAML::EmitterStyle::Flow);
  for (const auto& [name, c] : deliver.channels) {
    YAML::Node channel(YAML::NodeType::Map);
    channel["url"] = Str(c.url);
    channel["headers"] = Map(c.headers);
    channel["auth_header"] = Str(c.auth_header);
    channel["auth_secret_file"] = Str(Absolute(c.auth_secret_file));
    channel["topic"] = Str(c.topic);
    channel["group_id"] = Str(c.group_id);
    channel["max_in_flight"] = Int(c.max_in_flight);
    channel["max_per_second"] = Int(c.max_per_second);
    channel["timeout"] = Duration(c.timeout_ms);
    channel["max_attempts"] = Int(c.max_attempts);
    channel["initial_backoff"] = Duration(c.initial_backoff_ms);
    channel["max_backoff"] = Duration(c.max_backoff_ms);
    channel["tls_verify"] = Bool(c.tls_verify);
    channel["tls_ca_file"] = Str(Absolute(c.tls_ca_file));
    channels[name] = channel;
  }
  node["channels"] = channels;
  return node;
}

}  // namespace

std::string FormatConfigDuration(int64_t ms) {
  if (ms == 0) return "0";
  std::string out = ms < 0 ? "-" : "";
  // Magnitude as unsigned: -INT64_MIN does not fit an int64_t.
  uint64_t rest = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  constexpr std::pair<uint64_t, std::string_view> kUnits[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [unit_ms, unit] : kUnits) {
    if (rest >= unit_ms) {
      out += std::to_string(rest / unit_ms);
      out += unit;
      rest %= unit_ms;
    }
  }
  return out;
}

std::string EffectiveConfigYaml(const EngineConfig& config, const std::string& file_text) {
  YAML::Node written = YAML::Load(file_text);
  if (!written.IsMap()) written = YAML::Node(YAML::NodeType::Map);
  auto as_written = [&written](const char* key) { return YAML::Clone(written[key]); };

  std::vector<std::pair<std::string, YAML::Node>> sections;
  sections.emplace_back("kafka", Kafka(config.kafka));
  sections.emplace_back("output", Output(config.output));
  sections.emplace_back("state", State(config.state));
  sections.emplace_back("processing", Processing(config.processing));
  std::vector<std::string> rules;
  for (const std::string& path : config.rules_paths) rules.push_back(Absolute(path));
  sections.emplace_back("rules", List(rules));
  YAML::Node metrics = Address(config.metrics_address);
  metrics["require_token"] = Bool(config.metrics_require_token);
  sections.emplace_back("metrics", metrics);
  YAML::Node admin = Address(config.admin.address);
  admin["advertised_address"] = Str(config.admin.advertised_address);
  admin["stall_timeout"] = Duration(config.admin.stall_timeout_ms);
  admin["tokens_file"] = Str(Absolute(config.admin.tokens_file));
  admin["allow_plaintext"] = Bool(config.admin.allow_plaintext);
  admin["console_writes"] = Bool(config.admin.console_writes);
  admin["console_history"] = Str(Absolute(config.admin.console_history));
  const AdminServerOptions& server = config.admin.server;
  YAML::Node tls(YAML::NodeType::Map);
  tls["cert_file"] = Str(Absolute(server.tls_cert_file));
  tls["key_file"] = Str(Absolute(server.tls_key_file));
  admin["tls"] = tls;
  admin["max_header_bytes"] = Int(server.max_header_bytes);
  admin["max_body_bytes"] = Int(server.max_body_bytes);
  admin["read_timeout"] = Duration(server.read_timeout_ms);
  admin["write_timeout"] = Duration(server.write_timeout_ms);
  admin["max_connections"] = Int(server.max_connections);
  sections.emplace_back("admin", admin);
  YAML::Node logging(YAML::NodeType::Map);
  logging["format"] = Str(config.logging.format);
  logging["level"] = Str(config.logging.level);
  sections.emplace_back("logging", logging);
  sections.emplace_back("history", [&] {
    YAML::Node node(YAML::NodeType::Map);
    node["size"] = Int(config.history_size);
    return node;
  }());
  sections.emplace_back("satisfaction", Satisfaction(config.satisfaction));
  sections.emplace_back("consent", Consent(config.analytics.consent));
  sections.emplace_back("channels", [&] {
    YAML::Node node(YAML::NodeType::Map);
    node["soft_bounce_limit"] = Int(config.analytics.feedback.soft_bounce_limit);
    return node;
  }());
  sections.emplace_back("lifecycle", config.lifecycle_stages.stages.empty()
                                         ? Lifecycle(config.lifecycle)
                                         : as_written("lifecycle"));
  sections.emplace_back("policy", Policy(config.policy, written["policy"]));
  sections.emplace_back("deliver", Deliver(config.deliver));
  for (const char* key :
       {"events", "calendars", "aggregates", "lateness", "rfm", "clv", "value_tiers", "loyalty"}) {
    if (written[key]) sections.emplace_back(key, as_written(key));
  }

  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& [key, node] : sections) out << YAML::Key << key << YAML::Value << node;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace touchstream::engine
