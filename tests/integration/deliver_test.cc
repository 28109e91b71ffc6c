// The webhook delivery connector end to end: the development broker, a WebhookDeliverer and an
// HTTP server on loopback started by the test, whose answer depends on the Idempotency-Key:
// "flaky-*" answers 500 then 200, "hang-*" hangs past the client's timeout then answers 200,
// "bad-*" answers 400. In the end each action id was POSTed successfully exactly once, failures
// and expiries are fed back to the input topic, and a restarted deliverer re-POSTs nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "connectors/codec.h"
#include "connectors/dev_broker.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "engine/runtime/webhook_deliverer.h"
#include "state/channel_feedback.h"
#include "test_webhook_server.h"

namespace touchstream::engine {
namespace {

using testing::TestWebhookServer;

constexpr char kActions[] = "touchstream.actions.email";
constexpr char kInput[] = "touchstream.events";

std::string ActionJson(const std::string& id, const std::string& customer,
                       const std::string& channel, const std::string& extra = "") {
  return R"({"action_id":")" + id + R"(","customer_id":")" + customer +
         R"(","rule_id":"r","rule_version":"1","kind":"nudge","channel":")" + channel +
         R"(","message":"hello","payload":{"coupon":"C1"},"ts":"2026-01-05T10:00:00Z")" + extra +
         "}";
}

class DeliverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = connectors::DevBroker::Start(1, {{kActions, 2}, {kInput, 3}});
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(*broker);
    connectors::KafkaSinkOptions sink_options;
    sink_options.bootstrap_servers = broker_->bootstrap_servers();
    auto sink = connectors::KafkaSink::Create(sink_options);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    producer_ = std::move(*sink);
  }

  void Produce(const std::string& customer, const std::string& value) {
    ASSERT_TRUE(producer_->Produce(kActions, customer, value, {}, 0).ok());
    std::vector<connectors::DeliveryReport> reports;
    ASSERT_TRUE(producer_->Flush(5000, &reports).ok());
  }

  WebhookDelivererOptions Options(const std::string& url) {
    WebhookDelivererOptions options;
    options.channel = "email";
    options.bootstrap_servers = broker_->bootstrap_servers();
    options.topic = kActions;
    options.group_id = "deliver-test";
    options.feedback_topic = kInput;
    options.consumer_properties = {{"session.timeout.ms", "6000"},
                                   {"heartbeat.interval.ms", "500"}};
    options.endpoint.url = url;
    options.endpoint.auth_header = "Authorization";
    options.endpoint.auth_value = "Bearer test-secret";
    options.endpoint.timeout = std::chrono::milliseconds(300);
    options.retry.max_attempts = 4;
    options.retry.initial_backoff_ms = 50;
    options.retry.max_backoff_ms = 200;
    options.max_in_flight = 4;
    options.max_per_second = 100;
    options.commit_interval_ms = 100;
    return options;
  }

  // Runs a deliverer until `until` holds (checked every 50 ms) or 15 s passed, then stops it.
  void RunDeliverer(const WebhookDelivererOptions& options, const std::function<bool()>& until) {
    DeliverMetrics metrics("email");
    std::ostringstream log_text;
    Logger log(&log_text, LogFormat::kText, LogLevel::kInfo);
    auto deliverer = WebhookDeliverer::Create(options, &metrics, &clock_, &log);
    ASSERT_TRUE(deliverer.ok()) << deliverer.status().ToString();
    std::atomic<bool> stop{false};
    Status status;
    std::thread run([&] { status = (*deliverer)->Run(stop); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!until() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop = true;
    run.join();
    EXPECT_TRUE(status.ok()) << status.ToString();
    // The secret never reaches the log.
    EXPECT_EQ(log_text.str().find("test-secret"), std::string::npos) << log_text.str();
  }

  // Feedback events on the input topic, by action id (read from the beginning).
  std::map<std::string, std::pair<std::string, nlohmann::json>> Feedback(size_t expected) {
    connectors::KafkaSourceOptions options;
    options.bootstrap_servers = broker_->bootstrap_servers();
    options.group_id = "feedback-reader-" + std::to_string(++readers_);
    options.topics = {kInput};
    options.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    Listener listener;
    auto source = connectors::KafkaSource::Create(options, &listener);
    EXPECT_TRUE(source.ok());
    std::map<std::string, std::pair<std::string, nlohmann::json>> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    size_t records = 0;
    while (records < expected && std::chrono::steady_clock::now() < deadline) {
      auto record = (*source)->Poll(100);
      if (!record.ok() || !record->has_value()) continue;
      ++records;
      nlohmann::json event = nlohmann::json::parse((*record)->value);
      out[event["properties"]["action_id"].get<std::string>()] = {(*record)->key, event};
    }
    EXPECT_EQ(records, expected);
    return out;
  }

  class Listener : public connectors::PartitionListener {
   public:
    std::optional<int64_t> StartOffset(const connectors::TopicPartition&) override {
      return std::nullopt;
    }
    void OnAssigned(const std::vector<connectors::TopicPartition>&) override {}
    void OnRevoked(const std::vector<connectors::TopicPartition>&, bool) override {}
  };

  SystemClock clock_;
  std::unique_ptr<connectors::DevBroker> broker_;
  std::unique_ptr<connectors::KafkaSink> producer_;
  int readers_ = 0;
};

// 500-then-200, hang-then-200 and 400 servers: one successful POST per action id, failures and
// an expired action fed back as action_failed, another channel's action skipped; a restart
// re-POSTs nothing that finished and delivers what came after.
TEST_F(DeliverTest, DeliversOncePerActionAndFeedsOutcomesBack) {
  TestWebhookServer server;
  Produce("c-1", ActionJson("flaky-1", "c-1", "email"));
  Produce("c-2", ActionJson("flaky-2", "c-2", "email"));
  Produce("c-3", ActionJson("hang-1", "c-3", "email"));
  Produce("c-4", ActionJson("bad-1", "c-4", "email"));
  Produce("c-5",
          ActionJson("expired-1", "c-5", "email", R"(,"expires_at":"2020-01-01T00:00:00Z")"));
  Produce("c-6", ActionJson("sms-1", "c-6", "sms"));
  Produce("c-7", ActionJson("fresh-1", "c-7", "email", R"(,"expires_at":"2999-01-01T00:00:00Z")"));

  auto finished = [&] {
    auto seen = server.seen();
    return seen["flaky-1"].successes == 1 && seen["flaky-2"].successes == 1 &&
           seen["hang-1"].successes == 1 && seen["bad-1"].requests == 1 &&
           seen["fresh-1"].successes == 1;
  };
  RunDeliverer(Options(server.url()), finished);

  auto seen = server.seen();
  EXPECT_EQ(seen["flaky-1"].requests, 2);
  EXPECT_EQ(seen["flaky-2"].requests, 2);
  EXPECT_EQ(seen["hang-1"].requests, 2);
  EXPECT_EQ(seen["bad-1"].requests, 1);
  EXPECT_EQ(seen["bad-1"].successes, 0);
  EXPECT_EQ(seen.count("expired-1"), 0u);
  EXPECT_EQ(seen.count("sms-1"), 0u);
  for (const char* id : {"flaky-1", "flaky-2", "hang-1", "fresh-1"}) {
    EXPECT_EQ(seen[id].successes, 1) << id;
  }
  EXPECT_EQ(seen["flaky-1"].authorization, "Bearer test-secret");
  EXPECT_EQ(nlohmann::json::parse(seen["fresh-1"].body)["expires_at"], "2999-01-01T00:00:00Z");

  auto feedback = Feedback(6);
  ASSERT_EQ(feedback.size(), 6u);
  // status: the expected integer status (0: absent); reason: the expected reason ("": absent).
  auto expect = [&](const std::string& id, const std::string& customer, const std::string& type,
                    int status, const std::string& reason, int attempts) {
    const auto& [key, event] = feedback[id];
    EXPECT_EQ(key, customer) << id;
    EXPECT_EQ(event["customer_id"], customer) << id;
    EXPECT_EQ(event["type"], type) << id;
    EXPECT_EQ(event["channel"], "email") << id;
    EXPECT_EQ(event["properties"]["channel"], "email") << id;
    if (status > 0) {
      EXPECT_EQ(event["properties"]["status"], status) << id;
    } else {
      EXPECT_FALSE(event["properties"].contains("status")) << id;
    }
    if (!reason.empty()) {
      EXPECT_EQ(event["properties"]["reason"], reason) << id;
    } else {
      EXPECT_FALSE(event["properties"].contains("reason")) << id;
    }
    // The engine accepts it as feedback (a malformed one would go to its dead-letter topic).
    auto decoded = connectors::DecodeEvent(event.dump(), connectors::Format::kJson);
    ASSERT_TRUE(decoded.ok()) << id << ": " << decoded.status().ToString();
    EXPECT_EQ(state::FeedbackEventProblem(*decoded), "") << id;
    EXPECT_EQ(event["properties"]["attempts"], attempts) << id;
  };
  expect("flaky-1", "c-1", "action_delivered", 200, "", 2);
  expect("flaky-2", "c-2", "action_delivered", 200, "", 2);
  expect("hang-1", "c-3", "action_delivered", 200, "", 2);
  expect("bad-1", "c-4", "action_failed", 400, "", 1);
  expect("expired-1", "c-5", "action_failed", 410, "expired", 0);
  expect("fresh-1", "c-7", "action_delivered", 200, "", 1);

  // Restart: the committed offsets hold, so only the new action is POSTed.
  Produce("c-8", ActionJson("flaky-3", "c-8", "email"));
  RunDeliverer(Options(server.url()), [&] { return server.seen()["flaky-3"].successes == 1; });
  auto after = server.seen();
  EXPECT_EQ(after["flaky-3"].successes, 1);
  for (const char* id : {"flaky-1", "flaky-2", "hang-1", "bad-1", "fresh-1"}) {
    EXPECT_EQ(after[id].requests, seen[id].requests) << id << " was POSTed again";
  }
  EXPECT_EQ(after.count("expired-1"), 0u);
}

}  // namespace
}  // namespace touchstream::engine
