// Never stop, never lose: malformed records, produce errors and a broker outage do not stop
// `run`, and end in the state and action ids of an undisturbed run (docs/guarantees.md).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
// clang-format off
#include <librdkafka/rdkafka_mock.h>
// clang-format on

#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/journey_generator.h"
#include "pipeline_fixture.h"

namespace touchstream::testing {
namespace {

// The Kafka protocol's ApiKey of Produce requests (rdkafka_protocol.h is not installed).
constexpr int16_t kProduceApiKey = 0;

class IntegrationNeverStopTest : public PipelineFixture {
 protected:
  // Adds an inactivity rule (it arms a timer per purchase) to the rules of `config`.
  void AddTimedRule(engine::EngineConfig* config) {
    const auto path = root_ / "timed.yaml";
    std::ofstream(path)
        << "- id: winback\n"
           "  trigger: {inactive_for: 60d, event: purchase}\n"
           "  actions: [{emit: {kind: nudge, channel: email, template: \"Back?\"}}]\n";
    config->rules_paths.push_back(path.string());
  }

  // Produces raw message values keyed by `key` to the input topic.
  void ProduceRaw(const std::vector<std::pair<std::string, std::string>>& keyed_values) {
    auto sink = connectors::KafkaSink::Create({bootstrap_, {}});
    ASSERT_TRUE(sink.ok());
    uint64_t token = 0;
    for (const auto& [key, value] : keyed_values) {
      ASSERT_TRUE(
          (*sink)->Produce(config_.kafka.input_topics.front(), key, value, {}, ++token).ok());
    }
    std::vector<connectors::DeliveryReport> reports;
    ASSERT_TRUE((*sink)->Flush(30000, &reports).ok());
    for (const auto& report : reports) ASSERT_TRUE(report.status.ok());
  }

  static std::vector<v1::TouchpointEvent> Journeys(int customers, uint64_t seed) {
    connectors::JourneyOptions journeys;
    journeys.customers = customers;
    journeys.days = 20;
    journeys.seed = seed;
    return connectors::GenerateJourneys(journeys);
  }
};

// The sum of a metric family's counters.
double CounterTotal(const engine::EngineMetrics& metrics, const std::string& name) {
  double total = 0;
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) total += metric.counter.value;
  }
  return total;
}

std::string Purchase(const std::string& customer, const std::string& ts) {
  return R"({"customer_id":")" + customer + R"(","type":"purchase","ts":)" + ts +
         R"(,"properties":{"amount":25.0}})";
}

