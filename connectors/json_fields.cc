#include "connectors/json_fields.h"

#include <limits>

#include "base/time_format.h"

namespace touchstream::connectors::json_fields {
namespace {

using nlohmann::json;

constexpr size_t kMaxDescribedChars = 60;

// The DOM builder of nlohmann::json, keeping the parser's message instead of throwing it.
class DomParser : public nlohmann::detail::json_sax_dom_parser<json> {
 public:
  explicit DomParser(json& root) : json_sax_dom_parser(root, /*allow_exceptions=*/false) {}
  template <class Exception>
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const Exception& exception) {
    error_ = exception.what();
    // Drop the "[json.exception.parse_error.101] " prefix.
    if (const size_t end = error_.find("] "); error_.starts_with("[") && end != std::string::npos) {
      error_.erase(0, end + 2);
    }
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

}  // namespace

Result<json> ParseObject(std::string_view text) {
  json root;
  DomParser parser(root);
  if (!json::sax_parse(text, &parser)) {
    return Status::InvalidArgument("invalid JSON: " + parser.error());
  }
  if (!root.is_object()) return WrongType("(top level)", "a JSON object", root);
  return root;
}

std::string Describe(const json& value) {
  std::string text = value.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
  if (text.size() > kMaxDescribedChars) text = text.substr(0, kMaxDescribedChars) + "...";
  return text;
}

Status WrongType(std::string_view name, std::string_view expected, const json& value) {
  return Status::InvalidArgument("field '" + std::string(name) + "': expected " +
                                 std::string(expected) + ", got " + Describe(value));
}

Status ReadString(const json& object, const char* name, std::string* out) {
  const auto it = object.find(name);
  if (it == object.end()) return Status::Ok();
  if (!it->is_string()) return WrongType(name, "a string", *it);
  *out = it->get_ref<const std::string&>();
  return Status::Ok();
}

Status ReadTimestamp(const json& object, const char* name, int64_t* out) {
  const auto it = object.find(name);
  if (it == object.end()) return Status::Ok();
  constexpr std::string_view kExpected = "RFC 3339 text or epoch milliseconds";
  if (it->is_string()) {
    const std::optional<int64_t> ms = ParseRfc3339Ms(it->get_ref<const std::string&>());
    if (!ms.has_value()) return WrongType(name, kExpected, *it);
    *out = *ms;
    return Status::Ok();
  }
  if (it->is_number_unsigned()) {
    const uint64_t ms = it->get<uint64_t>();
    if (ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return WrongType(name, kExpected, *it);
    }
    *out = static_cast<int64_t>(ms);
    return Status::Ok();
  }
  if (it->is_number_integer()) {
    *out = it->get<int64_t>();
    return Status::Ok();
  }
  return WrongType(name, kExpected, *it);
}

Status ReadStringMap(const json& object, const char* name,
                     google::protobuf::Map<std::string, std::string>* out) {
  const auto it = object.find(name);
  if (it == object.end()) return Status::Ok();
  if (!it->is_object()) return WrongType(name, "an object of strings", *it);
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) return WrongType(std::string(name) + "." + key, "a string", value);
    (*out)[key] = value.get_ref<const std::string&>();
  }
  return Status::Ok();
}

}  // namespace touchstream::connectors::json_fields
