// Internal helpers of the codecs: parse JSON without exceptions and read typed fields with
// errors that name the field ("field 'ts': expected ..., got ...").
#pragma once

#include <google/protobuf/map.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace touchstream::connectors::json_fields {

// Parses a JSON object. InvalidArgument with the parser's position on malformed text, or when
// the text is not an object.
Result<nlohmann::json> ParseObject(std::string_view text);

// Short rendering of a JSON value for error messages (long values are cut).
std::string Describe(const nlohmann::json& value);

// InvalidArgument("field '<name>': expected <expected>, got <value>").
Status WrongType(std::string_view name, std::string_view expected, const nlohmann::json& value);

// A missing field leaves *out unchanged; a present field of another type is an error.
Status ReadString(const nlohmann::json& object, const char* name, std::string* out);

// Reads `name` as RFC 3339 text or epoch milliseconds; missing leaves *out unchanged.
Status ReadTimestamp(const nlohmann::json& object, const char* name, int64_t* out);

// Reads an object of string values; missing leaves *out unchanged. Errors name
// "<name>.<key>".
Status ReadStringMap(const nlohmann::json& object, const char* name,
                     google::protobuf::Map<std::string, std::string>* out);

}  // namespace touchstream::connectors::json_fields