// A seeded stream of valid purchases with hostile records mixed in: every hostile record ends
// on the dead-letter topic with its reason and source offset, every valid one is processed,
// and the engine never stops.
TEST_F(IntegrationNeverStopTest, MalformedRecordsAreDeadLetteredAndTheRestProcessed) {
  engine::EngineConfig config = Variant("malformed");
  AddTimedRule(&config);
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"nul", R"({"customer_id":"a\u0000b","type":"purchase","ts":"2024-01-01T00:00:00Z"})"},
      {"long", Purchase(std::string(1000, 'x'), R"("2024-01-01T00:00:00Z")")},
      {"huge", Purchase(std::string(64 * 1024, 'y'), R"("2024-01-01T00:00:00Z")")},
      {"ctl", Purchase("tab\\tid", R"("2024-01-01T00:00:00Z")")},
      {"utf8", Purchase("bad\xff\xfe", R"("2024-01-01T00:00:00Z")")},
      {"y1900", Purchase("c-1900", R"("1900-01-01T00:00:00Z")")},
      {"y300000", Purchase("c-300000", R"("300000-01-01T00:00:00Z")")},
      {"near-max", Purchase("c-max", "9223372036854775000")},
      {"negative", Purchase("c-neg", "-5")},
  };
  const std::map<std::string, std::string> expected_reason = {
      {"nul", "bad_customer_id"},
      {"long", "bad_customer_id"},
      {"huge", "too_large"},
      {"ctl", "bad_customer_id"},
      {"utf8", "undecodable"},
      {"y1900", "event_time_out_of_range"},
      {"y300000", "undecodable"},
      {"near-max", "event_time_out_of_range"},
      {"negative", "event_time_out_of_range"},
  };
  std::mt19937 random(20261204);
  std::vector<std::pair<std::string, std::string>> stream;
  size_t next_hostile = 0;
  for (int i = 0; i < 200; ++i) {
    stream.emplace_back("c" + std::to_string(i % 20),
                        Purchase("c" + std::to_string(i % 20), std::to_string(1704067200000 + i)));
    if (next_hostile < hostile.size() && random() % 20 == 0)
      stream.push_back(hostile[next_hostile++]);
  }
  while (next_hostile < hostile.size()) stream.push_back(hostile[next_hostile++]);
  std::printf("seed 20261204: %zu records, %zu hostile\n", stream.size(), hostile.size());
  ProduceRaw(stream);

  engine::EngineMetrics metrics;
  auto store = engine::OpenStore(config);
  ASSERT_TRUE(store.ok());
  Status run = RunPipelineOn(config, store->get(), &metrics);
  ASSERT_TRUE(run.ok()) << run.ToString();
  store->reset();
  EXPECT_EQ(last_records_processed_, static_cast<int64_t>(stream.size()));

  std::map<std::string, std::string> reason_by_key;
  for (const auto& [headers, value] :
       KcatConsumeHeaders(bootstrap_, config.output.dead_letter_topic)) {
    const size_t at = headers.find("touchstream.error.reason=");
    ASSERT_NE(at, std::string::npos) << headers;
    const size_t end = headers.find(',', at);
    const std::string reason =
        headers.substr(at + 25, end == std::string::npos ? std::string::npos : end - at - 25);
    EXPECT_NE(headers.find("touchstream.source.offset="), std::string::npos) << headers;
    for (const auto& [key, raw] : hostile) {
      if (raw == value) reason_by_key[key] = reason;
    }
  }
  EXPECT_EQ(reason_by_key, expected_reason);

  const auto states = States(config);
  EXPECT_EQ(states.size(), 20u);
  for (int c = 0; c < 20; ++c) EXPECT_EQ(states.count("c" + std::to_string(c)), 1u);
}

// Every broker down for longer than the consumer's session timeout, mid-stream: the engine
// pauses, rejoins when the broker is back, and ends as an undisturbed run did.
TEST_F(IntegrationNeverStopTest, BrokerOutageLongerThanTheSessionTimeoutLosesNothing) {
  const auto events = Journeys(60, 11);
  const size_t half = events.size() / 2;
  ProduceEvents({events.begin(), events.begin() + half});
  ProduceEvents({events.begin() + half, events.end()});
  const auto reference = Variant("reference");
  RunPipeline(reference);

  // The same stream again, in two halves around an outage.
  ASSERT_TRUE(broker_->CreateTopic({"events-outage", 3}).ok());
  auto outage = Variant("outage");
  outage.kafka.input_topics = {"events-outage"};
  outage.kafka.consumer_properties["session.timeout.ms"] = "6000";
  outage.kafka.consumer_properties["heartbeat.interval.ms"] = "500";
  config_.kafka.input_topics = {"events-outage"};
  ProduceEvents({events.begin(), events.begin() + half});
  std::atomic<bool> input_finished{false};
  std::thread outage_thread([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    rd_kafka_mock_broker_set_down(broker_->mock_cluster(), 1);
    std::this_thread::sleep_for(std::chrono::seconds(10));
    rd_kafka_mock_broker_set_up(broker_->mock_cluster(), 1);
    ProduceEvents({events.begin() + half, events.end()});
    input_finished = true;
  });
  engine::EngineMetrics metrics;
  auto store = engine::OpenStore(outage);
  ASSERT_TRUE(store.ok());
  Status run = RunPipelineOn(outage, store->get(), &metrics, 0, &input_finished);
  outage_thread.join();
  store->reset();
  ASSERT_TRUE(run.ok()) << run.ToString();

  size_t reference_messages = 0, outage_messages = 0;
  const auto reference_ids = ActionIds("actions-reference", &reference_messages);
  const auto outage_ids = ActionIds("actions-outage", &outage_messages);
  EXPECT_GT(reference_ids.size(), 10u);
  EXPECT_EQ(outage_ids, reference_ids);
  std::printf("outage run: %zu action messages for %zu ids (%zu duplicates, equal ids)\n",
              outage_messages, outage_ids.size(), outage_messages - outage_ids.size());
  EXPECT_EQ(States(outage), States(reference));
}

