// The deliver: section of the engine config and the deliverer's options drawn from it.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/config/config.h"
#include "engine/config/config_yaml.h"
#include "engine/runtime/webhook_deliverer.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::engine {
namespace {

// Every key is read; omitted ones keep their defaults; topic, group and feedback topic default
// from the rest of the config; the secrets file resolves against the config's folder.
TEST(DeliverConfigTest, ReadsChannelsWithDefaults) {
  auto config = LoadConfigFromString(R"(
kafka: {group_id: g1, input_topics: [events.in]}
output: {channel_topics: {email: actions.email}}
deliver:
  commit_interval: 2s
  channels:
    email:
      url: https://hooks.example.com/email
      headers: {X-Team: crm}
      auth_secret_file: secrets/email.secret
      max_in_flight: 16
      max_per_second: 50
      timeout: 5s
      max_attempts: 3
      initial_backoff: 250ms
      max_backoff: 10s
      tls_verify: false
    push:
      url: http://127.0.0.1:8080/push
      topic: actions.push.custom
      group_id: push-deliverer
)",
                                     "/etc/ts/engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const DeliverConfig& d = config->deliver;
  EXPECT_EQ(d.commit_interval_ms, 2000);
  const WebhookChannelConfig& email = d.channels.at("email");
  EXPECT_EQ(email.url, "https://hooks.example.com/email");
  EXPECT_EQ(email.headers.at("X-Team"), "crm");
  EXPECT_EQ(email.auth_header, "Authorization");
  EXPECT_EQ(email.auth_secret_file, "/etc/ts/secrets/email.secret");
  EXPECT_EQ(email.max_in_flight, 16);
  EXPECT_EQ(email.max_per_second, 50);
  EXPECT_EQ(email.timeout_ms, 5000);
  EXPECT_EQ(email.max_attempts, 3);
  EXPECT_EQ(email.initial_backoff_ms, 250);
  EXPECT_EQ(email.max_backoff_ms, 10000);
  EXPECT_FALSE(email.tls_verify);
  const WebhookChannelConfig& push = d.channels.at("push");
  EXPECT_EQ(push.max_in_flight, 8);
  EXPECT_EQ(push.max_per_second, 0);
  EXPECT_EQ(push.timeout_ms, 10000);
  EXPECT_TRUE(push.tls_verify);
  EXPECT_EQ(config->DeliverTopic("email"), "actions.email");
  EXPECT_EQ(config->DeliverTopic("push"), "actions.push.custom");
  EXPECT_EQ(config->DeliverGroupId("email"), "g1.deliver.email");
  EXPECT_EQ(config->DeliverGroupId("push"), "push-deliverer");
  EXPECT_EQ(config->FeedbackTopic(), "events.in");
}

// Each bad value is reported with file:line:col and the key path, all in one load.
TEST(DeliverConfigTest, BadValuesNameFileLineAndKey) {
  auto config = LoadConfigFromString(R"(deliver:
  channels:
    email:
      url: ftp://x/
      max_in_flight: 0
      timeout: soon
      retries: 3
    sms:
      headers: {Idempotency-Key: x}
    push:
      url: http://h/
      initial_backoff: 2s
      max_backoff: 1s
)",
                                     "engine.yaml");
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find("engine.yaml:4:12: error: deliver.channels.email.url: url 'ftp://x/': "
                   "expected http:// or https://"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("engine.yaml:5:22: error: deliver.channels.email.max_in_flight: must be at "
                   "least 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("engine.yaml:6:16: error: deliver.channels.email.timeout: expected a "
                   "duration"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("engine.yaml:7:7: error: deliver.channels.email.retries: unknown key"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("deliver.channels.sms.headers.Idempotency-Key: set by the connector"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("deliver.channels.sms.url: required"), std::string::npos) << m;
  EXPECT_NE(m.find("engine.yaml:13:20: error: deliver.channels.push.max_backoff: must be at "
                   "least initial_backoff"),
            std::string::npos)
      << m;
}

// config check prints every channel with its defaults and the secrets file, never the secret;
// the printed settings load again.
TEST(DeliverConfigTest, EffectiveSettingsShowChannelsNotSecrets) {
  const std::string text = R"(
deliver:
  channels:
    email: {url: "http://127.0.0.1:9/x", auth_secret_file: /run/secrets/email}
)";
  auto config = LoadConfigFromString(text, "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const std::string printed = EffectiveConfigYaml(*config, text);
  EXPECT_NE(printed.find("auth_secret_file: /run/secrets/email"), std::string::npos) << printed;
  EXPECT_NE(printed.find("max_in_flight: 8"), std::string::npos) << printed;
  EXPECT_NE(printed.find("initial_backoff: 500ms"), std::string::npos) << printed;
  EXPECT_NE(printed.find("commit_interval: 1s"), std::string::npos) << printed;
  auto again = LoadConfigFromString(printed, "effective.yaml");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(EffectiveConfigYaml(*again, printed), printed);
}

// The auth value comes from the secrets file (trailing newline dropped); a missing file or an
// unknown channel stops the deliverer with the reason.
TEST(DeliverConfigTest, OptionsReadTheSecretFile) {
  test::TempDir dir;
  const std::string secret = dir.File("email.secret");
  std::ofstream(secret) << "Bearer s3cr3t\n";
  auto config = LoadConfigFromString(
      "kafka: {partitioner: murmur2_random}\n"
      "deliver:\n  channels:\n    email: {url: 'http://127.0.0.1:9/x', auth_header: X-Auth, "
      "auth_secret_file: " +
          secret + "}\n    sms: {url: 'http://127.0.0.1:9/y', auth_secret_file: " +
          dir.File("missing") + "}\n",
      "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto options = DelivererOptionsFor(*config, "email", "127.0.0.1:1");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->endpoint.auth_header, "X-Auth");
  EXPECT_EQ(options->endpoint.auth_value, "Bearer s3cr3t");
  EXPECT_EQ(options->topic, "touchstream.actions");
  EXPECT_EQ(options->feedback_topic, "touchstream.events");
  EXPECT_EQ(options->producer_properties.at("partitioner"), "murmur2_random");
  auto missing = DelivererOptionsFor(*config, "sms", "127.0.0.1:1");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("deliver.channels.sms.auth_secret_file"),
            std::string::npos);
  auto unknown = DelivererOptionsFor(*config, "fax", "127.0.0.1:1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("no channel 'fax' (configured: email, sms)"),
            std::string::npos)
      << unknown.status().message();
}

}  // namespace
}  // namespace touchstream::engine
