// What the webhook connector reads from an action (id, customer, channel, expiry, body) and the
// feedback event it writes back.
#include "connectors/webhook_action.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/codec.h"

namespace touchstream::connectors {
namespace {

// A JSON action is POSTed as it is (unknown fields kept); its expires_at is read.
TEST(WebhookActionTest, JsonActionKeepsItsBodyAndExpiry) {
  const std::string json =
      R"({"action_id":"a1","customer_id":"c1","channel":"email","message":"hi",)"
      R"("expires_at":"2026-01-05T12:00:00Z","future_field":{"x":1}})";
  auto action = ReadDeliverableAction(json);
  ASSERT_TRUE(action.ok()) << action.status().ToString();
  EXPECT_EQ(action->action_id, "a1");
  EXPECT_EQ(action->customer_id, "c1");
  EXPECT_EQ(action->channel, "email");
  EXPECT_EQ(action->expires_at_ms, 1767614400000);
  EXPECT_EQ(action->body, json);
  auto epoch =
      ReadDeliverableAction(R"({"action_id":"a1","customer_id":"c1","expires_at":1767614400000})");
  ASSERT_TRUE(epoch.ok());
  EXPECT_EQ(epoch->expires_at_ms, 1767614400000);
  auto none = ReadDeliverableAction(R"({"action_id":"a1","customer_id":"c1"})");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->expires_at_ms, 0);
}

// A protobuf action is POSTed in the codec's JSON form.
TEST(WebhookActionTest, ProtobufActionBecomesJson) {
  v1::Action proto;
  proto.set_action_id("a2");
  proto.set_customer_id("c2");
  proto.set_channel("sms");
  proto.set_message("hello");
  (*proto.mutable_payload())["coupon"] = "C1";
  auto action = ReadDeliverableAction(EncodeAction(proto, Format::kProtobuf));
  ASSERT_TRUE(action.ok()) << action.status().ToString();
  EXPECT_EQ(action->action_id, "a2");
  EXPECT_EQ(action->channel, "sms");
  const nlohmann::json body = nlohmann::json::parse(action->body);
  EXPECT_EQ(body["action_id"], "a2");
  EXPECT_EQ(body["payload"]["coupon"], "C1");
}

// Bad messages name the field.
TEST(WebhookActionTest, BadActionsNameTheField) {
  EXPECT_NE(ReadDeliverableAction(R"({"customer_id":"c1"})").status().message().find("action_id"),
            std::string::npos);
  EXPECT_NE(ReadDeliverableAction(R"({"action_id":"a"})").status().message().find("customer_id"),
            std::string::npos);
  EXPECT_NE(ReadDeliverableAction(R"({"action_id":"a","customer_id":"c","expires_at":"soon"})")
                .status()
                .message()
                .find("expires_at"),
            std::string::npos);
  EXPECT_FALSE(ReadDeliverableAction("\x01\x02garbage").ok());
}

// The feedback is an input event the engine decodes: type, customer, channel and the
// properties action_id, channel, status (an integer, absent without an answer), reason and
// attempts.
TEST(WebhookActionTest, FeedbackIsAnInputEvent) {
  DeliverableAction action;
  action.action_id = "a1";
  action.customer_id = "c1";
  const std::string json = FeedbackEventJson(action, "email", false, 400, "", 1, 1767614400000);
  auto event = DecodeEvent(json, Format::kJson);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->type(), "action_failed");
  EXPECT_EQ(event->customer_id(), "c1");
  EXPECT_EQ(event->event_id(), "deliver/email/a1");
  EXPECT_EQ(event->channel(), "email");
  EXPECT_EQ(event->ts_ms(), 1767614400000);
  EXPECT_EQ(event->properties().at("action_id").string_value(), "a1");
  EXPECT_EQ(event->properties().at("channel").string_value(), "email");
  EXPECT_EQ(event->properties().at("status").int_value(), 400);
  EXPECT_EQ(event->properties().count("reason"), 0u);
  EXPECT_EQ(event->properties().at("attempts").int_value(), 1);
  auto delivered =
      DecodeEvent(FeedbackEventJson(action, "email", true, 200, "", 2, 1), Format::kJson);
  ASSERT_TRUE(delivered.ok());
  EXPECT_EQ(delivered->type(), "action_delivered");
  auto timed_out =
      DecodeEvent(FeedbackEventJson(action, "email", false, 0, "timeout", 8, 1), Format::kJson);
  ASSERT_TRUE(timed_out.ok());
  EXPECT_EQ(timed_out->properties().count("status"), 0u);
  EXPECT_EQ(timed_out->properties().at("reason").string_value(), "timeout");
}

}  // namespace
}  // namespace touchstream::connectors
