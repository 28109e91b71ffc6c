// `touchstream --version` and `touchstream config check` as a user runs them: the effective
// settings of a valid config (defaults included, loadable again), and every error of a bad
// config or of its rules with file:line:col, with a non-zero exit.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "tests/testing/temp_dir.h"

namespace touchstream::testing {
namespace {

const std::string kBinary = TOUCHSTREAM_BINARY;
const std::string kSource = TOUCHSTREAM_SOURCE_DIR;

struct Output {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ConfigCheckTest : public ::testing::Test {
 protected:
  // Runs the binary with `args`, stdout and stderr captured apart.
  Output Touchstream(const std::string& args) {
    const std::string err_file = temp_dir_.File("stderr.txt");
    std::string out;
    FILE* pipe = popen((kBinary + " " + args + " 2>" + err_file).c_str(), "r");
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out, ReadFile(err_file)};
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = temp_dir_.File(name);
    std::ofstream(path) << text;
    return path;
  }

  test::TempDir temp_dir_{"touchstream-config-check"};
};

// --version and `version` print the CMake project version (and git describe when configured
// from a checkout).
TEST_F(ConfigCheckTest, Version) {
  for (const char* args : {"--version", "version"}) {
    auto out = Touchstream(args);
    EXPECT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out.rfind(std::string("touchstream ") + TOUCHSTREAM_VERSION, 0), 0u) << out.out;
    EXPECT_EQ(out.out.back(), '\n');
  }
}

// The demo config is valid: the effective settings list the keys it sets and the defaults it
// leaves out, and the rules are counted.
TEST_F(ConfigCheckTest, DemoConfigPrintsEffectiveSettings) {
  auto out = Touchstream("config check --config " + kSource + "/deploy/config/demo.yaml");
  ASSERT_EQ(out.exit_code, 0) << out.err;
  for (const char* expected :
       {"group_id: touchstream-demo",                                  // set by the file
        "retention: 400d",                                             // set, as a duration
        "commit_max_events: 5000",                                     // default
        "sync_commits: true",                                          // default
        "actions_dead_letter_topic: touchstream.actions.dead-letter",  // default
        "max_event_time: 9999-12-31T23:59:59.999Z",                    // default, as a time
        "exclusion_period: 3d", "spend_90d: sum(purchase.amount) over 90d"}) {
    EXPECT_NE(out.out.find(expected), std::string::npos) << expected << " in\n" << out.out;
  }
  EXPECT_NE(out.out.find(kSource + "/deploy/rules/demo"), std::string::npos) << out.out;
  EXPECT_NE(out.err.find("demo.yaml: OK, "), std::string::npos) << out.err;
}

// Every key docs/configuration.md documents with its default is printed (a key added to the
// config without EffectiveConfigYaml learning it fails here).
TEST_F(ConfigCheckTest, EveryDocumentedKeyIsPrinted) {
  auto out = Touchstream("config check --config " + kSource + "/deploy/config/demo.yaml");
  ASSERT_EQ(out.exit_code, 0) << out.err;
  const YAML::Node effective = YAML::Load(out.out);
  std::istringstream doc(ReadFile(kSource + "/docs/configuration.md"));
  const std::regex key_path("`([a-z_]+(\\.[a-z_]+)+)`");
  int keys = 0;
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    // The keys of the first cell, without the defaults in parentheses.
    const std::string first_cell =
        std::regex_replace(line.substr(0, line.find(" |", 1)), std::regex(R"(\([^)]*\))"), "");
    for (std::sregex_iterator it(first_cell.begin(), first_cell.end(), key_path), end; it != end;
         ++it) {
      const std::string key = (*it)[1].str();
      const size_t dot = key.find('.');
      const YAML::Node section = effective[key.substr(0, dot)];
      EXPECT_TRUE(section.IsMap() && section[key.substr(dot + 1)].IsDefined())
          << key << " documented but not printed";
      ++keys;
    }
  }
  EXPECT_GE(keys, 40);
}

// The printed settings are a config file: checking it prints the same settings again.
TEST_F(ConfigCheckTest, EffectiveSettingsLoadAgain) {
  auto first = Touchstream("config check --config " + kSource + "/deploy/config/demo.yaml");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string copy = Write("effective.yaml", first.out);
  auto second = Touchstream("config check --config " + copy);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto body = [](const std::string& text) { return text.substr(text.find('\n') + 1); };
  EXPECT_EQ(body(second.out), body(first.out));
}

// Errors in several sections are all reported, each with file:line:col and the key; the exit
// code is 1 and no settings are printed.
TEST_F(ConfigCheckTest, EveryConfigErrorWithPosition) {
  const std::string path = Write("bad.yaml",
                                 "kafka:\n"
                                 "  group_idd: x\n"
                                 "processing:\n"
                                 "  commit_interval_ms: soon\n"
                                 "state:\n"
                                 "  retention: 7x\n");
  auto out = Touchstream("config check --config " + path);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.out, "");
  EXPECT_NE(out.err.find(path + ":2:3: error: kafka.group_idd: unknown key (did you mean "
                                "'group_id'?)"),
            std::string::npos)
      << out.err;
  EXPECT_NE(out.err.find(path + ":4:23: error: processing.commit_interval_ms: expected an "
                                "integer, got 'soon'"),
            std::string::npos)
      << out.err;
  EXPECT_NE(out.err.find(path + ":6:14: error: state.retention:"), std::string::npos) << out.err;
  EXPECT_NE(out.err.find("3 error(s) in " + path), std::string::npos) << out.err;
}

// A valid config whose rules do not compile: every rule error with file:line:col, exit 1.
TEST_F(ConfigCheckTest, RuleErrorsWithPosition) {
  std::filesystem::create_directory(temp_dir_.path() / "rules");
  Write("rules/bad.yaml",
        "- id: typo\n  trigger: {event: purchase}\n"
        "  condition: customer.aggregates.total_spnd > 10.0\n"
        "  actions: [{emit: {kind: offer, channel: email, template: x}}]\n"
        "- id: typo2\n  trigger: {event: purchase}\n"
        "  condition: customer.nope == 1\n"
        "  actions: [{emit: {kind: offer, channel: email, template: x}}]\n");
  const std::string path = Write("engine.yaml", "rules: [rules]\nstate: {dir: state}\n");
  auto out = Touchstream("config check --config " + path);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.err.find("bad.yaml:3:34: error: unknown field 'customer.aggregates.total_spnd'"),
            std::string::npos)
      << out.err;
  EXPECT_NE(out.err.find("bad.yaml:7:"), std::string::npos) << out.err;
  EXPECT_NE(out.err.find("2 error(s) in the rules"), std::string::npos) << out.err;
  EXPECT_FALSE(std::filesystem::exists(temp_dir_.path() / "state")) << "nothing is started";
}

// A missing file and a wrong action are clear errors.
TEST_F(ConfigCheckTest, MissingFileAndUsage) {
  auto missing = Touchstream("config check --config /nonexistent/engine.yaml");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot read config file /nonexistent/engine.yaml"), std::string::npos)
      << missing.err;
  auto usage = Touchstream("config lint --config x.yaml");
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("unknown config action 'lint'"), std::string::npos) << usage.err;
}

}  // namespace
}  // namespace touchstream::testing
