#include "engine/config/config.h"

#include <gtest/gtest.h>

namespace touchstream::engine {
namespace {

// A full config is read into every field, with relative paths resolved against the file.
TEST(EngineConfigTest, ReadsEveryField) {
  auto config = LoadConfigFromString(R"(
kafka:
  bootstrap_servers: broker1:9092,broker2:9092
  group_id: g1
  input_topics: [a, b]
  consumer: {security.protocol: SASL_SSL}
output:
  format: protobuf
  channel_topics: {email: actions.email}
  default_topic: actions
  alerts_topic: alerts
  dead_letter_topic: dlq
state: {dir: state, block_cache_mb: 8, cache_customers: 10}
processing: {commit_interval_ms: 50, max_event_bytes: 1024}
rules: [rules/a, /abs/rules]
events:
  purchase: {amount: double}
metrics: {address: 127.0.0.1:0}
)",
                                     "/etc/ts/engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->kafka.bootstrap_servers, "broker1:9092,broker2:9092");
  EXPECT_EQ(config->kafka.input_topics, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(config->kafka.consumer_properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config->output.format, "protobuf");
  EXPECT_EQ(config->state.dir, "/etc/ts/state");
  EXPECT_EQ(config->state.block_cache_bytes, 8 << 20);
  EXPECT_EQ(config->processing.commit_interval_ms, 50);
  EXPECT_EQ(config->rules_paths, (std::vector<std::string>{"/etc/ts/rules/a", "/abs/rules"}));
  EXPECT_EQ(config->rule_environment.event_properties.at("purchase").at("amount"),
            rules::ValueType::kDouble);
  EXPECT_EQ(config->metrics_address, "127.0.0.1:0");
  EXPECT_EQ(config->TopicFor("email", "offer"), "actions.email");
  EXPECT_EQ(config->TopicFor("push", "offer"), "actions");
  EXPECT_EQ(config->TopicFor("email", "alert"), "alerts");
}

// The fault-handling settings (docs/guarantees.md) are read, and refused when malformed.
TEST(EngineConfigTest, ReadsFaultHandlingSettings) {
  auto defaults = LoadConfigFromString("kafka: {group_id: g}\n", "engine.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_TRUE(defaults->state.sync_commits);
  EXPECT_EQ(defaults->processing.min_event_time_ms, 0);
  EXPECT_EQ(defaults->processing.max_customer_id_bytes, 256);
  auto config = LoadConfigFromString(R"(
output: {actions_dead_letter_topic: undeliverable, topic_hold_max_messages: 10}
state: {sync_commits: false}
processing:
  store_failure_exit_ms: 60000
  timer_round_ms: 50
  max_customer_id_bytes: 64
  min_event_time: 2000-01-01T00:00:00Z
  max_event_time: 2100-01-01T00:00:00Z
)",
                                     "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->output.actions_dead_letter_topic, "undeliverable");
  EXPECT_EQ(config->output.topic_hold_max_messages, 10);
  EXPECT_FALSE(config->state.sync_commits);
  EXPECT_EQ(config->processing.store_failure_exit_ms, 60000);
  EXPECT_EQ(config->processing.timer_round_ms, 50);
  EXPECT_EQ(config->processing.max_customer_id_bytes, 64);
  EXPECT_EQ(config->processing.min_event_time_ms, 946684800000);
  EXPECT_EQ(config->processing.max_event_time_ms, 4102444800000);

  auto bad = LoadConfigFromString(
      "state: {sync_commits: maybe}\nprocessing: {min_event_time: 1999}\n", "engine.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "engine.yaml:1:23: error: state.sync_commits: expected true or false, got 'maybe'"),
            std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("engine.yaml:2:30: error: processing.min_event_time: "
                                        "expected a time such as 2024-01-31T00:00:00Z, got '1999'"),
            std::string::npos)
      << bad.status().message();
}

// An unknown key is refused with the file, line and key path.
// The admin.* security keys and metrics.require_token; TLS files and the tokens file resolve
// against the config's folder; a non-loopback address needs TLS or admin.allow_plaintext.
TEST(EngineConfigTest, AdminSecurityKeys) {
  auto config = LoadConfigFromString(R"(
metrics: {address: 127.0.0.1:0, require_token: true}
admin:
  address: 0.0.0.0:9465
  tokens_file: admin-tokens
  tls: {cert_file: tls/admin.pem, key_file: /keys/admin.key}
  max_header_bytes: 4096
  max_body_bytes: 0
  read_timeout: 2s
  write_timeout: 3s
  max_connections: 10
)",
                                     "/etc/ts/engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->metrics_require_token);
  EXPECT_EQ(config->admin.tokens_file, "/etc/ts/admin-tokens");
  EXPECT_FALSE(config->admin.allow_plaintext);
  const AdminServerOptions& server = config->admin.server;
  EXPECT_EQ(server.tls_cert_file, "/etc/ts/tls/admin.pem");
  EXPECT_EQ(server.tls_key_file, "/keys/admin.key");
  EXPECT_EQ(server.max_header_bytes, 4096);
  EXPECT_EQ(server.max_body_bytes, 0);
  EXPECT_EQ(server.read_timeout_ms, 2000);
  EXPECT_EQ(server.write_timeout_ms, 3000);
  EXPECT_EQ(server.max_connections, 10);

  auto plaintext = LoadConfigFromString("admin:\n  address: 0.0.0.0:9465\n", "engine.yaml");
  ASSERT_FALSE(plaintext.ok());
  EXPECT_EQ(plaintext.status().message(),
            "engine.yaml:2:12: error: admin.address: '0.0.0.0:9465' is not a loopback address "
            "and admin.tls is not set: serve TLS (admin.tls.cert_file and key_file) or say plain "
            "HTTP is on purpose with admin.allow_plaintext: true (docs/security.md)");
  EXPECT_TRUE(
      LoadConfigFromString("admin: {address: 0.0.0.0:9465, allow_plaintext: true}\n", "engine.yaml")
          .ok());
  EXPECT_TRUE(LoadConfigFromString("admin: {address: '[::1]:9465'}\n", "engine.yaml").ok());
  auto half_tls = LoadConfigFromString(
      "admin:\n  address: 127.0.0.1:9465\n  tls: {cert_file: a.pem}\n", "engine.yaml");
  ASSERT_FALSE(half_tls.ok());
  EXPECT_EQ(half_tls.status().message(),
            "engine.yaml:3:8: error: admin.tls: set both cert_file and key_file (PEM), or neither "
            "for plain HTTP");
  auto bad = LoadConfigFromString(
      "admin: {max_connections: 0, read_timeout: soon, allow_plaintext: maybe}\n", "engine.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("engine.yaml:1:26: error: admin.max_connections: must "
                                        "be at least 1"),
            std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("admin.read_timeout: expected a duration"),
            std::string::npos);
  EXPECT_NE(bad.status().message().find("admin.allow_plaintext: expected true or false"),
            std::string::npos);
}

// admin.console_writes: false by default, true when set, a clear error for anything else;
// admin.console_history resolves against the config's folder.
TEST(EngineConfigTest, ConsoleWrites) {
  auto defaults = LoadConfigFromString("admin: {address: 127.0.0.1:9465}\n", "engine.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_FALSE(defaults->admin.console_writes);
  EXPECT_EQ(defaults->admin.console_history, "");
  auto on = LoadConfigFromString("admin: {console_writes: true, console_history: h/day.jsonl}\n",
                                 "/etc/ts/engine.yaml");
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->admin.console_writes);
  EXPECT_EQ(on->admin.console_history, "/etc/ts/h/day.jsonl");
  auto bad = LoadConfigFromString("admin:\n  console_writes: sometimes\n", "engine.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "engine.yaml:2:19: error: admin.console_writes: expected true or false"),
            std::string::npos)
      << bad.status().message();
}

TEST(EngineConfigTest, UnknownKeyNamesFileLineAndKey) {
  auto config =
      LoadConfigFromString("kafka:\n  group_id: g\n  bootstrap_server: x\n", "engine.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(
      config.status().message().find("engine.yaml:3:3: error: kafka.bootstrap_server: unknown key"),
      std::string::npos)
      << config.status().message();
}

// A value of the wrong type is refused with the file, line and key path.
TEST(EngineConfigTest, BadValueNamesFileLineAndKey) {
  auto config = LoadConfigFromString("processing:\n  commit_interval_ms: soon\n", "engine.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(
      config.status().message(),
      "engine.yaml:2:23: error: processing.commit_interval_ms: expected an integer, got 'soon'");
}

// An unknown property type is refused with the key path.
TEST(EngineConfigTest, BadPropertyTypeIsRefused) {
  auto config = LoadConfigFromString("events:\n  purchase:\n    amount: money\n", "engine.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("engine.yaml:3:13: error: events.purchase.amount"),
            std::string::npos)
      << config.status().message();
}

// YAML syntax errors carry the line.
TEST(EngineConfigTest, SyntaxErrorNamesLine) {
  auto config = LoadConfigFromString("kafka:\n  group_id: [unclosed\n", "engine.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("engine.yaml:", 0), 0u) << config.status().message();
}

// Output is protobuf by default; output.topic_formats overrides it per output topic, and
// names only topics the output section has, with json or protobuf.
TEST(EngineConfigTest, OutputFormatPerTopic) {
  auto defaults = LoadConfigFromString("output: {decisions_topic: d}\n", "t.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->OutputFormatFor("d"), connectors::Format::kProtobuf);
  auto config = LoadConfigFromString(R"(
output:
  topic_formats: {d: json, actions.sms: protobuf}
  format: json
  decisions_topic: d
  channel_topics: {sms: actions.sms}
)",
                                     "t.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->OutputFormatFor("d"), connectors::Format::kJson);
  EXPECT_EQ(config->OutputFormatFor("actions.sms"), connectors::Format::kProtobuf);
  EXPECT_EQ(config->OutputFormatFor("touchstream.actions"), connectors::Format::kJson);
  auto unknown = LoadConfigFromString("output:\n  topic_formats: {dd: json}\n", "t.yaml");
  EXPECT_EQ(unknown.status().message(),
            "t.yaml:2:23: error: output.topic_formats.dd: not an output topic (expected one of: "
            "touchstream.actions)");
  auto bad =
      LoadConfigFromString("output:\n  topic_formats: {touchstream.actions: xml}\n", "t.yaml");
  EXPECT_EQ(
      bad.status().message(),
      "t.yaml:2:40: error: output.topic_formats.touchstream.actions: expected json or protobuf");
}

// Config durations use the grammar of rule files (base/duration.h): weeks included, zero and
// negatives refused where a positive duration is needed.
TEST(EngineConfigTest, DurationsShareTheRuleGrammar) {
  auto config = LoadConfigFromString("state: {retention: 2w}\n", "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->state.retention_ms, 14 * 86'400'000LL);
  auto negative = LoadConfigFromString("state:\n  retention: -1d\n", "engine.yaml");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("state.retention: must be positive"),
            std::string::npos)
      << negative.status().message();
}

// One load reports every error, each as file:line:col: error: <key path>: <message>, in the
// order of the file, with a did-you-mean for a misspelled key.
TEST(EngineConfigTest, ReportsEveryErrorWithLineAndColumn) {
  auto config = LoadConfigFromString(R"(kafka:
  group_id: g
  bootstrap_server: x
state:
  retention: 3x
processing:
  commit_interval_ms: soon
)",
                                     "engine.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "engine.yaml:3:3: error: kafka.bootstrap_server: unknown key (did you mean "
            "'bootstrap_servers'?)\n"
            "engine.yaml:5:14: error: state.retention: expected a duration such as 90d, 12h or "
            "1h30m, got '3x'\n"
            "engine.yaml:7:23: error: processing.commit_interval_ms: expected an integer, got "
            "'soon'");
}

// A misspelled top-level section gets a suggestion; an unrelated key lists the known ones.
TEST(EngineConfigTest, UnknownKeysGetSuggestions) {
  auto typo = LoadConfigFromString("procesing: {timer_batch: 5}\n", "engine.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().message(),
            "engine.yaml:1:1: error: procesing: unknown key (did you mean 'processing'?)");
  auto unrelated = LoadConfigFromString("history: {zzz: 1}\n", "engine.yaml");
  ASSERT_FALSE(unrelated.ok());
  EXPECT_EQ(unrelated.status().message(),
            "engine.yaml:1:11: error: history.zzz: unknown key (expected one of: size)");
}

// Expression errors in the config (lifecycle conditions) are reported one each, at the line and
// column inside the expression, like rule-file errors.
TEST(EngineConfigTest, ExpressionErrorsAreEachPositioned) {
  auto config = LoadConfigFromString(R"yaml(lifecycle:
  stages:
    - {name: a, when: "customer.spend_30 > 1"}
    - {name: b, when: "nothing(1)"}
    - {name: c}
)yaml",
                                     "engine.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "engine.yaml:3:33: error: lifecycle.stages[0].when: unknown field 'customer.spend_30'\n"
            "engine.yaml:4:24: error: lifecycle.stages[1].when: unknown function 'nothing'");
}

}  // namespace
}  // namespace touchstream::engine
