// The catalog of names a rule can read: every event and customer field, its type, a one-line
// meaning (the README's field table is generated from it), and how to read it.
//
// Adding a field is one line in field_catalog.cc. A path segment written "<name>" is a
// parameter: "customer.activity.<event_type>.count" matches customer.activity.purchase.count
// and the accessor receives "purchase" as its key.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "rules/customer_models.h"
#include "rules/runtime_value.h"
#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::rules {

// What accessors read from. All references are valid for the duration of one evaluation.
struct FieldContext {
  const touchstream::v1::TouchpointEvent& event;
  const touchstream::v1::CustomerState& customer;
  std::string_view rule_id;
  std::string_view rule_version;
  int64_t now_ms = 0;
  // customer.clv.*; null reads them as null.
  const CustomerModels* models = nullptr;
};

// Reads a field; `key` is the parameter segment of a parameterized path (empty otherwise).
// Must not allocate: strings are views into the context.
using FieldAccessor = RtValue (*)(const FieldContext& context, std::string_view key);

struct FieldDef {
  std::string_view path;     // "customer.aggregates.total_spend", "event.properties.<name>"
  ValueType type;            // kMap for whole maps usable with `in`, `size` and `[key]`
  std::string_view meaning;  // one line, for documentation
  FieldAccessor accessor;
  // The type comes from RuleEnvironment::event_properties for the rule's trigger types
  // (only event.properties.<name>).
  bool typed_by_event_declarations = false;
  // The parameter must name a declared aggregate (RuleEnvironment::aggregates), which gives the
  // type; any other name is a load-time error (only customer.aggregates.<name>).
  bool typed_by_aggregate_declarations = false;
};

// All fields, in documentation order.
std::span<const FieldDef> FieldCatalog();

// The catalog entry for a path's segments, or null. *key receives the parameter segment.
const FieldDef* FindField(std::span<const std::string_view> segments, std::string_view* key);

// Converts a protobuf Value to a runtime value (strings view into it; unset is null).
RtValue FromProtoValue(const touchstream::v1::Value& value);

}  // namespace touchstream::rules
