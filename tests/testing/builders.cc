#include "tests/testing/builders.h"

namespace touchstream::test {

EventBuilder::EventBuilder(std::string_view customer_id, std::string_view type, int64_t ts_ms) {
  event_.set_customer_id(std::string(customer_id));
  event_.set_type(std::string(type));
  event_.set_ts_ms(ts_ms);
}

EventBuilder& EventBuilder::Id(std::string_view event_id) {
  event_.set_event_id(std::string(event_id));
  return *this;
}

EventBuilder& EventBuilder::Channel(std::string_view channel) {
  event_.set_channel(std::string(channel));
  return *this;
}

EventBuilder& EventBuilder::Source(std::string_view source) {
  event_.set_source(std::string(source));
  return *this;
}

EventBuilder& EventBuilder::Int(const std::string& key, int64_t value) {
  (*event_.mutable_properties())[key].set_int_value(value);
  return *this;
}

EventBuilder& EventBuilder::Double(const std::string& key, double value) {
  (*event_.mutable_properties())[key].set_double_value(value);
  return *this;
}

EventBuilder& EventBuilder::String(const std::string& key, std::string_view value) {
  (*event_.mutable_properties())[key].set_string_value(std::string(value));
  return *this;
}

EventBuilder& EventBuilder::Bool(const std::string& key, bool value) {
  (*event_.mutable_properties())[key].set_bool_value(value);
  return *this;
}

v1::TouchpointEvent MakeEvent(std::string_view customer_id, std::string_view type, int64_t ts_ms) {
  return EventBuilder(customer_id, type, ts_ms);
}

v1::TouchpointEvent MakePurchase(std::string_view customer_id, int64_t ts_ms, double amount) {
  return EventBuilder(customer_id, "purchase", ts_ms).Double("amount", amount);
}

v1::CustomerState MakeCustomer(std::string_view customer_id, int64_t event_count) {
  v1::CustomerState state;
  state.set_schema_version(1);
  state.set_customer_id(std::string(customer_id));
  state.mutable_aggregates()->set_event_count(event_count);
  return state;
}

v1::Timer MakeTimer(std::string_view customer_id, std::string_view name, int64_t fire_ms,
                    std::string_view payload) {
  v1::Timer timer;
  timer.set_customer_id(std::string(customer_id));
  timer.set_name(std::string(name));
  timer.set_fire_ms(fire_ms);
  timer.set_payload(std::string(payload));
  return timer;
}

std::string EventJson(std::string_view id, std::string_view customer, std::string_view type,
                      std::string_view ts, std::string_view properties, std::string_view channel) {
  std::string out = R"({"event_id":")";
  out.append(id).append(R"(","customer_id":")").append(customer);
  out.append(R"(","type":")").append(type);
  if (!channel.empty()) out.append(R"(","channel":")").append(channel);
  out.append(R"(","ts":")").append(ts).append(R"(","properties":)").append(properties);
  out.append("}");
  return out;
}

}  // namespace touchstream::test
