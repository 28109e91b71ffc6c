#include "engine/core/event_checks.h"

#include <cstdint>

#include "base/time_format.h"
#include "state/channel_feedback.h"

namespace touchstream::engine {
namespace {

constexpr int64_t kMaxEventIdBytes = 1024;
constexpr int64_t kMaxTypeBytes = 256;

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not valid UTF-8
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t code = 0;
  uint32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

// The problem with `text` as a field of printable UTF-8, or nullopt.
std::optional<std::string> TextProblem(std::string_view field, std::string_view text,
                                       int64_t max_bytes) {
  if (text.empty()) return std::string(field) + " is empty";
  if (static_cast<int64_t>(text.size()) > max_bytes) {
    return std::string(field) + " has " + std::to_string(text.size()) + " bytes, more than " +
           std::to_string(max_bytes);
  }
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      return std::string(field) + " contains control character 0x" +
             [&] {
               static constexpr char kHex[] = "0123456789abcdef";
               return std::string{kHex[c >> 4], kHex[c & 0xF]};
             }() +
             " at byte " + std::to_string(i);
    }
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      return std::string(field) + " is not valid UTF-8 at byte " + std::to_string(i);
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out.push_back('?');
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::optional<std::string> CustomerIdProblem(std::string_view id, int64_t max_bytes) {
  return TextProblem("customer_id", id, max_bytes);
}

std::optional<EventProblem> CheckEvent(const v1::TouchpointEvent& event,
                                       const ProcessingConfig& limits) {
  if (auto problem = CustomerIdProblem(event.customer_id(), limits.max_customer_id_bytes)) {
    return EventProblem{"bad_customer_id", *problem};
  }
  if (auto problem = TextProblem("event_id", event.event_id(), kMaxEventIdBytes)) {
    return EventProblem{"bad_event_id", *problem};
  }
  if (auto problem = TextProblem("type", event.type(), kMaxTypeBytes)) {
    return EventProblem{"bad_type", *problem};
  }
  if (event.ts_ms() < limits.min_event_time_ms || event.ts_ms() > limits.max_event_time_ms) {
    return EventProblem{"event_time_out_of_range",
                        "ts " + std::to_string(event.ts_ms()) + " ms is outside [" +
                            FormatRfc3339Ms(limits.min_event_time_ms) + ", " +
                            FormatRfc3339Ms(limits.max_event_time_ms) +
                            "] (processing.min_event_time / max_event_time)"};
  }
  if (const std::string_view problem = state::FeedbackEventProblem(event); !problem.empty()) {
    return EventProblem{"bad_feedback", std::string(problem)};
  }
  return std::nullopt;
}

}  // namespace touchstream::engine
