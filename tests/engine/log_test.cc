// The Logger: text and JSON lines with level, component, message and fields; the level filter;
// values that need quoting or escaping; the logging: config keys.
#include "engine/ops/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/config/config.h"

namespace touchstream::engine {
namespace {

// A clock fixed at 2026-12-04T08:01:02.345Z.
class FixedClock final : public Clock {
 public:
  int64_t NowMs() const override { return 1796371262345; }
  int64_t MonotonicMs() const override { return 0; }
};

// A text line: time, level, component, message, then key=value; values with spaces quoted.
TEST(LoggerTest, TextLine) {
  std::ostringstream out;
  FixedClock clock;
  Logger log(&out, LogFormat::kText, LogLevel::kInfo, &clock);
  log.Warn(
      "pipeline", "state store failed",
      {{"error", "I/O error: disk \"full\""}, {"partition", 3}, {"topic", "touchstream.events"}});
  EXPECT_EQ(out.str(),
            "2026-12-04T08:01:02.345Z warn pipeline: state store failed "
            "error=\"I/O error: disk \\\"full\\\"\" partition=3 topic=touchstream.events\n");
}

// A quoted text value that is not UTF-8 is written with U+FFFD (the JSON writer threw).
TEST(LoggerTest, TextValueThatIsNotUtf8) {
  std::ostringstream out;
  FixedClock clock;
  Logger log(&out, LogFormat::kText, LogLevel::kInfo, &clock);
  log.Info("run", "refused", {{"reason", "bad \xD4 byte"}});
  EXPECT_EQ(out.str(),
            "2026-12-04T08:01:02.345Z info run: refused reason=\"bad \xEF\xBF\xBD byte\"\n");
}

// A JSON line has ts, level, component, msg and fields, integers as numbers.
TEST(LoggerTest, JsonLine) {
  std::ostringstream out;
  FixedClock clock;
  Logger log(&out, LogFormat::kJson, LogLevel::kDebug, &clock);
  log.Info("pipeline", "partitions assigned", {{"partitions", "t:0,t:1"}, {"owned", size_t{2}}});
  log.Log(LogLevel::kDebug, "run", "no fields");
  std::istringstream lines(out.str());
  std::string first, second;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  const auto line = nlohmann::json::parse(first);
  EXPECT_EQ(line["ts"], "2026-12-04T08:01:02.345Z");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["component"], "pipeline");
  EXPECT_EQ(line["msg"], "partitions assigned");
  EXPECT_EQ(line["fields"]["partitions"], "t:0,t:1");
  EXPECT_EQ(line["fields"]["owned"], 2);
  EXPECT_EQ(nlohmann::json::parse(second)["fields"], nlohmann::json::object());
  EXPECT_EQ(nlohmann::json::parse(second)["level"], "debug");
}

// Lines below the minimum level are dropped.
TEST(LoggerTest, LevelFilter) {
  std::ostringstream out;
  Logger log(&out, LogFormat::kText, LogLevel::kWarn);
  log.Info("run", "not written");
  log.Log(LogLevel::kDebug, "run", "not written either");
  log.Error("run", "written");
  EXPECT_EQ(out.str().find("not written"), std::string::npos);
  EXPECT_NE(out.str().find(" error run: written\n"), std::string::npos) << out.str();
}

TEST(LoggerTest, ParseNames) {
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("WARN"), std::nullopt);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("yaml"), std::nullopt);
}

// logging.format and logging.level are read and checked with file:line:col.
TEST(LoggerTest, ConfigKeys) {
  auto config = LoadConfigFromString("logging: {format: json, level: debug}\n", "e.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->logging.format, "json");
  EXPECT_EQ(config->logging.level, "debug");
  auto defaults = LoadConfigFromString("{}\n", "e.yaml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->logging.format, "text");
  EXPECT_EQ(defaults->logging.level, "info");
  auto bad = LoadConfigFromString("logging:\n  format: xml\n  level: loud\n", "e.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "e.yaml:2:11: error: logging.format: expected text or json, got 'xml'"),
            std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("e.yaml:3:10: error: logging.level: expected debug, "
                                        "info, warn or error, got 'loud'"),
            std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace touchstream::engine
