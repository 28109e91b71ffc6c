// Logger: the engine's log lines, one per event of interest (start, rules reloaded or refused,
// partitions restored, store or broker failures and recoveries, held topics, shutdown), each
// with a level, the component that wrote it, a message and key/value fields.
//
//   text (logging.format: text, the default), one line each:
//     2026-12-04T08:01:02.345Z warn pipeline: state store failed; retrying error="I/O error: x"
//   json (logging.format: json), one JSON object a line:
//     {"ts":"2026-12-04T08:01:02.345Z","level":"warn","component":"pipeline",
//      "msg":"state store failed; retrying","fields":{"error":"I/O error: x"}}
//
// What may be logged: ids of rules, topics, partitions, offsets, counts, durations, addresses,
// error statuses. NEVER a customer's event properties or profile values (README "Operating
// Touchstream"): callers pass only such fields, and the tests check it on the demo's output.
//
// There is no global logger: the application owns one and hands components a pointer.
// Thread safety: Log may be called from any thread; each line is written whole.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

#include "engine/core/clock.h"

namespace touchstream::engine {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson };

// "debug", "info", "warn", "error".
std::string_view LogLevelName(LogLevel level);
// The level of a name LogLevelName returns; nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);
// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> ParseLogFormat(std::string_view name);

// One key/value of a log line. Integers are written as JSON numbers, the rest as strings.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
  LogField(std::string_view k, Int v) : key(k), value(std::to_string(v)), number(true) {}

  std::string key;
  std::string value;
  bool number = false;
};

class Logger {
 public:
  // Writes to `out`; lines below `min_level` are dropped; times come from `clock`'s NowMs
  // (null: the system clock). `out` and `clock` must outlive the logger.
  Logger(std::ostream* out, LogFormat format, LogLevel min_level, const Clock* clock = nullptr);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Writes one line (nothing below the minimum level).
  void Log(LogLevel level, std::string_view component, std::string_view message,
           std::initializer_list<LogField> fields = {});
  void Info(std::string_view component, std::string_view message,
            std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, component, message, fields);
  }
  void Warn(std::string_view component, std::string_view message,
            std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, component, message, fields);
  }
  void Error(std::string_view component, std::string_view message,
             std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, component, message, fields);
  }

 private:
  std::ostream* out_;
  const LogFormat format_;
  const LogLevel min_level_;
  const Clock* clock_;
  SystemClock system_clock_;
  std::mutex mu_;  // serializes writes to out_
};

}  // namespace touchstream::engine
