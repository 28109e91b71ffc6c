#include "state/consent.h"

#include <algorithm>

namespace touchstream::state {

namespace {

constexpr size_t kMaxChannelBytes = 64;
constexpr size_t kMaxSourceBytes = 128;

const v1::Value* Property(const v1::TouchpointEvent& event, std::string_view name) {
  auto it = event.properties().find(std::string(name));
  return it == event.properties().end() ? nullptr : &it->second;
}

// Records a change unless an event with a later time already did.
bool Record(bool granted, int64_t time_ms, const std::string& source, v1::ChannelConsent* c,
            bool exists) {
  if (exists && time_ms < c->updated_ms()) return false;
  c->set_granted(granted);
  c->set_updated_ms(time_ms);
  c->set_source(source);
  return true;
}

}  // namespace

ConsentResult ApplyConsentEvent(const ConsentConfig& config, const v1::TouchpointEvent& event,
                                v1::CustomerState* state) {
  ConsentResult result;
  if (event.type() != config.event_type) return result;
  result.consent_event = true;

  std::string source = event.source();
  if (const v1::Value* s = Property(event, "source");
      s != nullptr && s->kind_case() == v1::Value::kStringValue) {
    source = s->string_value();
  }
  if (source.size() > kMaxSourceBytes) source.resize(kMaxSourceBytes);

  const v1::Value* dnc = Property(event, "do_not_contact");
  const v1::Value* channel = Property(event, "channel");
  const v1::Value* granted = Property(event, "granted");
  const bool has_dnc = dnc != nullptr && dnc->kind_case() == v1::Value::kBoolValue;
  const bool has_channel = channel != nullptr && channel->kind_case() == v1::Value::kStringValue &&
                           granted != nullptr && granted->kind_case() == v1::Value::kBoolValue;
  if (!has_dnc && !has_channel) {
    result.rejected = "missing_fields";
    return result;
  }
  if (has_dnc) {
    const bool recorded = state->has_do_not_contact_change();
    if (Record(dnc->bool_value(), event.ts_ms(), source, state->mutable_do_not_contact_change(),
               recorded)) {
      state->set_do_not_contact(dnc->bool_value());
    }
  }
  if (!has_channel) return result;
  const std::string& name = channel->string_value();
  if (name.empty() || name.size() > kMaxChannelBytes) {
    result.rejected = "bad_channel";
    return result;
  }
  if (!config.channels.empty() &&
      std::find(config.channels.begin(), config.channels.end(), name) == config.channels.end()) {
    result.rejected = "unknown_channel";
    return result;
  }
  auto& consent = *state->mutable_consent();
  auto it = consent.find(name);
  const bool exists = it != consent.end();
  if (!exists && static_cast<int>(consent.size()) >= kMaxConsentChannels) {
    result.rejected = "too_many_channels";
    return result;
  }
  Record(granted->bool_value(), event.ts_ms(), source, &consent[name], exists);
  return result;
}

}  // namespace touchstream::state
