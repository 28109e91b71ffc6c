// EngineConfig: everything `touchstream run` needs, loaded from one YAML file.
//
// Every field has its default inline. Loading reports the first problem as a Status whose
// message names the file, line and key ("deploy/config/demo.yaml:12: kafka.group_id: expected
// a string"). Unknown keys are errors too, so a typo never silently falls back to a default.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/codec.h"
#include "engine/customer/lifecycle_stages.h"
#include "engine/customer/value_tiers.h"
#include "engine/ops/admin_server.h"
#include "engine/policy/policy_config.h"
#include "rules/environment.h"
#include "state/clv_model.h"
#include "state/customer_analytics.h"
#include "state/event_history.h"
#include "state/lifecycle.h"
#include "state/loyalty.h"
#include "state/satisfaction.h"

namespace touchstream::engine {

struct KafkaConfig {
  // Comma-separated host:port list, or "embedded" to start the development broker in-process.
  std::string bootstrap_servers = "embedded";
  std::string group_id = "touchstream";
  std::vector<std::string> input_topics = {"touchstream.events"};
  // Partitions of topics the embedded broker creates.
  int embedded_partitions = 6;
  // The partitioner the producers of the input topics use (engine/runtime/partitioner.h):
  // consistent_random (librdkafka's default, CRC-32) or murmur2_random (the Java client's).
  // Tells which partition owns a customer. Default consistent_random.
  std::string partitioner = "consistent_random";
  // Extra librdkafka properties (security.protocol, sasl.*, ...), applied last.
  std::map<std::string, std::string> consumer_properties;
  std::map<std::string, std::string> producer_properties;
};

struct OutputConfig {
  // Channel → action topic; channels not listed go to default_topic.
  std::map<std::string, std::string> channel_topics;
  std::string default_topic = "touchstream.actions";
  // Staff-facing alerts (kind "alert") go here when set, whatever the channel.
  std::string alerts_topic;
  // Every fired decision is published here when set.
  std::string decisions_topic;
  // Rejected input with headers naming the reason, source topic, partition and offset.
  std::string dead_letter_topic = "touchstream.dead-letter";
  // Outgoing messages that can never be delivered (too large, invalid) or whose topic stayed
  // unavailable past topic_hold_max_messages, with headers naming the reason and the topic.
  std::string actions_dead_letter_topic = "touchstream.actions.dead-letter";
  // Messages to a missing or unauthorized topic wait in the outbox (other topics go on), up to
  // this many per topic; later ones go to actions_dead_letter_topic. Default 100000.
  int64_t topic_hold_max_messages = 100000;
  // "json" or "protobuf": how actions, alerts and decisions are encoded. Default protobuf.
  std::string format = "protobuf";
  // Topic → "json" or "protobuf", overriding `format` for that output topic (a channel topic,
  // default_topic, alerts_topic or decisions_topic). Default: none.
  std::map<std::string, std::string> topic_formats;
};

struct StateConfig {
  std::string dir = "/var/lib/touchstream/state";
  int64_t block_cache_bytes = 64 << 20;
  // Hot customers kept in the write-back cache.
  int64_t cache_customers = 100000;
  // state.retention: customers whose last activity (last_seen_ms) is older than this are
  // expired like an erase (state, timers, unsent outbox entries). 0 = keep forever (default).
  int64_t retention_ms = 0;
  // `run` examines this many stored customers per sweep step, one step per interval,
  // resuming where the previous step stopped. Defaults 1000 and 1000 ms.
  int64_t retention_sweep_batch = 1000;
  int64_t retention_sweep_interval_ms = 1000;
  // An input event of this type erases its customer (right to be forgotten); empty disables.
  std::string erase_event_type = "erase_request";
  // fsync the RocksDB write-ahead log at every commit, so that a power loss cannot roll state
  // back behind actions already produced. Default true.
  bool sync_commits = true;
  // state.changelog: every committed change of a customer's state and timers is also produced
  // to the changelog topic, and assigned partitions are restored from it (docs/scaling-out.md).
  // Default true.
  bool changelog = true;
  // state.changelog_topic: empty means "<kafka.group_id>.changelog" (ChangelogTopic()).
  std::string changelog_topic;
  // state.standby_partitions: the input partitions this instance keeps warm while it does not
  // own them, by tailing their changelog into a standby store (engine/runtime/standby_tailer.h,
  // docs/scaling-out.md#standby-partitions): `all`, or a list of partition numbers. Default:
  // none. Needs state.changelog.
  bool standby_all_partitions = false;
  std::vector<int32_t> standby_partitions;
  // state.standby_dir: the standby store's RocksDB directory; empty means "<state.dir>.standby".
  std::string standby_dir;
  // True when some partition is kept warm.
  bool standby_enabled() const { return standby_all_partitions || !standby_partitions.empty(); }
};

struct AdminConfig {
  // host:port of the admin HTTP API (README "Admin API"); empty disables it.
  std::string address = "127.0.0.1:9465";
  // admin.advertised_address: host:port at which other instances' clients reach this admin API.
  // When set (and state.changelog is on), owners announce themselves on
  // "<kafka.group_id>.owners" and a 421 names the owner's address (OwnerDirectory). Default:
  // empty (421 names the partition only).
  std::string advertised_address;
  // admin.stall_timeout: GET /healthz answers 503 when the processing loop has not completed an
  // iteration for this long (a stalled processing thread). Default 60 s.
  int64_t stall_timeout_ms = 60000;
  // admin.tokens_file: the bearer tokens' hashes and roles (docs/security.md); relative paths are
  // resolved against the config file's folder. Empty (the default): the TOUCHSTREAM_ADMIN_TOKENS
  // environment variable, else no tokens (every route open on a loopback address; only
  // /healthz and /readyz elsewhere).
  std::string tokens_file;
  // admin.allow_plaintext: serve plain HTTP on a non-loopback address (refused otherwise).
  // Default false.
  bool allow_plaintext = false;
  // admin.console_writes: the web console may save a rule file into the first rules folder and
  // reload the rules (POST /rules/save, docs/console.md). Default false: the route answers 403.
  bool console_writes = false;
  // admin.console_history: a JSON Lines events file the console's "try on history" replays
  // (POST /rules/try); relative paths resolve against the config file's folder. Default empty:
  // the route answers 409.
  std::string console_history;
  // admin.tls.*, limits and timeouts (AdminServerOptions documents each key and default);
  // TLS file paths are resolved against the config file's folder.
  AdminServerOptions server;
};

struct LoggingConfig {
  // logging.format: "text" (one line per event) or "json" (one JSON object a line). Default text.
  std::string format = "text";
  // logging.level: the lowest level written: debug, info, warn or error. Default info.
  std::string level = "info";
};

struct ProcessingConfig {
  // "json", "protobuf" or "auto" (JSON when the first byte is '{').
  std::string input_format = "auto";
  // Larger input messages are dead-lettered.
  int64_t max_event_bytes = 64 * 1024;
  // An input message whose Kafka key is not its event's customer_id (or has no key) is counted
  // in touchstream_input_key_mismatch_total and then "process"ed all the same (default), or
  // sent to the dead-letter topic ("dead_letter", reason key_mismatch): its customer's state
  // may live on another partition, so processing it can split the customer.
  std::string key_mismatch = "process";
  // State, offsets and outbox are committed together at least this often. Actions leave only
  // after their commit, so this bounds the event -> action latency; default 20 (the trade-off
  // against throughput: docs/performance.md "End to end and latency").
  int64_t commit_interval_ms = 20;
  // ... or after this many events, whichever comes first.
  int64_t commit_max_events = 5000;
  // While state store commits fail, input and timers pause and the commit is retried with
  // backoff; after failing this long the engine exits non-zero (a restart resumes from the last
  // good commit). Default 5 minutes.
  int64_t store_failure_exit_ms = 300000;
  // Input customer ids longer than this (bytes) are dead-lettered. Default 256.
  int64_t max_customer_id_bytes = 256;
  // Events whose time lies outside [min_event_time_ms, max_event_time_ms] are dead-lettered.
  // Defaults 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z.
  int64_t min_event_time_ms = 0;
  int64_t max_event_time_ms = 253402300799999;
  // Consumption pauses while more produced messages than this await delivery reports.
  int64_t max_in_flight = 20000;
  // How deep rules may raise events that trigger rules that raise events (0: no raise).
  int64_t max_raise_depth = 3;
  // Armed timers per customer (absence, inactivity, schedule, date, lifecycle); arming more
  // is refused and counted.
  int64_t max_timers_per_customer = 64;
  // How often `run` looks for due timers, and how many it fires per commit.
  int64_t timer_interval_ms = 1000;
  int64_t timer_batch = 5000;
  // A round of due timers stops after this long (between two batches) so that input, delivery
  // reports and the group heartbeat are served; the rest fire in the next rounds. Default 200.
  int64_t timer_round_ms = 200;
  // How often `run` checks the rule files for changes (and reloads them); 0 = only on SIGHUP.
  int64_t rules_watch_interval_ms = 2000;
};

// Customer-value models (clv:). Without the section the customer.clv.* fields are null. The
// parameters come from `touchstream clv fit` (README "Customer value").
struct ClvConfig {
  // True when the config has a clv: section (bg_nbd and gamma_gamma are then required).
  bool enabled = false;
  // clv.bg_nbd {r, alpha, a, b}: all positive; time unit weeks.
  state::BgNbdParams bg_nbd;
  // clv.gamma_gamma {p, q, gamma}: all positive, q > 1.
  state::GammaGammaParams gamma_gamma;
  // customer.clv.value: discounted value over this many weeks (1..1040). Default 52.
  int64_t horizon_weeks = 52;
  // ... discounted at this yearly rate (0 <= rate <= 10). Default 0.10.
  double annual_discount_rate = 0.10;
  // customer.clv.expected_purchases: expected purchases in this many days (> 0). Default 30.
  double expected_purchases_days = 30;
};

// One channel of `touchstream deliver` (deliver.channels.<name>; docs/webhook-delivery.md).
struct WebhookChannelConfig {
  // url: http:// or https:// endpoint each action is POSTed to. Required.
  std::string url;
  // headers: sent with every request. Default: none.
  std::map<std::string, std::string> headers;
  // auth_header: the header that carries the secret. Default Authorization.
  std::string auth_header = "Authorization";
  // auth_secret_file: a file whose content (trailing newline removed) is the auth header's
  // value, e.g. "Bearer s3cr3t"; relative to the config file's folder. Default: none (no auth
  // header). The value never appears in the config, config check or logs.
  std::string auth_secret_file;
  // topic: the action topic read. Default: the channel's topic in output.channel_topics, else
  // output.default_topic (actions of other channels there are skipped).
  std::string topic;
  // group_id: the consumer group. Default "<kafka.group_id>.deliver.<channel>".
  std::string group_id;
  // max_in_flight: actions taken from Kafka and not finished (posting, waiting to retry) at
  // once, >= 1. Default 8.
  int64_t max_in_flight = 8;
  // max_per_second: POSTs a second (retries included), bursts up to one second's worth; 0 = no
  // limit. Default 0.
  int64_t max_per_second = 0;
  // timeout: one POST (connect, send, answer). Default 10s.
  int64_t timeout_ms = 10000;
  // max_attempts: POSTs per action before it fails, >= 1. Default 8.
  int64_t max_attempts = 8;
  // initial_backoff / max_backoff: the wait before the 2nd attempt, doubling up to the max, with
  // jitter (a value in [wait/2, wait]). Defaults 500ms and 1m.
  int64_t initial_backoff_ms = 500;
  int64_t max_backoff_ms = 60000;
  // tls_verify: check an https endpoint's certificate and host name. Default true.
  bool tls_verify = true;
  // tls_ca_file: a PEM file of the CAs an https endpoint's certificate is checked against,
  // instead of the system's (a private CA); relative to the config file's folder. Empty: the
  // system's CAs.
  std::string tls_ca_file;
};

// deliver: the webhook delivery connector (`touchstream deliver --channel NAME`).
struct DeliverConfig {
  // deliver.channels: channel name -> its endpoint and limits. Default: none.
  std::map<std::string, WebhookChannelConfig> channels;
  // deliver.feedback_topic: where action_delivered / action_failed events go. Default: the
  // first of kafka.input_topics.
  std::string feedback_topic;
  // deliver.commit_interval: how often finished actions' offsets are committed. Default 1s.
  int64_t commit_interval_ms = 1000;
};

struct EngineConfig {
  // The file it was loaded from (for messages); rules_paths are relative to its folder.
  std::string source_file;
  KafkaConfig kafka;
  OutputConfig output;
  StateConfig state;
  ProcessingConfig processing;
  // Rule files or directories.
  std::vector<std::string> rules_paths = {"rules"};
  // Declared event property types (events.<type>.<property>: bool|int|double|string|timestamp)
  // and calendars of named dates (calendars.<name>: [YYYY-MM-DD, ...]).
  rules::RuleEnvironment rule_environment;
  // Lifecycle stage thresholds (lifecycle.*).
  state::LifecycleConfig lifecycle;
  // Configured lifecycle stages (lifecycle.stages, lifecycle.reevaluate_every); the conditions
  // are compiled against rule_environment once the whole file is read, and the stage names
  // put in rule_environment.lifecycle_stages. Without stages, the thresholds above apply.
  LifecycleStagesConfig lifecycle_stages;
  // Windowed aggregates (aggregates.<name>: "sum(purchase.amount) over 90d", lateness), RFM
  // (rfm.*) and consent (consent.*). Declared aggregate types are also put in
  // rule_environment.aggregates, so rules are type-checked against them.
  state::AnalyticsConfig analytics;
  // Customer-value models (clv.*).
  ClvConfig clv;
  // NPS / CSAT / ticket event types and properties (satisfaction.*).
  state::SatisfactionConfig satisfaction;
  // Value score expression and tiers (value_tiers.*); the score is compiled against
  // rule_environment once the whole file is read.
  ValueTiersConfig value_tiers;
  // Points expiry and loyalty tiers (loyalty.*); a tier basis other than "points" must name a
  // declared aggregate.
  state::LoyaltyConfig loyalty;
  // Events kept in customer.history (history.size, 0..1000). Default 20.
  int64_t history_size = state::kDefaultHistorySize;
  // Delivery policy (policy.*): consent, caps, arbitration, quiet hours, holdouts.
  PolicyConfig policy;
  // host:port of the Prometheus endpoint; empty disables it.
  std::string metrics_address = "0.0.0.0:9464";
  // metrics.require_token: /metrics needs a bearer token with the read role (admin.tokens_file,
  // docs/security.md). Default false (open, as Prometheus scrapes without credentials).
  bool metrics_require_token = false;
  AdminConfig admin;
  LoggingConfig logging;
  DeliverConfig deliver;

  // The topic an action for `channel` of `kind` goes to.
  const std::string& TopicFor(const std::string& channel, const std::string& kind) const;
  // How messages produced to the output `topic` are encoded: output.topic_formats[topic],
  // else output.format.
  connectors::Format OutputFormatFor(const std::string& topic) const;
  // `touchstream deliver`'s action topic, consumer group and feedback topic for a channel of
  // deliver.channels (defaults filled in).
  std::string DeliverTopic(const std::string& channel) const;
  std::string DeliverGroupId(const std::string& channel) const;
  std::string FeedbackTopic() const;
};

// Loads and validates a config file. Relative paths in it (state.dir, rules) are resolved
// against the file's folder.
Result<EngineConfig> LoadConfig(const std::string& path);
// The same from text (file_name is used in messages and to resolve relative paths).
Result<EngineConfig> LoadConfigFromString(const std::string& yaml_text,
                                          const std::string& file_name);

}  // namespace touchstream::engine
