// Wire formats of events (input), actions and decisions (output): JSON or protobuf.
//
// Event JSON (one object per Kafka message or .jsonl line):
//   {"event_id": "e-1", "customer_id": "c-42", "type": "purchase", "ts": "2026-01-05T10:00:00Z",
//    "channel": "web", "source": "shop", "properties": {"amount": 120.5, "sku": "A1", "qty": 2}}
// Properties: JSON integers -> Value.int_value, other numbers -> double_value, strings ->
// string_value, booleans -> bool_value; nested objects, arrays and null are errors. "ts" is RFC
// 3339 text or epoch milliseconds; missing -> ts_ms 0 (and ts_ms 0 is encoded without "ts").
// JSON has no timestamp type: a timestamp_ms property is encoded as RFC 3339 text and so
// decodes as a string_value. Unknown top-level fields are ignored.
//
// Action JSON: {"action_id", "customer_id", "rule_id", "rule_version", "kind", "channel",
//   "message", "payload": {string: string}, "ts": RFC 3339, "trigger_event_id",
//   "experiment_arm" (omitted when empty), "expires_at": RFC 3339 (omitted when 0), "snapshot"
//   (only when set: {"lifecycle_stage", "value_tier", "loyalty_tier", "clv": {"value", "p_alive"}
//   (omitted when absent), "last_nps": {"score", "category", "ts"} (omitted when absent),
//   "open_tickets", "purchase_count", "total_spend", "recent_events": [{"type", "ts"}]})}.
//   Decoding ignores "snapshot".
// Decision JSON: {"decision_id", "customer_id", "rule_id", "rule_version", "trigger_event_id",
//   "outcome": "fired" | "suppressed" | "held_out" | "not_matched" | "unspecified", "reason",
//   "ts": RFC 3339, "action_id" (omitted when empty), "inputs": {string: string}}.
//
// Decoding returns InvalidArgument naming the field ("field 'ts': expected RFC 3339 text or
// epoch milliseconds, got \"yesterday\"") for bad JSON, Corruption for unparsable protobuf.
// Decoding does not validate content (an empty customer_id is the engine's business).
// All functions are pure and thread safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "touchstream/v1/action.pb.h"
#include "touchstream/v1/event.pb.h"

namespace touchstream::connectors {

enum class Format { kJson, kProtobuf };

// "json" or "protobuf"; InvalidArgument naming the unknown name otherwise.
Result<Format> ParseFormat(std::string_view name);
std::string_view FormatName(Format format);

Result<v1::TouchpointEvent> DecodeEvent(std::string_view bytes, Format format);
std::string EncodeEvent(const v1::TouchpointEvent& event, Format format);

std::string EncodeAction(const v1::Action& action, Format format);
Result<v1::Action> DecodeAction(std::string_view bytes, Format format);

std::string EncodeDecision(const v1::Decision& decision, Format format);
// The JSON name of an outcome: "fired", "suppressed", "held_out", "not_matched", "unspecified".
std::string_view OutcomeName(v1::Decision::Outcome outcome);
Result<v1::Decision> DecodeDecision(std::string_view bytes, Format format);

}  // namespace touchstream::connectors
