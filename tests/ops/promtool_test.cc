// The Prometheus rules checked with Prometheus' own tool: `promtool check rules` on every rule
// file, `promtool test rules` on every unit-test file, and the bookkeeping around them (every
// alert has a runbook section in docs/alerts.md and a test in which it fires).
// Skipped, saying so, when promtool is not installed (deploy/setup.sh installs it).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/docs/markdown.h"
#include "tests/ops/tools.h"

namespace touchstream::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = TOUCHSTREAM_SOURCE_DIR;
const fs::path kRulesDir = kSourceDir / "deploy/prometheus";
const fs::path kRulesFile = kRulesDir / "touchstream.rules.yml";

std::vector<fs::path> YamlFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yml" || ext == ".yaml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class PromtoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto promtool = FindProgram("promtool");
    if (!promtool) {
      GTEST_SKIP() << "promtool not found on PATH: install Debian's prometheus package "
                      "(deploy/setup.sh does) to check the Prometheus rules";
    }
    promtool_ = *promtool;
  }
  std::string promtool_;
};

// Every rule file in deploy/prometheus/ passes `promtool check rules`.
TEST_F(PromtoolTest, CheckRules) {
  const auto files = YamlFiles(kRulesDir);
  ASSERT_FALSE(files.empty()) << "no rule files in " << kRulesDir;
  for (const fs::path& file : files) {
    CommandResult result = RunCommand(promtool_ + " check rules '" + file.string() + "'");
    EXPECT_EQ(result.exit_code, 0) << result.output;
  }
}

// Every unit-test file in deploy/prometheus/tests/ passes `promtool test rules`.
TEST_F(PromtoolTest, TestRules) {
  const auto files = YamlFiles(kRulesDir / "tests");
  ASSERT_FALSE(files.empty()) << "no promtool tests in " << kRulesDir / "tests";
  for (const fs::path& file : files) {
    // promtool resolves rule_files relative to the test file's folder.
    CommandResult result = RunCommand("cd '" + file.parent_path().string() + "' && " + promtool_ +
                                      " test rules '" + file.filename().string() + "'");
    EXPECT_EQ(result.exit_code, 0) << file << "\n" << result.output;
  }
}

// The alerts of the rules file, by name.
std::map<std::string, YAML::Node> Alerts() {
  std::map<std::string, YAML::Node> alerts;
  for (const YAML::Node& group : YAML::LoadFile(kRulesFile.string())["groups"]) {
    for (const YAML::Node& rule : group["rules"]) {
      if (rule["alert"]) alerts[rule["alert"].as<std::string>()] = rule;
    }
  }
  return alerts;
}

// Every alert has a severity and a runbook annotation naming a section of docs/alerts.md that
// exists.
TEST(PrometheusRulesTest, EveryAlertHasARunbookSection) {
  const auto alerts = Alerts();
  ASSERT_GE(alerts.size(), 10u);
  const auto anchors = docs::HeadingAnchors(ReadFile(kSourceDir / "docs/alerts.md"));
  for (const auto& [name, rule] : alerts) {
    EXPECT_TRUE(rule["labels"]["severity"]) << name << ": no severity label";
    ASSERT_TRUE(rule["annotations"]["runbook"]) << name << ": no runbook annotation";
    const std::string runbook = rule["annotations"]["runbook"].as<std::string>();
    const std::string prefix = "docs/alerts.md#";
    ASSERT_EQ(runbook.rfind(prefix, 0), 0u) << name << ": runbook '" << runbook << "'";
    EXPECT_EQ(anchors.count(runbook.substr(prefix.size())), 1u)
        << name << ": no section '" << runbook << "' in docs/alerts.md";
  }
}

// Every alert is unit-tested: some promtool test expects it to fire.
TEST(PrometheusRulesTest, EveryAlertFiresInATest) {
  std::set<std::string> firing;
  for (const fs::path& file : YamlFiles(kRulesDir / "tests")) {
    for (const auto& test : YAML::LoadFile(file.string())["tests"]) {
      for (const auto& check : test["alert_rule_test"]) {
        if (check["exp_alerts"] && check["exp_alerts"].size() > 0)
          firing.insert(check["alertname"].as<std::string>());
      }
    }
  }
  for (const auto& [name, rule] : Alerts()) {
    EXPECT_EQ(firing.count(name), 1u) << name << " never fires in deploy/prometheus/tests/";
  }
}

}  // namespace
}  // namespace touchstream::testing
