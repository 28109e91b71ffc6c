// `touchstream run` as operators see it: JSON log lines (start with the version, the admin port,
// stop), /healthz answered from the heartbeat and /readyz turning ready once the group's first
// assignment arrived, admin tokens from the environment with audit lines, on the embedded
// development broker.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "engine/ops/admin_auth.h"
#include "external_clients.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::testing {
namespace {

const std::string kBinary = TOUCHSTREAM_BINARY;
const std::string kSource = TOUCHSTREAM_SOURCE_DIR;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The JSON log lines of a file (every line must be one).
std::vector<nlohmann::json> LogLines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) {
    auto object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(object.is_object()) << "not a JSON log line: " << line;
    if (object.is_object()) lines.push_back(std::move(object));
  }
  return lines;
}

// The first log line whose msg starts with `prefix` (null when none yet).
nlohmann::json FindLine(const std::filesystem::path& path, const std::string& prefix) {
  for (const auto& line : LogLines(path)) {
    if (line.value("msg", "").rfind(prefix, 0) == 0) return line;
  }
  return nullptr;
}

// Starts `touchstream run` on a config in `dir` (stderr to run.log there), with
// TOUCHSTREAM_ADMIN_TOKENS set to `tokens` when not empty.
pid_t StartRun(const test::TempDir& dir, const std::string& tokens) {
  std::ofstream(dir.File("engine.yaml"))
      << "kafka: {bootstrap_servers: embedded, group_id: ops, embedded_partitions: 2,\n"
      << "        consumer: {session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\"}}\n"
      << "rules: [" << kSource << "/deploy/rules/demo]\n"
      << "state: {dir: state}\n"
      << "metrics: {address: \"\"}\n"
      << "admin: {address: 127.0.0.1:0, stall_timeout: 30s}\n"
      << "logging: {format: json, level: info}\n";
  const std::string log = dir.File("run.log");
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    if (!tokens.empty()) setenv("TOUCHSTREAM_ADMIN_TOKENS", tokens.c_str(), 1);
    const std::string config = dir.File("engine.yaml");
    execl(kBinary.c_str(), kBinary.c_str(), "run", "--config", config.c_str(), nullptr);
    _exit(127);
  }
  return pid;
}

// The admin API's URL once run.log names its port; empty when it did not within 10 s.
std::string AdminUrl(const std::string& log) {
  nlohmann::json admin;
  for (int i = 0; i < 200 && admin.is_null(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    admin = FindLine(log, "admin API on port");
  }
  if (admin.is_null()) return "";
  return "http://127.0.0.1:" + std::to_string(admin["fields"]["port"].get<int>());
}

TEST(IntegrationRunOpsTest, JsonLogsAndProbes) {
  test::TempDir dir("touchstream-run-ops");
  const std::string log = dir.File("run.log");
  const pid_t pid = StartRun(dir, "");
  ASSERT_GT(pid, 0);
  const std::string url = AdminUrl(log);
  ASSERT_FALSE(url.empty()) << ReadFile(log);

  const std::string health = RunShell("curl -s -m 10 -w ' %{http_code}' " + url + "/healthz");
  EXPECT_NE(health.find("\"last_iteration_ms_ago\":"), std::string::npos) << health;
  EXPECT_NE(health.find(" 200"), std::string::npos) << health;
  std::string ready;
  for (int i = 0; i < 200 && ready != "{\"status\":\"ready\"}\n 200"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ready = RunShell("curl -s -m 10 -w ' %{http_code}' " + url + "/readyz");
  }
  EXPECT_EQ(ready, "{\"status\":\"ready\"}\n 200");

  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(log);

  const nlohmann::json running = FindLine(log, "running 4 rules on ");
  ASSERT_FALSE(running.is_null()) << ReadFile(log);
  EXPECT_EQ(running["level"], "info");
  EXPECT_EQ(running["component"], "run");
  EXPECT_EQ(running["fields"]["group"], "ops");
  EXPECT_EQ(running["fields"]["rules"], 4);
  EXPECT_EQ(running["fields"]["version"].get<std::string>().rfind(TOUCHSTREAM_VERSION, 0), 0u);
  const nlohmann::json assigned = FindLine(log, "partitions assigned");
  ASSERT_FALSE(assigned.is_null()) << ReadFile(log);
  EXPECT_EQ(assigned["fields"]["owned"], 2);
  EXPECT_FALSE(FindLine(log, "stopped after 0 events").is_null()) << ReadFile(log);
}

// Tokens from TOUCHSTREAM_ADMIN_TOKENS: the probes stay open, other routes need a token with
// the role (401, 403, 200), the reload is audited by token name, no token reaches the log.
TEST(IntegrationRunOpsTest, AdminTokensFromTheEnvironment) {
  test::TempDir dir("touchstream-run-tokens");
  const std::string log = dir.File("run.log");
  const pid_t pid = StartRun(dir, "grafana read " + engine::Sha256Hex("t-read-1") +
                                      ";on-call admin " + engine::Sha256Hex("t-admin-1"));
  ASSERT_GT(pid, 0);
  const std::string url = AdminUrl(log);
  ASSERT_FALSE(url.empty()) << ReadFile(log);
  auto curl = [&](const std::string& args) {
    return RunShell("curl -s -m 10 -o /dev/null -w '%{http_code}' " + args);
  };
  EXPECT_EQ(curl(url + "/healthz"), "200");
  EXPECT_EQ(curl(url + "/rules"), "401");
  EXPECT_EQ(curl("-H 'Authorization: Bearer t-read-1' " + url + "/rules"), "200");
  EXPECT_EQ(curl("-X POST -H 'Authorization: Bearer t-read-1' " + url + "/rules/reload"), "403");
  EXPECT_EQ(curl("-X POST -H 'Authorization: Bearer t-admin-1' " + url + "/rules/reload"), "200");
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(log);

  std::vector<nlohmann::json> audit;
  for (const auto& line : LogLines(log)) {
    if (line.value("component", "") == "audit") audit.push_back(line);
  }
  ASSERT_EQ(audit.size(), 2u) << ReadFile(log);
  EXPECT_EQ(audit[0]["level"], "warn");
  EXPECT_EQ(audit[0]["fields"]["token"], "grafana");
  EXPECT_EQ(audit[0]["fields"]["status"], 403);
  EXPECT_EQ(audit[1]["level"], "info");
  EXPECT_EQ(audit[1]["fields"]["token"], "on-call");
  EXPECT_EQ(audit[1]["fields"]["route"], "/rules/reload");
  EXPECT_EQ(audit[1]["fields"]["status"], 200);
  EXPECT_TRUE(FindLine(log, "admin API without tokens").is_null()) << ReadFile(log);
  EXPECT_EQ(ReadFile(log).find("t-admin-1"), std::string::npos);
  EXPECT_EQ(ReadFile(log).find("t-read-1"), std::string::npos);
}

}  // namespace
}  // namespace touchstream::testing
