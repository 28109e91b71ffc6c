#include "connectors/flat_event_json.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <string>

#include "base/time_format.h"

namespace touchstream::connectors {
namespace {

struct Number {
  bool integer = false;
  int64_t int_value = 0;
  double double_value = 0;
};

// A cursor over the text. Every method returns false on anything outside the flat shape.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // JSON whitespace, as nlohmann::json skips it.
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool at_end() const { return p_ == end_; }
  // The next character after whitespace, or '\0' at the end.
  char Peek() {
    SkipSpace();
    return p_ < end_ ? *p_ : '\0';
  }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++p_;
    return true;
  }

  // A string of printable ASCII (0x20..0x7f) without escapes; the quote is next.
  bool String(std::string_view* out) {
    if (!Consume('"')) return false;
    const char* start = p_;
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *out = std::string_view(start, static_cast<size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
      ++p_;
    }
    return false;
  }

  // A JSON number. Integers (no fraction or exponent) must fit int64_t: nlohmann::json reads
  // larger ones as unsigned or floating point, which the event rejects or keeps as a double.
  bool ReadNumber(Number* out) {
    SkipSpace();
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ < end_ && *p_ == '0') {
      ++p_;
    } else if (!Digits()) {
      return false;
    }
    out->integer = true;
    if (p_ < end_ && *p_ == '.') {
      out->integer = false;
      ++p_;
      if (!Digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      out->integer = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digits()) return false;
    }
    if (out->integer) {
      const auto [ptr, ec] = std::from_chars(start, p_, out->int_value);
      return ec == std::errc() && ptr == p_;
    }
    // Correctly rounded like strtod, which nlohmann::json uses; out of range is declined
    // (strtod would give an infinity or a flushed value).
    const auto [ptr, ec] = std::from_chars(start, p_, out->double_value);
    return ec == std::errc() && ptr == p_;
  }

  // "true" or "false".
  bool Boolean(bool* out) {
    SkipSpace();
    if (Literal("true")) {
      *out = true;
      return true;
    }
    if (Literal("false")) {
      *out = false;
      return true;
    }
    return false;
  }

  // The value of an unknown field: a string, number, boolean or null (nested values are left
  // to the general decoder).
  bool SkipScalar() {
    const char c = Peek();
    if (c == '"') {
      std::string_view ignored;
      return String(&ignored);
    }
    if (c == 't' || c == 'f') {
      bool ignored = false;
      return Boolean(&ignored);
    }
    if (c == 'n') return Literal("null");
    Number ignored;
    return ReadNumber(&ignored);
  }

 private:
  // One or more decimal digits.
  bool Digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start;
  }
  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  const char* p_;
  const char* end_;
};

// One property value: a string, number or boolean.
bool ReadProperty(Cursor* cursor, v1::Value* value) {
  const char c = cursor->Peek();
  if (c == '"') {
    std::string_view text;
    if (!cursor->String(&text)) return false;
    value->mutable_string_value()->assign(text);
    return true;
  }
  if (c == 't' || c == 'f') {
    bool flag = false;
    if (!cursor->Boolean(&flag)) return false;
    value->set_bool_value(flag);
    return true;
  }
  Number number;
  if (!cursor->ReadNumber(&number)) return false;
  if (number.integer) {
    value->set_int_value(number.int_value);
  } else {
    value->set_double_value(number.double_value);
  }
  return true;
}

// The "properties" object.
bool ReadProperties(Cursor* cursor, v1::TouchpointEvent* event) {
  if (!cursor->Consume('{')) return false;
  if (cursor->Consume('}')) return true;
  auto& properties = *event->mutable_properties();
  do {
    std::string_view name;
    if (!cursor->String(&name) || !cursor->Consume(':')) return false;
    auto [it, inserted] = properties.try_emplace(std::string(name));
    // The general decoder keeps the last duplicate.
    if (!inserted || !ReadProperty(cursor, &it->second)) return false;
  } while (cursor->Consume(','));
  return cursor->Consume('}');
}

// "ts": RFC 3339 text or integer epoch milliseconds.
bool ReadTs(Cursor* cursor, v1::TouchpointEvent* event) {
  if (cursor->Peek() == '"') {
    std::string_view text;
    if (!cursor->String(&text)) return false;
    const std::optional<int64_t> ms = ParseRfc3339Ms(text);
    if (!ms.has_value()) return false;
    event->set_ts_ms(*ms);
    return true;
  }
  Number number;
  if (!cursor->ReadNumber(&number) || !number.integer) return false;
  event->set_ts_ms(number.int_value);
  return true;
}

// Top-level fields the event reads; each may appear once.
enum Field : uint32_t {
  kEventId = 1,
  kCustomerId = 2,
  kType = 4,
  kChannel = 8,
  kSource = 16,
  kTs = 32,
  kProperties = 64,
};

// The string field named `key` and its bit in *field, or null for another key.
std::string* StringField(std::string_view key, v1::TouchpointEvent* event, uint32_t* field) {
  struct Named {
    std::string_view name;
    Field field;
    std::string* (v1::TouchpointEvent::*mutable_field)();
  };
  static constexpr std::array<Named, 5> kStringFields = {{
      {"event_id", kEventId, &v1::TouchpointEvent::mutable_event_id},
      {"customer_id", kCustomerId, &v1::TouchpointEvent::mutable_customer_id},
      {"type", kType, &v1::TouchpointEvent::mutable_type},
      {"channel", kChannel, &v1::TouchpointEvent::mutable_channel},
      {"source", kSource, &v1::TouchpointEvent::mutable_source},
  }};
  for (const Named& named : kStringFields) {
    if (key == named.name) {
      *field = named.field;
      return (event->*named.mutable_field)();
    }
  }
  return nullptr;
}

bool ReadField(std::string_view key, Cursor* cursor, v1::TouchpointEvent* event, uint32_t* seen) {
  uint32_t field = 0;
  std::string* text = StringField(key, event, &field);
  if (text == nullptr) {
    if (key == "ts") {
      field = kTs;
    } else if (key == "properties") {
      field = kProperties;
    } else {
      return cursor->SkipScalar();  // An unknown field, ignored.
    }
  }
  if ((*seen & field) != 0) return false;  // The general decoder keeps the last duplicate.
  *seen |= field;
  if (text != nullptr) {
    std::string_view value;
    if (!cursor->String(&value)) return false;
    text->assign(value);
    return true;
  }
  return field == kTs ? ReadTs(cursor, event) : ReadProperties(cursor, event);
}

}  // namespace

bool ReadFlatEventJson(std::string_view text, v1::TouchpointEvent* event) {
  Cursor cursor(text);
  if (!cursor.Consume('{')) return false;
  uint32_t seen = 0;
  if (!cursor.Consume('}')) {
    do {
      std::string_view key;
      if (!cursor.String(&key) || !cursor.Consume(':') || !ReadField(key, &cursor, event, &seen)) {
        return false;
      }
    } while (cursor.Consume(','));
    if (!cursor.Consume('}')) return false;
  }
  cursor.SkipSpace();
  return cursor.at_end();
}

}  // namespace touchstream::connectors
