// The demo's log with logging.format json at level debug: every stderr line is a JSON log line
// (ts, level, component, msg, fields), and no customer property or profile value the demo
// streamed (names, e-mail addresses, birthdays, time zones, skus...) appears in it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "connectors/journey_generator.h"
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

void ReplaceOnce(std::string* text, const std::string& from, const std::string& to) {
  const size_t at = text->find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text->replace(at, from.size(), to);
}

TEST(IntegrationLogPrivacyTest, DemoLogHoldsNoCustomerValues) {
  test::TempDir dir("touchstream-log-privacy");
  // The demo config, with absolute rule paths, no metrics port, JSON logs at debug level.
  std::string config = ReadFile(kSource + "/deploy/config/demo.yaml");
  ReplaceOnce(&config, "rules: [../rules/demo, ../rules/journeys]",
              "rules: [" + kSource + "/deploy/rules/demo, " + kSource + "/deploy/rules/journeys]");
  ReplaceOnce(&config, "  address: 0.0.0.0:9464", "  address: \"\"");
  config += "logging: {format: json, level: debug}\n";
  std::ofstream(dir.File("engine.yaml")) << config;

  connectors::JourneyOptions journeys;
  journeys.customers = 80;
  journeys.days = 20;
  const std::string command = kBinary + " demo --config " + dir.File("engine.yaml") +
                              " --customers 80 --days 20 --serve-seconds -1 >" +
                              dir.File("stdout.txt") + " 2>" + dir.File("stderr.txt");
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << ReadFile(dir.File("stderr.txt")) << ReadFile(dir.File("stdout.txt"));
  const std::string log = ReadFile(dir.File("stderr.txt"));

  int lines = 0;
  std::set<std::string> messages;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    ++lines;
    const auto object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(object.is_object()) << "not a JSON log line: " << line;
    for (const char* key : {"ts", "level", "component", "msg"}) {
      EXPECT_TRUE(object.contains(key) && object[key].is_string()) << key << " in " << line;
    }
    EXPECT_TRUE(object.contains("fields") && object["fields"].is_object()) << line;
    messages.insert(object.value("msg", ""));
  }
  EXPECT_GT(lines, 0);
  EXPECT_TRUE(messages.count("partitions assigned")) << log;

  // Every string value of the streamed events (profile values included), as the demo generated
  // them (same seed, customers and days); short ones ("A1") could match anything.
  const auto events = connectors::GenerateJourneys(journeys);
  std::set<std::string> values;
  for (const auto& event : events) {
    for (const auto& [name, value] : event.properties()) {
      if (value.has_string_value() && value.string_value().size() >= 5) {
        values.insert(value.string_value());
      }
    }
  }
  ASSERT_GT(values.size(), 80u);  // names and e-mail addresses of the profile updates at least
  for (const std::string& value : values) {
    EXPECT_EQ(log.find(value), std::string::npos) << "customer value '" << value << "' logged";
  }
}

}  // namespace
}  // namespace touchstream::testing
