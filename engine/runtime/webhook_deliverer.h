// WebhookDeliverer: the loop of `touchstream deliver --channel NAME` (docs/webhook-delivery.md).
//
// Consumes the channel's action topic in its own consumer group and POSTs each action of the
// channel to its webhook (connectors/webhook_client.h) with `Idempotency-Key: <action_id>`:
//   - at most max_in_flight actions are taken from Kafka and unfinished at once;
//   - POSTs (retries included) are rate limited to max_per_second;
//   - 5xx, timeouts and connection errors are retried after an exponential backoff with jitter,
//     up to max_attempts; 4xx (and 1xx/3xx) are not retried;
//   - an action past its expires_at is not POSTed;
//   - each action ends with one feedback event (action_delivered, or action_failed with the
//     HTTP status, 410 and reason "expired", or reason "timeout" / "connection_error") produced
//     to the feedback topic
//     keyed by its customer id (connectors/webhook_action.h);
//   - an offset is committed only once its action and every earlier one of its partition has a
//     delivered feedback event: after a crash actions are POSTed again (at least once), always
//     with the same Idempotency-Key.
// Actions of other channels on the same topic are skipped; undecodable messages are logged
// (topic, partition, offset) and skipped.
//
// Thread safety: Run is called from one thread; the HTTP client calls back on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "connectors/webhook_client.h"
#include "connectors/webhook_policy.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/ops/deliver_metrics.h"
#include "engine/ops/log.h"

namespace touchstream::engine {

struct WebhookDelivererOptions {
  std::string channel;
  std::string bootstrap_servers;
  std::string topic;
  std::string group_id;
  std::string feedback_topic;
  std::map<std::string, std::string> consumer_properties;
  std::map<std::string, std::string> producer_properties;
  connectors::WebhookEndpoint endpoint;
  connectors::RetryPolicy retry;
  int64_t max_in_flight = 8;
  int64_t max_per_second = 0;
  int64_t commit_interval_ms = 1000;
};

// The options for `channel` of config.deliver.channels, with the auth header's value read from
// its secrets file. NotFound when the channel is not configured (naming the configured ones),
// InvalidArgument when the secrets file cannot be read or is empty, or no feedback topic is set.
Result<WebhookDelivererOptions> DelivererOptionsFor(const EngineConfig& config,
                                                    const std::string& channel,
                                                    const std::string& bootstrap_servers);

class WebhookDeliverer {
 public:
  // `metrics`, `clock` (for expires_at) and `log` are not owned and must outlive the deliverer.
  static Result<std::unique_ptr<WebhookDeliverer>> Create(const WebhookDelivererOptions& options,
                                                          DeliverMetrics* metrics,
                                                          const Clock* clock, Logger* log);
  ~WebhookDeliverer();
  WebhookDeliverer(const WebhookDeliverer&) = delete;
  WebhookDeliverer& operator=(const WebhookDeliverer&) = delete;

  // Delivers until `stop` becomes true, then stops taking actions, lets the POSTs under way
  // finish (up to the endpoint's timeout), commits what finished and leaves the group. A fatal
  // Kafka error stops it with that error.
  Status Run(const std::atomic<bool>& stop);

  class Impl;

 private:
  explicit WebhookDeliverer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace touchstream::engine
