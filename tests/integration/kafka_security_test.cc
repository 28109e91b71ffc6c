// Kafka security is configuration passthrough (docs/security.md, "Kafka"): the settings under
// kafka.consumer and kafka.producer reach librdkafka as they are, and a wrong one stops
// `touchstream run` at start with an error naming it, within the metadata timeout, never a hang.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/testing/temp_dir.h"

namespace touchstream::testing {
namespace {

const std::string kBinary = TOUCHSTREAM_BINARY;
const std::string kSource = TOUCHSTREAM_SOURCE_DIR;

struct EngineRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
  double seconds = 0;
};

// `touchstream run` over a config whose consumer and producer both get `settings` (a YAML flow
// mapping's content); killed after 60 s, which the test then sees as exit code 124.
EngineRun RunWith(const test::TempDir& dir, const std::string& bootstrap,
                  const std::string& settings) {
  std::ofstream(dir.File("engine.yaml"))
      << "kafka:\n  bootstrap_servers: " << bootstrap
      << "\n  group_id: security\n  input_topics: [events]\n"
      << "  consumer: {" << settings << "}\n  producer: {" << settings << "}\n"
      << "state: {dir: " << dir.File("state") << "}\n"
      << "rules: [" << kSource << "/deploy/rules/demo]\n"
      << "metrics: {address: \"\"}\nadmin: {address: \"\"}\n";
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = popen(
      ("timeout 60 " + kBinary + " run --config " + dir.File("engine.yaml") + " 2>&1").c_str(),
      "r");
  EngineRun run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

// Settings librdkafka refuses when the client is created stop the engine at once, in its words.
TEST(IntegrationKafkaSecurityTest, RefusedSettingsStopTheStartWithTheirError) {
  const struct {
    const char* settings;
    const char* error;
  } cases[] = {
      {"security.protocol: sasl_ssl, sasl.mechanism: BOGUS",
       "cannot create kafka client: Unsupported SASL mechanism: BOGUS"},
      {"security.protocol: ssl, ssl.ca.location: /nonexistent/ca.pem",
       "cannot create kafka client: ssl.ca.location failed"},
      {"security.protocol: sasl_plaintext_typo",
       "kafka setting 'security.protocol': Invalid value"},
  };
  for (const auto& c : cases) {
    const test::TempDir dir("touchstream-kafka-security");
    // No broker listens on port 1: these fail before any connection.
    const EngineRun run = RunWith(dir, "127.0.0.1:1", c.settings);
    EXPECT_EQ(run.exit_code, 1) << c.settings << "\n" << run.output;
    EXPECT_NE(run.output.find(c.error), std::string::npos) << c.settings << "\n" << run.output;
    EXPECT_LT(run.seconds, 10) << c.settings;
  }
}

// SASL over TLS (without a CA, so the system's) against a broker that speaks plaintext (the
// embedded development broker): the TLS handshake fails, and the engine stops once the first
// metadata request times out, naming the brokers and the settings to check.
TEST(IntegrationKafkaSecurityTest, UnreachableBrokersStopTheStartNamingTheSettings) {
  const test::TempDir dir("touchstream-kafka-security");
  const EngineRun run = RunWith(dir, "embedded",
                                "security.protocol: sasl_ssl, sasl.mechanism: SCRAM-SHA-512, "
                                "sasl.username: touchstream, sasl.password: secret");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("cannot reach the Kafka brokers at 127.0.0.1:"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("security settings"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("secret"), std::string::npos) << "the password is logged";
  EXPECT_LT(run.seconds, 40);
}

}  // namespace
}  // namespace touchstream::testing
