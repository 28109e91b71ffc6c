#include "connectors/codec.h"

#include <algorithm>
#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "base/time_format.h"
#include "connectors/flat_event_json.h"
#include "connectors/json_fields.h"

namespace touchstream::connectors {
namespace {

using json_fields::ReadString;
using json_fields::ReadStringMap;
using json_fields::ReadTimestamp;
using json_fields::WrongType;
using nlohmann::json;

constexpr std::array<std::pair<v1::Decision::Outcome, std::string_view>, 5> kOutcomeNames = {{
    {v1::Decision::OUTCOME_UNSPECIFIED, "unspecified"},
    {v1::Decision::FIRED, "fired"},
    {v1::Decision::SUPPRESSED, "suppressed"},
    {v1::Decision::HELD_OUT, "held_out"},
    {v1::Decision::NOT_MATCHED, "not_matched"},
}};

std::string Dump(const json& object) {
  return object.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

// Appends `text` as a JSON string exactly as Dump writes it: plain printable ASCII directly,
// anything else (quotes, backslashes, control characters, other bytes) through nlohmann::json.
void AppendJsonString(std::string_view text, std::string* out) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
  });
  if (!plain) {
    out->append(Dump(json(std::string(text))));
    return;
  }
  out->push_back('"');
  out->append(text);
  out->push_back('"');
}

// Writes a JSON object key by key; keys must come in ascending order, as Dump writes them
// (nlohmann::json objects are std::maps).
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  void String(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(value, out_);
  }
  // A map of strings, keys sorted.
  void StringMap(std::string_view key, const google::protobuf::Map<std::string, std::string>& map) {
    Key(key);
    std::vector<const google::protobuf::MapPair<std::string, std::string>*> entries;
    entries.reserve(map.size());
    for (const auto& entry : map) entries.push_back(&entry);
    std::sort(entries.begin(), entries.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    ObjectWriter inner(out_);
    for (const auto* entry : entries) inner.String(entry->first, entry->second);
    inner.Close();
  }
  void Close() { out_->push_back('}'); }

 private:
  void Key(std::string_view key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    AppendJsonString(key, out_);
    out_->push_back(':');
  }
  std::string* out_;
  bool first_ = true;
};

template <typename Message>
std::string SerializeProto(const Message& message) {
  std::string bytes;
  message.SerializeToString(&bytes);
  return bytes;
}

template <typename Message>
Result<Message> ParseProto(std::string_view bytes) {
  Message message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("protobuf: cannot parse " + message.GetTypeName() + " from " +
                              std::to_string(bytes.size()) + " bytes");
  }
  return message;
}

json PropertyToJson(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kBoolValue:
      return value.bool_value();
    case v1::Value::kIntValue:
      return value.int_value();
    case v1::Value::kDoubleValue:
      return value.double_value();
    case v1::Value::kStringValue:
      return value.string_value();
    case v1::Value::kTimestampMs:
      return FormatRfc3339Ms(value.timestamp_ms());
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return nullptr;
}

Status PropertyFromJson(const std::string& name, const json& in, v1::Value* out) {
  if (in.is_boolean()) {
    out->set_bool_value(in.get<bool>());
  } else if (in.is_number_unsigned()) {
    const uint64_t number = in.get<uint64_t>();
    if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return WrongType("properties." + name, "a 64-bit signed integer", in);
    }
    out->set_int_value(static_cast<int64_t>(number));
  } else if (in.is_number_integer()) {
    out->set_int_value(in.get<int64_t>());
  } else if (in.is_number_float()) {
    out->set_double_value(in.get<double>());
  } else if (in.is_string()) {
    out->set_string_value(in.get_ref<const std::string&>());
  } else {
    return WrongType("properties." + name, "a string, number or boolean", in);
  }
  return Status::Ok();
}

// The common flat events take the single-pass reader; everything else, and every error, the
// DOM below (connectors/flat_event_json.h).
Result<v1::TouchpointEvent> EventFromJson(std::string_view text) {
  {
    v1::TouchpointEvent event;
    if (ReadFlatEventJson(text, &event)) return event;
  }
  Result<json> parsed = json_fields::ParseObject(text);
  if (!parsed.ok()) return parsed.status();
  const json& object = *parsed;
  v1::TouchpointEvent event;
  for (Status status : {ReadString(object, "event_id", event.mutable_event_id()),
                        ReadString(object, "customer_id", event.mutable_customer_id()),
                        ReadString(object, "type", event.mutable_type()),
                        ReadString(object, "channel", event.mutable_channel()),
                        ReadString(object, "source", event.mutable_source())}) {
    if (!status.ok()) return status;
  }
  int64_t ts_ms = 0;
  if (Status status = ReadTimestamp(object, "ts", &ts_ms); !status.ok()) return status;
  event.set_ts_ms(ts_ms);
  if (const auto it = object.find("properties"); it != object.end()) {
    if (!it->is_object()) return WrongType("properties", "an object", *it);
    for (const auto& [name, value] : it->items()) {
      Status status = PropertyFromJson(name, value, &(*event.mutable_properties())[name]);
      if (!status.ok()) return status;
    }
  }
  return event;
}

