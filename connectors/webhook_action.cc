#include "connectors/webhook_action.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include "connectors/codec.h"
#include "connectors/json_fields.h"

namespace touchstream::connectors {

namespace {

// expires_at_ms of a protobuf action, when its schema has the field; else 0.
int64_t ProtoExpiry(const v1::Action& action) {
  const google::protobuf::FieldDescriptor* field =
      action.GetDescriptor()->FindFieldByName("expires_at_ms");
  if (field == nullptr || field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_INT64 ||
      field->is_repeated()) {
    return 0;
  }
  return action.GetReflection()->GetInt64(action, field);
}

}  // namespace

Result<DeliverableAction> ReadDeliverableAction(std::string_view bytes) {
  const bool json = !bytes.empty() && bytes.front() == '{';
  auto action = DecodeAction(bytes, json ? Format::kJson : Format::kProtobuf);
  if (!action.ok()) return action.status();
  DeliverableAction out;
  out.action_id = action->action_id();
  out.customer_id = action->customer_id();
  out.channel = action->channel();
  if (out.action_id.empty()) return Status::InvalidArgument("field 'action_id': missing");
  if (out.customer_id.empty()) return Status::InvalidArgument("field 'customer_id': missing");
  if (json) {
    auto object = json_fields::ParseObject(bytes);
    if (!object.ok()) return object.status();
    if (Status s = json_fields::ReadTimestamp(*object, "expires_at", &out.expires_at_ms); !s.ok()) {
      return s;
    }
    out.body = std::string(bytes);
  } else {
    out.expires_at_ms = ProtoExpiry(*action);
    out.body = EncodeAction(*action, Format::kJson);
  }
  return out;
}

std::string FeedbackEventJson(const DeliverableAction& action, const std::string& channel,
                              bool delivered, int status, std::string_view reason, int64_t attempts,
                              int64_t now_ms) {
  v1::TouchpointEvent event;
  event.set_event_id("deliver/" + channel + "/" + action.action_id);
  event.set_customer_id(action.customer_id);
  event.set_type(delivered ? "action_delivered" : "action_failed");
  event.set_ts_ms(now_ms);
  event.set_channel(channel);
  event.set_source("touchstream-deliver");
  auto& properties = *event.mutable_properties();
  properties["action_id"].set_string_value(action.action_id);
  properties["channel"].set_string_value(channel);
  if (status > 0) properties["status"].set_int_value(status);
  if (!reason.empty()) properties["reason"].set_string_value(std::string(reason));
  properties["attempts"].set_int_value(attempts);
  return EncodeEvent(event, Format::kJson);
}

}  // namespace touchstream::connectors
