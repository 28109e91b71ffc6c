// EngineConfig: everything `touchstream run` needs, loaded from one YAML file.
//
// Every field has its default inline. Loading reports the first problem as a Status whose
// message names the file, line and key ("deploy/config/demo.yaml:12: kafka.group_id: expected
// a string"). Unknown keys are errors too, so a typo never silently falls back to a default.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proto/status.h"
#include "rules/environment.h"

namespace touchstream::engine {

struct KafkaConfig {
  // Comma-separated host:port list, or "embedded" to start the development broker in-process.
  std::string bootstrap_servers = "embedded";
  std::string group_id = "touchstream";
  std::vector<std::string> input_topics = {"touchstream.events"};
  // Partitions of topics the embedded broker creates.
  int embedded_partitions = 6;
  // Extra librdkafka properties (security.protocol, sasl.*, ...), applied last.
  std::map<std::string, std::string> consumer_properties;
  std::map<std::string, std::string> producer_properties;
};

struct OutputConfig {
  // Channel → action topic; channels not listed go to default_topic.
  std::map<std::string, std::string> channel_topics;
  std::string default_topic = "touchstream.actions";
  // Staff-facing alerts (kind "alert") go here when set, whatever the channel.
  std::string alerts_topic;
  // Every fired decision is published here when set.
  std::string decisions_topic;
  // Rejected input with headers naming the reason, source topic, partition and offset.
  std::string dead_letter_topic = "touchstream.dead-letter";
  // "json" or "protobuf", for actions and decisions.
  std::string format = "json";
};

struct StateConfig {
  std::string dir = "/var/lib/touchstream/state";
  int64_t block_cache_bytes = 64 << 20;
  // Hot customers kept in the write-back cache.
  int64_t cache_customers = 100000;
};

struct ProcessingConfig {
  // "json", "protobuf" or "auto" (JSON when the first byte is '{').
  std::string input_format = "auto";
  // Larger input messages are dead-lettered.
  int64_t max_event_bytes = 64 * 1024;
  // State, offsets and outbox are committed together at least this often.
  int64_t commit_interval_ms = 200;
  // ... or after this many events, whichever comes first.
  int64_t commit_max_events = 5000;
  // Consumption pauses while more produced messages than this await delivery reports.
  int64_t max_in_flight = 20000;
};

struct EngineConfig {
  // The file it was loaded from (for messages); rules_paths are relative to its folder.
  std::string source_file;
  KafkaConfig kafka;
  OutputConfig output;
  StateConfig state;
  ProcessingConfig processing;
  // Rule files or directories.
  std::vector<std::string> rules_paths = {"rules"};
  // Declared event property types (events.<type>.<property>: bool|int|double|string|timestamp).
  rules::RuleEnvironment rule_environment;
  // host:port of the Prometheus endpoint; empty disables it.
  std::string metrics_address = "0.0.0.0:9464";

  // The topic an action for `channel` of `kind` goes to.
  const std::string& TopicFor(const std::string& channel, const std::string& kind) const;
};

// Loads and validates a config file. Relative paths in it (state.dir, rules) are resolved
// against the file's folder.
Result<EngineConfig> LoadConfig(const std::string& path);
// The same from text (file_name is used in messages and to resolve relative paths).
Result<EngineConfig> LoadConfigFromString(const std::string& yaml_text,
                                          const std::string& file_name);

}  // namespace touchstream::engine
