// The channel loop closed through the development broker: the engine sends two email actions,
// the webhook connector POSTs them to a test server (one answered 200, one 400) and feeds the
// outcomes back to the input topic, and the engine, run again, counts them in each customer's
// email engagement (docs/channels.md, docs/webhook-delivery.md).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "engine/ops/deliver_metrics.h"
#include "engine/ops/log.h"
#include "engine/runtime/webhook_deliverer.h"
#include "pipeline_fixture.h"
#include "test_webhook_server.h"

namespace touchstream::testing {
namespace {

constexpr char kEmailTopic[] = "touchstream.actions.email";

class FeedbackLoopTest : public PipelineFixture {};

TEST_F(FeedbackLoopTest, DeliveryOutcomesReachTheCustomersState) {
  const std::string input = config_.kafka.input_topics.front();
  const std::vector<KeyedMessage> purchases = {
      {"c-1",
       R"({"event_id":"e1","customer_id":"c-1","type":"purchase","ts":"2026-01-01T10:00:00Z","properties":{"amount":10.0,"sku":"A1"}})"},
      {"c-5",
       R"({"event_id":"e2","customer_id":"c-5","type":"purchase","ts":"2026-01-01T11:00:00Z","properties":{"amount":30.0,"sku":"C3"}})"}};
  KcatProduce(bootstrap_, input, purchases);
  RunPipeline(config_);
  ASSERT_EQ(KcatConsumeAll(bootstrap_, kEmailTopic).size(), 2u);  // two welcome offers

  // The provider refuses c-5's address.
  TestWebhookServer server([](const std::string&, const std::string& body, int) {
    return body.find(R"("customer_id":"c-5")") != std::string::npos ? 400 : 200;
  });
  engine::WebhookDelivererOptions options;
  options.channel = "email";
  options.bootstrap_servers = bootstrap_;
  options.topic = kEmailTopic;
  options.group_id = "deliver-email";
  options.feedback_topic = input;
  // Feedback lands on its customer's partition only with the engine's partitioner (as
  // `touchstream deliver` sets it from kafka.partitioner).
  options.producer_properties = {{"partitioner", config_.kafka.partitioner}};
  options.consumer_properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
  options.endpoint.url = server.url();
  options.commit_interval_ms = 100;
  engine::DeliverMetrics metrics("email");
  std::ostringstream log_text;
  engine::Logger log(&log_text, engine::LogFormat::kText, engine::LogLevel::kInfo);
  engine::SystemClock clock;
  auto deliverer = engine::WebhookDeliverer::Create(options, &metrics, &clock, &log);
  ASSERT_TRUE(deliverer.ok()) << deliverer.status().ToString();
  std::atomic<bool> stop{false};
  Status delivered;
  std::thread run([&] { delivered = (*deliverer)->Run(stop); });
  // Both purchases and both feedback events are on the input topic.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (KcatConsumeAll(bootstrap_, input).size() < purchases.size() + 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop = true;
  run.join();
  ASSERT_TRUE(delivered.ok()) << delivered.ToString();
  ASSERT_EQ(KcatConsumeAll(bootstrap_, input).size(), purchases.size() + 2) << log_text.str();

  // The engine reads the feedback where it left off.
  RunPipeline(config_);
  EXPECT_TRUE(KcatConsumeAll(bootstrap_, "touchstream.dead-letter").empty());
  auto store = engine::OpenStore(config_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  v1::CustomerState accepted, refused;
  ASSERT_TRUE((*store)->GetCustomer("c-1", &accepted).ok());
  ASSERT_TRUE((*store)->GetCustomer("c-5", &refused).ok());
  const v1::ChannelEngagement& ok = accepted.channels().at("email");
  EXPECT_EQ(ok.sent(), 1);
  EXPECT_EQ(ok.delivered(), 1);
  EXPECT_EQ(ok.failed(), 0);
  EXPECT_GT(ok.last_delivered_ms(), 0);
  const v1::ChannelEngagement& failed = refused.channels().at("email");
  EXPECT_EQ(failed.sent(), 1);
  EXPECT_EQ(failed.delivered(), 0);
  EXPECT_EQ(failed.failed(), 1);
}

}  // namespace
}  // namespace touchstream::testing
