// DeliverMetrics: the Prometheus metrics of `touchstream deliver` (one channel per process), in the
// engine's style (touchstream_ prefix, counters ending in _total, a channel label):
//   touchstream_deliver_posts_total{channel,outcome}   POSTs by outcome: 2xx, 4xx, 5xx, other,
//                                                      timeout, connection_error
//   touchstream_deliver_actions_total{channel,result}  actions finished: delivered, failed,
//                                                      expired, skipped (another channel's)
//   touchstream_deliver_retries_total{channel}         POSTs that were retries
//   touchstream_deliver_post_seconds{channel}          latency of a POST (histogram)
//   touchstream_deliver_in_flight{channel}             POSTs under way
//   touchstream_deliver_pending{channel}               actions taken from Kafka, not committed
// plus the process metrics (process_*).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/webhook_policy.h"
#include "engine/ops/process_metrics.h"

namespace touchstream::engine {

class DeliverMetrics {
 public:
  explicit DeliverMetrics(const std::string& channel);

  // What a scrape serves: the registry and the process collector.
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables() const {
    return {registry_, process_};
  }

  // One POST ended with `outcome` after `seconds`.
  void PostFinished(const connectors::PostOutcome& outcome, double seconds);
  // An action finished: "delivered", "failed", "expired" or "skipped".
  void ActionFinished(const std::string& result);
  void Retried() { retries_->Increment(); }
  void SetInFlight(double posts) { in_flight_->Set(posts); }
  void SetPending(double actions) { pending_->Set(actions); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ProcessCollector> process_;
  const std::string channel_;
  prometheus::Family<prometheus::Counter>* posts_;
  prometheus::Family<prometheus::Counter>* actions_;
  prometheus::Counter* retries_;
  prometheus::Histogram* latency_;
  prometheus::Gauge* in_flight_;
  prometheus::Gauge* pending_;
};

}  // namespace touchstream::engine