std::string EventToJson(const v1::TouchpointEvent& event) {
  json object = json::object();
  object["event_id"] = event.event_id();
  object["customer_id"] = event.customer_id();
  object["type"] = event.type();
  if (event.ts_ms() != 0) object["ts"] = FormatRfc3339Ms(event.ts_ms());
  object["channel"] = event.channel();
  if (!event.source().empty()) object["source"] = event.source();
  json properties = json::object();
  for (const auto& [name, value] : event.properties()) properties[name] = PropertyToJson(value);
  object["properties"] = std::move(properties);
  return Dump(object);
}

json StringMapToJson(const google::protobuf::Map<std::string, std::string>& map) {
  json object = json::object();
  for (const auto& [key, value] : map) object[key] = value;
  return object;
}

json SnapshotToJson(const v1::CustomerSnapshot& s) {
  json object = json::object();
  object["lifecycle_stage"] = s.lifecycle_stage();
  object["value_tier"] = s.value_tier();
  object["loyalty_tier"] = s.loyalty_tier();
  if (s.has_clv()) object["clv"] = {{"value", s.clv().value()}, {"p_alive", s.clv().p_alive()}};
  if (s.has_last_nps()) {
    object["last_nps"] = {{"score", s.last_nps().score()},
                          {"category", s.last_nps().category()},
                          {"ts", FormatRfc3339Ms(s.last_nps().ts_ms())}};
  }
  object["open_tickets"] = s.open_tickets();
  object["purchase_count"] = s.purchase_count();
  object["total_spend"] = s.total_spend();
  json events = json::array();
  for (const v1::RecentEvent& e : s.recent_events())
    events.push_back({{"type", e.type()}, {"ts", FormatRfc3339Ms(e.ts_ms())}});
  object["recent_events"] = std::move(events);
  return object;
}

// ActionToJson without a snapshot, written directly (the same text, without a DOM).
std::string ActionWithoutSnapshotToJson(const v1::Action& action) {
  std::string text;
  text.reserve(256);
  ObjectWriter object(&text);
  object.String("action_id", action.action_id());
  object.String("channel", action.channel());
  object.String("customer_id", action.customer_id());
  if (!action.experiment_arm().empty()) object.String("experiment_arm", action.experiment_arm());
  if (action.expires_at_ms() != 0)
    object.String("expires_at", FormatRfc3339Ms(action.expires_at_ms()));
  object.String("kind", action.kind());
  object.String("message", action.message());
  object.StringMap("payload", action.payload());
  object.String("rule_id", action.rule_id());
  object.String("rule_version", action.rule_version());
  if (!action.trigger().empty()) object.String("trigger", action.trigger());
  object.String("trigger_event_id", action.trigger_event_id());
  object.String("ts", FormatRfc3339Ms(action.ts_ms()));
  object.Close();
  return text;
}

std::string ActionToJson(const v1::Action& action) {
  if (!action.has_snapshot()) return ActionWithoutSnapshotToJson(action);
  json object = json::object();
  object["action_id"] = action.action_id();
  object["customer_id"] = action.customer_id();
  object["rule_id"] = action.rule_id();
  object["rule_version"] = action.rule_version();
  object["kind"] = action.kind();
  object["channel"] = action.channel();
  object["message"] = action.message();
  object["payload"] = StringMapToJson(action.payload());
  object["ts"] = FormatRfc3339Ms(action.ts_ms());
  object["trigger_event_id"] = action.trigger_event_id();
  if (!action.trigger().empty()) object["trigger"] = action.trigger();
  if (!action.experiment_arm().empty()) object["experiment_arm"] = action.experiment_arm();
  if (action.expires_at_ms() != 0) object["expires_at"] = FormatRfc3339Ms(action.expires_at_ms());
  if (action.has_snapshot()) object["snapshot"] = SnapshotToJson(action.snapshot());
  return Dump(object);
}

Result<v1::Action> ActionFromJson(std::string_view text) {
  Result<json> parsed = json_fields::ParseObject(text);
  if (!parsed.ok()) return parsed.status();
  const json& object = *parsed;
  v1::Action action;
  int64_t ts_ms = 0;
  int64_t expires_at_ms = 0;
  for (Status status : {ReadString(object, "action_id", action.mutable_action_id()),
                        ReadString(object, "customer_id", action.mutable_customer_id()),
                        ReadString(object, "rule_id", action.mutable_rule_id()),
                        ReadString(object, "rule_version", action.mutable_rule_version()),
                        ReadString(object, "kind", action.mutable_kind()),
                        ReadString(object, "channel", action.mutable_channel()),
                        ReadString(object, "message", action.mutable_message()),
                        ReadStringMap(object, "payload", action.mutable_payload()),
                        ReadTimestamp(object, "ts", &ts_ms),
                        ReadString(object, "trigger_event_id", action.mutable_trigger_event_id()),
                        ReadString(object, "trigger", action.mutable_trigger()),
                        ReadString(object, "experiment_arm", action.mutable_experiment_arm()),
                        ReadTimestamp(object, "expires_at", &expires_at_ms)}) {
    if (!status.ok()) return status;
  }
  action.set_ts_ms(ts_ms);
  action.set_expires_at_ms(expires_at_ms);
  return action;
}