// Produce errors injected at the broker: retriable ones are retried, a message the broker
// refuses for good goes to the actions dead-letter topic with the reason; together the two
// topics hold exactly the actions of an undisturbed run.
TEST_F(IntegrationNeverStopTest, RefusedActionsGoToTheActionsDeadLetterTopic) {
  const auto events = Journeys(40, 5);
  ProduceEvents(events);
  const auto reference = Variant("reference");
  RunPipeline(reference);

  const auto refused = Variant("refused");
  rd_kafka_mock_push_request_errors(
      broker_->mock_cluster(), kProduceApiKey, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  engine::EngineMetrics metrics;
  auto store = engine::OpenStore(refused);
  ASSERT_TRUE(store.ok());
  Status run = RunPipelineOn(refused, store->get(), &metrics);
  store->reset();
  ASSERT_TRUE(run.ok()) << run.ToString();

  size_t messages = 0, reference_messages = 0, dead_messages = 0;
  const auto reference_ids = ActionIds("actions-reference", &reference_messages);
  auto ids = ActionIds("actions-refused", &messages);
  const auto dead = KcatConsumeHeaders(bootstrap_, refused.output.actions_dead_letter_topic);
  const auto dead_ids = ActionIds(refused.output.actions_dead_letter_topic, &dead_messages);
  EXPECT_GE(dead_messages, 1u);
  for (const auto& [headers, value] : dead) {
    EXPECT_NE(headers.find("touchstream.error.reason=undeliverable"), std::string::npos) << headers;
    EXPECT_NE(headers.find("touchstream.error.topic=actions-refused"), std::string::npos)
        << headers;
  }
  ids.insert(dead_ids.begin(), dead_ids.end());
  EXPECT_EQ(ids, reference_ids);
  EXPECT_EQ(States(refused), States(reference));
}

// Wall-clock time set by the test; intervals run on the real monotonic clock.
class SettableClock final : public engine::Clock {
 public:
  explicit SettableClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t MonotonicMs() const override { return system_.MonotonicMs(); }
  void Advance(int64_t ms) { now_ms_ += ms; }

 private:
  std::atomic<int64_t> now_ms_;
  engine::SystemClock system_;
};

// 100,000 timers (10,000 in the sanitizer build) come due at once (the clock jumps past them) while
// input keeps flowing: they fire in rounds bounded by processing.timer_round_ms between records,
// every one fires, and the records that arrive meanwhile are processed, each once.
TEST_F(IntegrationNeverStopTest, AHundredThousandDueTimersDoNotBlockInput) {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizer build runs about ten times slower: a tenth of the timers, the same shape.
  constexpr int kArmed = 10000;
  constexpr int kLater = 2000;
  config_.processing.timer_batch = 500;
#else
  constexpr int kArmed = 100000;
  constexpr int kLater = 20000;
#endif
  engine::EngineConfig config = Variant("timers");
  config.rules_paths.clear();
  const auto rule = root_ / "due.yaml";
  std::ofstream(rule) << "- id: quiet-hour\n"
                         "  trigger: {inactive_for: 1h, event: purchase}\n"
                         "  condition: customer.aggregates.total_spend > 1000000.0\n"
                         "  actions: [{emit: {kind: nudge, channel: email, template: \"x\"}}]\n";
  config.rules_paths.push_back(rule.string());
  config.processing.timer_interval_ms = 100;
  config.processing.timer_round_ms = 50;
  config.kafka.consumer_properties["session.timeout.ms"] = "6000";
  config.kafka.consumer_properties["max.poll.interval.ms"] = "6000";
  auto stream = [](const std::string& prefix, int n) {
    std::vector<std::pair<std::string, std::string>> records;
    records.reserve(n);
    for (int i = 0; i < n; ++i) {
      const std::string id = prefix + std::to_string(i);
      records.emplace_back(id, Purchase(id, R"("2024-01-01T00:00:00Z")"));
    }
    return records;
  };
  ProduceRaw(stream("t", kArmed));
  // The engine's "now" is the events' time: every timer is armed an hour ahead, none is due.
  SettableClock clock(1704067200000);
  engine::EngineMetrics metrics;
  std::atomic<bool> input_finished{false};
  std::thread later([&] {
    while (CounterTotal(metrics, "touchstream_events_consumed_total") < kArmed) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    clock.Advance(2 * 3600 * 1000);  // all 100,000 are due now
    ProduceRaw(stream("u", kLater));
    input_finished = true;
  });
  auto store = engine::OpenStore(config);
  ASSERT_TRUE(store.ok());
  Status run = RunPipelineOn(config, store->get(), &metrics, 0, &input_finished, &clock);
  later.join();
  ASSERT_TRUE(run.ok()) << run.ToString();
  EXPECT_EQ(last_records_processed_, kArmed + kLater);
  EXPECT_GE(CounterTotal(metrics, "touchstream_timers_fired_total"), kArmed);
  const double cut = CounterTotal(metrics, "touchstream_timer_rounds_cut_total");
  EXPECT_GT(cut, 0);
  std::printf("%d timers due at once: fired in %.0f+ rounds cut at 50 ms\n", kArmed, cut);
}

// A topic that refuses messages (authorization denied at the broker): its actions wait in the
// outbox, a probe every few seconds finds it accepting again, and every action is delivered
// exactly as in an undisturbed run; the engine never stops meanwhile.
TEST_F(IntegrationNeverStopTest, ActionsForARefusingTopicWaitAndAreDelivered) {
  const auto events = Journeys(40, 9);
  ProduceEvents(events);
  const auto reference = Variant("reference");
  RunPipeline(reference);

  const auto held = Variant("held");
  rd_kafka_mock_push_request_errors(broker_->mock_cluster(), kProduceApiKey, 2,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  engine::EngineMetrics metrics;
  auto store = engine::OpenStore(held);
  ASSERT_TRUE(store.ok());
  Status run = RunPipelineOn(held, store->get(), &metrics);
  store->reset();
  ASSERT_TRUE(run.ok()) << run.ToString();
  EXPECT_GE(CounterTotal(metrics, "touchstream_delivery_failures_total"), 1);
  EXPECT_EQ(CounterTotal(metrics, "touchstream_actions_dead_lettered_total"), 0);

  size_t messages = 0, reference_messages = 0;
  EXPECT_EQ(ActionIds("actions-held", &messages),
            ActionIds("actions-reference", &reference_messages));
  EXPECT_EQ(States(held), States(reference));
}

// A fatal error of the idempotent producer (a sequence gap with enable.gapless.guarantee: the
// broker answers a Produce with OUT_OF_ORDER_SEQUENCE_NUMBER; librdkafka then refuses every
// further message):
// the pipeline recreates its producer and re-sends the unacknowledged outbox; the run ends in
// the reference's state and action ids.
TEST_F(IntegrationNeverStopTest, AFatalProducerErrorRecreatesTheProducerAndLosesNothing) {
  const auto events = Journeys(40, 13);
  ProduceEvents(events);
  const auto reference = Variant("reference");
  RunPipeline(reference);

  auto fenced = Variant("fenced");
  // With the gapless guarantee a sequence gap is fatal (without it librdkafka bumps the epoch).
  fenced.kafka.producer_properties["enable.gapless.guarantee"] = "true";
  rd_kafka_mock_push_request_errors(broker_->mock_cluster(), kProduceApiKey, 1,
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
  engine::EngineMetrics metrics;
  auto store = engine::OpenStore(fenced);
  ASSERT_TRUE(store.ok());
  Status run = RunPipelineOn(fenced, store->get(), &metrics);
  store->reset();
  ASSERT_TRUE(run.ok()) << run.ToString();
  double fatal = 0;
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != "touchstream_delivery_failures_total") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "class" && label.value == "fatal") fatal += metric.counter.value;
      }
    }
  }
  EXPECT_GE(fatal, 1);

  size_t messages = 0, reference_messages = 0;
  const auto ids = ActionIds("actions-fenced", &messages);
  const auto reference_ids = ActionIds("actions-reference", &reference_messages);
  EXPECT_EQ(ids, reference_ids);
  std::cout << "fatal producer error: " << messages << " action messages for "
            << reference_ids.size() << " ids (" << messages - reference_messages
            << " duplicates with equal ids)\n";
  EXPECT_EQ(States(fenced), States(reference));
}

}  // namespace
}  // namespace touchstream::testing
