#include "engine/ops/deliver_metrics.h"

namespace touchstream::engine {

namespace {

prometheus::Histogram::BucketBoundaries PostBuckets() {
  // 1 ms .. ~65 s, doubling.
  prometheus::Histogram::BucketBoundaries buckets;
  for (double b = 0.001; b < 70.0; b *= 2) buckets.push_back(b);
  return buckets;
}

std::string OutcomeLabel(const connectors::PostOutcome& outcome) {
  if (outcome.error != connectors::PostOutcome::Error::kNone) {
    return connectors::OutcomeStatus(outcome);  // timeout, connection_error
  }
  const int klass = outcome.http_status / 100;
  return klass == 2 || klass == 4 || klass == 5 ? std::to_string(klass) + "xx" : "other";
}

}  // namespace

DeliverMetrics::DeliverMetrics(const std::string& channel)
    : registry_(std::make_shared<prometheus::Registry>()),
      process_(std::make_shared<ProcessCollector>()),
      channel_(channel) {
  auto& r = *registry_;
  posts_ = &prometheus::BuildCounter()
                .Name("touchstream_deliver_posts_total")
                .Help("Webhook POSTs by outcome (2xx, 4xx, 5xx, other, timeout, connection_error)")
                .Register(r);
  actions_ = &prometheus::BuildCounter()
                  .Name("touchstream_deliver_actions_total")
                  .Help("Actions finished by result (delivered, failed, expired, skipped)")
                  .Register(r);
  retries_ = &prometheus::BuildCounter()
                  .Name("touchstream_deliver_retries_total")
                  .Help("Webhook POSTs that retried an earlier attempt")
                  .Register(r)
                  .Add({{"channel", channel}});
  latency_ = &prometheus::BuildHistogram()
                  .Name("touchstream_deliver_post_seconds")
                  .Help("Duration of one webhook POST, connect to answer")
                  .Register(r)
                  .Add({{"channel", channel}}, PostBuckets());
  in_flight_ = &prometheus::BuildGauge()
                    .Name("touchstream_deliver_in_flight")
                    .Help("Webhook POSTs under way")
                    .Register(r)
                    .Add({{"channel", channel}});
  pending_ = &prometheus::BuildGauge()
                  .Name("touchstream_deliver_pending")
                  .Help("Actions taken from Kafka whose offsets are not committed yet")
                  .Register(r)
                  .Add({{"channel", channel}});
}

void DeliverMetrics::PostFinished(const connectors::PostOutcome& outcome, double seconds) {
  posts_->Add({{"channel", channel_}, {"outcome", OutcomeLabel(outcome)}}).Increment();
  latency_->Observe(seconds);
}

void DeliverMetrics::ActionFinished(const std::string& result) {
  actions_->Add({{"channel", channel_}, {"result", result}}).Increment();
}

}  // namespace touchstream::engine