// Written directly; the same text as a nlohmann::json object dumped (keys in order).
std::string DecisionToJson(const v1::Decision& decision) {
  std::string text;
  text.reserve(256);
  ObjectWriter object(&text);
  if (!decision.action_id().empty()) object.String("action_id", decision.action_id());
  object.String("customer_id", decision.customer_id());
  object.String("decision_id", decision.decision_id());
  if (!decision.experiment_arm().empty()) {
    object.String("experiment_arm", decision.experiment_arm());
  }
  object.StringMap("inputs", decision.inputs());
  object.String("outcome", OutcomeName(decision.outcome()));
  object.String("reason", decision.reason());
  object.String("rule_id", decision.rule_id());
  object.String("rule_version", decision.rule_version());
  if (!decision.trigger().empty()) object.String("trigger", decision.trigger());
  object.String("trigger_event_id", decision.trigger_event_id());
  object.String("ts", FormatRfc3339Ms(decision.ts_ms()));
  object.Close();
  return text;
}

Status ReadOutcome(const json& object, v1::Decision* decision) {
  const auto it = object.find("outcome");
  if (it == object.end()) return Status::Ok();
  constexpr std::string_view kExpected =
      "one of \"fired\", \"suppressed\", \"held_out\", \"not_matched\", \"unspecified\"";
  if (!it->is_string()) return WrongType("outcome", kExpected, *it);
  for (const auto& [value, name] : kOutcomeNames) {
    if (name == it->get_ref<const std::string&>()) {
      decision->set_outcome(value);
      return Status::Ok();
    }
  }
  return WrongType("outcome", kExpected, *it);
}

Result<v1::Decision> DecisionFromJson(std::string_view text) {
  Result<json> parsed = json_fields::ParseObject(text);
  if (!parsed.ok()) return parsed.status();
  const json& object = *parsed;
  v1::Decision decision;
  int64_t ts_ms = 0;
  for (Status status :
       {ReadString(object, "decision_id", decision.mutable_decision_id()),
        ReadString(object, "customer_id", decision.mutable_customer_id()),
        ReadString(object, "rule_id", decision.mutable_rule_id()),
        ReadString(object, "rule_version", decision.mutable_rule_version()),
        ReadString(object, "trigger_event_id", decision.mutable_trigger_event_id()),
        ReadString(object, "trigger", decision.mutable_trigger()), ReadOutcome(object, &decision),
        ReadString(object, "reason", decision.mutable_reason()),
        ReadTimestamp(object, "ts", &ts_ms),
        ReadString(object, "action_id", decision.mutable_action_id()),
        ReadString(object, "experiment_arm", decision.mutable_experiment_arm()),
        ReadStringMap(object, "inputs", decision.mutable_inputs())}) {
    if (!status.ok()) return status;
  }
  decision.set_ts_ms(ts_ms);
  return decision;
}

}  // namespace

Result<Format> ParseFormat(std::string_view name) {
  if (name == "json") return Format::kJson;
  if (name == "protobuf") return Format::kProtobuf;
  return Status::InvalidArgument("unknown format '" + std::string(name) +
                                 "': expected \"json\" or \"protobuf\"");
}

std::string_view FormatName(Format format) {
  return format == Format::kJson ? "json" : "protobuf";
}

Result<v1::TouchpointEvent> DecodeEvent(std::string_view bytes, Format format) {
  if (format == Format::kJson) return EventFromJson(bytes);
  return ParseProto<v1::TouchpointEvent>(bytes);
}

std::string EncodeEvent(const v1::TouchpointEvent& event, Format format) {
  return format == Format::kJson ? EventToJson(event) : SerializeProto(event);
}

std::string_view OutcomeName(v1::Decision::Outcome outcome) {
  for (const auto& [value, name] : kOutcomeNames) {
    if (value == outcome) return name;
  }
  return "unspecified";
}

std::string EncodeAction(const v1::Action& action, Format format) {
  return format == Format::kJson ? ActionToJson(action) : SerializeProto(action);
}

Result<v1::Action> DecodeAction(std::string_view bytes, Format format) {
  if (format == Format::kJson) return ActionFromJson(bytes);
  return ParseProto<v1::Action>(bytes);
}

std::string EncodeDecision(const v1::Decision& decision, Format format) {
  return format == Format::kJson ? DecisionToJson(decision) : SerializeProto(decision);
}

Result<v1::Decision> DecodeDecision(std::string_view bytes, Format format) {
  if (format == Format::kJson) return DecisionFromJson(bytes);
  return ParseProto<v1::Decision>(bytes);
}

}  // namespace touchstream::connectors
