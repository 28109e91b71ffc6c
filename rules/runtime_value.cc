#include "rules/runtime_value.h"

#include <charconv>

#include "base/time_format.h"

namespace touchstream::rules {

void AppendDouble(double value, std::string* out) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, ec == std::errc() ? end : buffer);
}

void AppendDuration(int64_t ms, std::string* out) {
  if (ms == 0) {
    *out += "0s";
    return;
  }
  uint64_t rest = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  if (ms < 0) *out += '-';
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [unit, name] : kUnits) {
    if (rest >= unit) {
      *out += std::to_string(rest / unit);
      *out += name;
      rest %= unit;
    }
  }
}

void AppendQuoted(std::string_view value, std::string* out) {
  *out += '"';
  for (char c : value) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        *out += c;
    }
  }
  *out += '"';
}

void AppendText(const RtValue& value, std::string_view null_text, std::string* out) {
  switch (value.type) {
    case ValueType::kNull:
      *out += null_text;
      return;
    case ValueType::kBool:
      *out += value.b ? "true" : "false";
      return;
    case ValueType::kInt:
      *out += std::to_string(value.i);
      return;
    case ValueType::kDouble:
      AppendDouble(value.d, out);
      return;
    case ValueType::kString:
      *out += value.s();
      return;
    case ValueType::kTimestamp:
      *out += FormatRfc3339Ms(value.i);
      return;
    case ValueType::kDuration:
      AppendDuration(value.i, out);
      return;
    case ValueType::kList:
      *out += '[';
      for (size_t k = 0; k < value.size; ++k) {
        if (k > 0) *out += ", ";
        AppendText(value.Item(k), "null", out);
      }
      *out += ']';
      return;
    case ValueType::kMap:
      *out += "{map}";
      return;
    case ValueType::kDyn:
      return;
  }
}

char* StringArena::Allocate(size_t size) {
  while (current_ < blocks_.size() && used_ + size > blocks_[current_].size) {
    ++current_;
    used_ = 0;
  }
  if (current_ == blocks_.size()) {
    Block block;
    block.size = std::max(size, kBlockSize);
    block.data = std::make_unique<char[]>(block.size);
    blocks_.push_back(std::move(block));
    used_ = 0;
  }
  char* result = blocks_[current_].data.get() + used_;
  used_ += size;
  return result;
}

void StringArena::Reset() {
  current_ = 0;
  used_ = 0;
}

}  // namespace touchstream::rules
