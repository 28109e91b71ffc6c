// Builders of the protos and JSON lines that tests feed to the state model and the engine.
// Each sets only what its arguments name; everything else keeps the proto default, so a test
// reads as the list of what matters to it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::test {

// A TouchpointEvent built field by field:
//   v1::TouchpointEvent e = EventBuilder("c-1", "purchase", ts).Double("amount", 9.5);
// Setters return *this; a property set twice keeps the last value.
class EventBuilder {
 public:
  EventBuilder(std::string_view customer_id, std::string_view type, int64_t ts_ms);

  EventBuilder& Id(std::string_view event_id);
  EventBuilder& Channel(std::string_view channel);
  EventBuilder& Source(std::string_view source);
  EventBuilder& Int(const std::string& key, int64_t value);
  EventBuilder& Double(const std::string& key, double value);
  EventBuilder& String(const std::string& key, std::string_view value);
  EventBuilder& Bool(const std::string& key, bool value);

  const v1::TouchpointEvent& Build() const { return event_; }
  operator const v1::TouchpointEvent&() const { return event_; }  // NOLINT: a builder

 private:
  v1::TouchpointEvent event_;
};

// An event with customer_id, type and ts_ms set, nothing else.
v1::TouchpointEvent MakeEvent(std::string_view customer_id, std::string_view type, int64_t ts_ms);
// A "purchase" event with a double "amount" property.
v1::TouchpointEvent MakePurchase(std::string_view customer_id, int64_t ts_ms, double amount);

// A customer state of schema version 1 with customer_id and aggregates.event_count set.
v1::CustomerState MakeCustomer(std::string_view customer_id, int64_t event_count);

// A timer with customer_id, name, fire_ms and payload set.
v1::Timer MakeTimer(std::string_view customer_id, std::string_view name, int64_t fire_ms,
                    std::string_view payload = "");

// One input event as a JSON line, the engine's input format: `ts` in RFC 3339, `properties`
// a JSON object (inserted verbatim); `channel` is left out when empty. No escaping: the
// arguments must not contain '"' or '\'.
std::string EventJson(std::string_view id, std::string_view customer, std::string_view type,
                      std::string_view ts, std::string_view properties = "{}",
                      std::string_view channel = "");

}  // namespace touchstream::test
