// The whole path on real Kafka (the development broker) and a real RocksDB directory, with
// events produced and actions read back by independent clients (kcat, kafka-python).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <map>
#include <set>

#include "connectors/codec.h"
#include "connectors/kafka_sink.h"
#include "external_clients.h"
#include "pipeline_fixture.h"

namespace touchstream::testing {
namespace {

struct ExpectedAction {
  std::string topic, customer, rule, message;
  bool operator<(const ExpectedAction& o) const {
    return std::tie(topic, customer, rule, message) <
           std::tie(o.topic, o.customer, o.rule, o.message);
  }
  bool operator==(const ExpectedAction& o) const = default;
};

std::ostream& operator<<(std::ostream& out, const ExpectedAction& a) {
  return out << a.topic << " " << a.customer << " " << a.rule << " \"" << a.message << "\"";
}

class IntegrationPipelineTest : public PipelineFixture {};

// Events produced by the project's producer and by kcat go through the engine; the actions on
// the channel and alert topics, read back with kcat and kafka-python, are exactly the ones the
// demo rules promise.
TEST_F(IntegrationPipelineTest, ExactActionsThroughKafkaWithIndependentClients) {
  // Produced with the project's own producer.
  const std::vector<std::string> ours = {
      R"({"event_id":"e1","customer_id":"c-1","type":"purchase","ts":"2026-01-01T10:00:00Z","properties":{"amount":10.0,"sku":"A1"}})",
      R"({"event_id":"e2","customer_id":"c-1","type":"purchase","ts":"2026-01-02T10:00:00Z","properties":{"amount":995.0,"sku":"B7"}})",
      R"({"event_id":"e3","customer_id":"c-2","type":"complaint","ts":"2026-01-02T11:00:00Z","properties":{"reason":"late delivery"}})",
  };
  auto sink = connectors::KafkaSink::Create({bootstrap_, {}});
  ASSERT_TRUE(sink.ok());
  uint64_t token = 0;
  for (const auto& value : ours) {
    auto event = connectors::DecodeEvent(value, connectors::Format::kJson);
    ASSERT_TRUE(event.ok());
    ASSERT_TRUE(
        (*sink)->Produce("touchstream.events", event->customer_id(), value, {}, ++token).ok());
  }
  std::vector<connectors::DeliveryReport> reports;
  ASSERT_TRUE((*sink)->Flush(10000, &reports).ok());
  // Produced with kcat.
  KcatProduce(
      bootstrap_, "touchstream.events",
      {{"c-3",
        R"({"event_id":"e4","customer_id":"c-3","type":"nps_response","ts":"2026-01-03T09:00:00Z","properties":{"score":4}})"},
       {"c-4",
        R"({"event_id":"e5","customer_id":"c-4","type":"nps_response","ts":"2026-01-03T09:05:00Z","properties":{"score":9}})"},
       {"c-5",
        R"({"event_id":"e6","customer_id":"c-5","type":"purchase","ts":"2026-01-03T09:10:00Z","properties":{"amount":30.0,"sku":"C3"}})"}});

  RunPipeline(config_);

  std::set<ExpectedAction> actual;
  std::set<std::string> action_ids;
  for (const std::string topic :
       {"touchstream.actions.email", "touchstream.alerts", "touchstream.actions",
        "touchstream.actions.push", "touchstream.actions.crm"}) {
    for (const auto& m : KcatConsumeAll(bootstrap_, topic)) {
      auto action = connectors::DecodeAction(m.value, connectors::Format::kJson);
      ASSERT_TRUE(action.ok()) << m.value;
      EXPECT_EQ(m.key, action->customer_id());
      actual.insert({topic, action->customer_id(), action->rule_id(), action->message()});
      action_ids.insert(action->action_id());
    }
  }
  const std::set<ExpectedAction> expected = {
      {"touchstream.actions.email", "c-1", "welcome-offer",
       "Thanks for your first order (A1)! Here is 10% off your next one."},
      {"touchstream.actions.email", "c-1", "vip-offer",
       "You are now a VIP: lifetime spend 1005. Enjoy free shipping for a year."},
      {"touchstream.actions.email", "c-5", "welcome-offer",
       "Thanks for your first order (C3)! Here is 10% off your next one."},
      {"touchstream.alerts", "c-2", "complaint-alert",
       "Complaint from c-2 about late delivery (0 purchases, 0 spent)"},
      {"touchstream.alerts", "c-3", "detractor-alert", "Detractor: c-3 answered NPS 4"},
  };
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(action_ids.size(), expected.size());

  // kafka-python sees the same alerts.
  auto alerts = PythonConsumeAll(bootstrap_, "touchstream.alerts");
  std::set<std::string> python_customers;
  for (const auto& m : alerts) python_customers.insert(m.key);
  EXPECT_EQ(python_customers, (std::set<std::string>{"c-2", "c-3"}));

  // Every fired rule left a decision record.
  EXPECT_EQ(KcatConsumeAll(bootstrap_, "touchstream.decisions").size(), expected.size());
}

// Malformed events go to the dead-letter topic with headers naming the reason and origin,
// and the good events around them are still processed.
TEST_F(IntegrationPipelineTest, MalformedEventsGoToDeadLetterTopic) {
  KcatProduce(
      bootstrap_, "touchstream.events",
      {{"x", "{this is not json"},
       {"x", R"({"type":"login","ts":"2026-01-01T00:00:00Z"})"},
       {"c-7",
        R"({"event_id":"ok","customer_id":"c-7","type":"purchase","properties":{"amount":5.0,"sku":"Q"}})"},
       {"x", R"({"customer_id":"c-8","type":"purchase","ts":"tomorrow"})"}});
  RunPipeline(config_);

  auto dead = KcatConsumeHeaders(bootstrap_, "touchstream.dead-letter");
  ASSERT_EQ(dead.size(), 3u);
  std::multiset<std::string> reasons;
  for (const auto& [headers, value] : dead) {
    EXPECT_NE(headers.find("touchstream.source.topic=touchstream.events"), std::string::npos)
        << headers;
    EXPECT_NE(headers.find("touchstream.source.offset="), std::string::npos) << headers;
    for (const char* reason : {"undecodable", "missing_customer_id"}) {
      if (headers.find(std::string("touchstream.error.reason=") + reason) != std::string::npos)
        reasons.insert(reason);
    }
  }
  EXPECT_EQ(reasons,
            (std::multiset<std::string>{"undecodable", "undecodable", "missing_customer_id"}));
  ASSERT_EQ(KcatConsumeAll(bootstrap_, "touchstream.actions.email").size(), 1u);
}

// A run that stops when its input is idle reads what is already on the topic first, however long
// the broker takes to answer the first fetch (the idle time alone once stopped a run after
// 1.5 s with a partition's records still unread).
TEST_F(IntegrationPipelineTest, AnIdleStopWaitsForASlowFirstFetch) {
  std::vector<KeyedMessage> purchases;
  for (int i = 0; i < 6; ++i) {
    const std::string id = "c-" + std::to_string(i);
    purchases.push_back(
        {id,
         R"({"event_id":"e)" + std::to_string(i) + R"(","customer_id":")" + id +
             R"(","type":"purchase","ts":"2026-01-01T10:00:00Z","properties":{"amount":5.0,"sku":"Q"}})"});
  }
  KcatProduce(bootstrap_, config_.kafka.input_topics.front(), purchases);
  // The broker answers the next fetches 2.5 s late: longer than the run's idle time (1.5 s).
  ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(
                broker_->mock_cluster(), 1,
                /*ApiKey Fetch=*/1, 3, RD_KAFKA_RESP_ERR_NO_ERROR, 2500, RD_KAFKA_RESP_ERR_NO_ERROR,
                2500, RD_KAFKA_RESP_ERR_NO_ERROR, 2500),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  RunPipeline(config_);
  EXPECT_EQ(last_records_processed_, static_cast<int64_t>(purchases.size()));
}

}  // namespace
}  // namespace touchstream::testing
