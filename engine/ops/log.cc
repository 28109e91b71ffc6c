#include "engine/ops/log.h"

#include <nlohmann/json.hpp>

#include "base/time_format.h"

namespace touchstream::engine {

namespace {

// A text-format value: bare when it is one plain word, else a JSON string (quoted, escaped).
std::string TextValue(const LogField& field) {
  const bool plain =
      !field.value.empty() && field.value.find_first_of(" \t\r\n\"=\\") == std::string::npos;
  // Text that is not UTF-8 is written with U+FFFD (dump() would throw), as in the JSON format.
  return plain || field.number
             ? field.value
             : nlohmann::json(field.value)
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "error";
}

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (name == LogLevelName(level)) return level;
  }
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

Logger::Logger(std::ostream* out, LogFormat format, LogLevel min_level, const Clock* clock)
    : out_(out),
      format_(format),
      min_level_(min_level),
      clock_(clock != nullptr ? clock : &system_clock_) {}

void Logger::Log(LogLevel level, std::string_view component, std::string_view message,
                 std::initializer_list<LogField> fields) {
  if (level < min_level_) return;
  const std::string ts = FormatRfc3339Ms(clock_->NowMs());
  std::string line;
  if (format_ == LogFormat::kJson) {
    nlohmann::ordered_json object = {
        {"ts", ts}, {"level", LogLevelName(level)}, {"component", component}, {"msg", message}};
    nlohmann::ordered_json values = nlohmann::ordered_json::object();
    for (const LogField& field : fields) {
      if (field.number) {
        values[field.key] = nlohmann::ordered_json::parse(field.value);
      } else {
        values[field.key] = field.value;
      }
    }
    object["fields"] = std::move(values);
    // Invalid UTF-8 (e.g. in an error message) is replaced rather than thrown on.
    line = object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  } else {
    line = ts;
    line += ' ';
    line += LogLevelName(level);
    line += ' ';
    line += component;
    line += ": ";
    line += message;
    for (const LogField& field : fields) line += " " + field.key + "=" + TextValue(field);
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  *out_ << line << std::flush;
}

}  // namespace touchstream::engine
