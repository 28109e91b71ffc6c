// Values as the evaluator sees them, and their text form.
//
// An RtValue is a small tagged value that never owns memory: strings are views into the
// event, the customer state, the compiled program's constants, or the evaluator's scratch
// arena; lists point at program constants, the scratch arena or a repeated field of the
// customer state; maps point at a protobuf map of the event or customer state. A value is
// valid only while what it points into is.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/value_type.h"

namespace touchstream::rules {

// Which protobuf map a kMap value points at.
enum class MapKind : uint8_t { kEventProperties, kProfile, kActivity, kRuleHistory };
// What a kList value points at: RtValue elements (program constants or scratch), or a
// protobuf `repeated string` (customer.tags).
enum class ListKind : uint8_t { kValues, kStrings };

// 16 bytes, trivially copyable, so values travel in registers. Which union member is valid
// follows from `type` (and `kind` for lists and maps).
struct RtValue {
  ValueType type = ValueType::kNull;
  uint8_t kind = 0;   // MapKind for kMap, ListKind for kList
  uint32_t size = 0;  // kString: bytes; kList: elements
  union {
    int64_t i = 0;  // kInt; kTimestamp and kDuration in milliseconds
    bool b;
    double d;
    const char* chars;     // kString
    const RtValue* items;  // kList of kValues
    const void* object;    // kMap: google::protobuf::Map<std::string, ...> by MapKind;
                           // kList of kStrings: google::protobuf::RepeatedPtrField<std::string>
  };

  static RtValue Null() { return {}; }
  static RtValue Bool(bool v) {
    RtValue r;
    r.type = ValueType::kBool;
    r.b = v;
    return r;
  }
  static RtValue Int(int64_t v) {
    RtValue r;
    r.type = ValueType::kInt;
    r.i = v;
    return r;
  }
  static RtValue Double(double v) {
    RtValue r;
    r.type = ValueType::kDouble;
    r.d = v;
    return r;
  }
  // Strings longer than 4 GiB cannot occur (protobuf strings are below 2 GiB, built strings
  // are bounded by max_string_bytes).
  static RtValue String(std::string_view v) {
    RtValue r;
    r.type = ValueType::kString;
    r.chars = v.data();
    r.size = static_cast<uint32_t>(v.size());
    return r;
  }
  static RtValue Timestamp(int64_t ms) {
    RtValue r;
    r.type = ValueType::kTimestamp;
    r.i = ms;
    return r;
  }
  // A timestamp, or null when ms is 0 (the state's "never" value).
  static RtValue TimestampOrNull(int64_t ms) { return ms == 0 ? Null() : Timestamp(ms); }
  static RtValue Duration(int64_t ms) {
    RtValue r;
    r.type = ValueType::kDuration;
    r.i = ms;
    return r;
  }
  static RtValue List(const RtValue* items, size_t size) {
    RtValue r;
    r.type = ValueType::kList;
    r.kind = static_cast<uint8_t>(ListKind::kValues);
    r.items = items;
    r.size = static_cast<uint32_t>(size);
    return r;
  }
  // A list view of a protobuf repeated string field.
  static RtValue StringList(const google::protobuf::RepeatedPtrField<std::string>* strings) {
    RtValue r;
    r.type = ValueType::kList;
    r.kind = static_cast<uint8_t>(ListKind::kStrings);
    r.object = strings;
    r.size = static_cast<uint32_t>(strings->size());
    return r;
  }
  static RtValue Map(MapKind kind, const void* map) {
    RtValue r;
    r.type = ValueType::kMap;
    r.kind = static_cast<uint8_t>(kind);
    r.object = map;
    return r;
  }
  bool is_null() const { return type == ValueType::kNull; }
  std::string_view s() const { return {chars, size}; }
  MapKind map_kind() const { return static_cast<MapKind>(kind); }
  // Element k < size of a kList value.
  RtValue Item(size_t k) const {
    if (static_cast<ListKind>(kind) == ListKind::kValues) return items[k];
    return String(static_cast<const google::protobuf::RepeatedPtrField<std::string>*>(object)->Get(
        static_cast<int>(k)));
  }
};
static_assert(sizeof(RtValue) == 16);

// Text forms, appended to *out.
// Shortest text that reads back as the same double ("120.5", "120", "1e+21").
void AppendDouble(double value, std::string* out);
// Canonical duration: "1d12h", "30m", "250ms", "0s", "-5m".
void AppendDuration(int64_t ms, std::string* out);
// A double-quoted string literal with \" \\ \n \t \r escaped.
void AppendQuoted(std::string_view value, std::string* out);
// The value as plain text: strings as is, timestamps RFC 3339, durations canonical, lists as
// "[a, b]", maps as "{map}", null as `null_text`.
void AppendText(const RtValue& value, std::string_view null_text, std::string* out);

// Scratch memory for strings produced during one evaluation (lower, upper, +, string()).
// Memory is kept across Reset() calls, so after warm-up evaluations do not allocate.
// Views returned stay valid until Reset(). Not thread-safe.
class StringArena {
 public:
  // Room for `size` bytes that stays put until Reset().
  char* Allocate(size_t size);
  void Reset();

 private:
  static constexpr size_t kBlockSize = 4096;
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  std::vector<Block> blocks_;
  size_t current_ = 0;  // block being filled
  size_t used_ = 0;     // bytes used in blocks_[current_]
};

}  // namespace touchstream::rules
