// The deliver: section of the engine config: the webhook delivery connector
// (docs/webhook-delivery.md).
#include <cctype>
#include <string>

#include "connectors/webhook_client.h"
#include "engine/config/config_reader.h"

namespace touchstream::engine {
namespace {

void ReadChannel(ConfigReader& r, const YAML::Node& node, const std::string& path,
                 WebhookChannelConfig* channel) {
  using V = const YAML::Node&;
  using P = const std::string&;
  if (!node.IsMap()) return r.Fail(node, path, "expected a mapping with at least url");
  const size_t errors = r.error_count();
  r.Read(node, path,
         {{"url",
           [&](V v, P full) {
             const size_t before = r.error_count();
             r.String(v, full, &channel->url);
             if (r.error_count() != before) return;
             auto url = connectors::ParseWebhookUrl(channel->url);
             if (!url.ok()) r.Fail(v, full, url.status().message());
           }},
          {"headers",
           [&](V v, P full) {
             r.StringMap(v, full, &channel->headers);
             for (const auto& [name, value] : channel->headers) {
               std::string lower = name;
               for (char& ch : lower)
                 ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
               if (lower == "idempotency-key" || lower == "content-type") {
                 r.Fail(v, full + "." + name, "set by the connector; remove it");
               }
             }
           }},
          {"auth_header", r.StringInto(&channel->auth_header)},
          {"auth_secret_file", r.StringInto(&channel->auth_secret_file)},
          {"topic", r.StringInto(&channel->topic)},
          {"group_id", r.StringInto(&channel->group_id)},
          {"max_in_flight", r.IntInto(1, &channel->max_in_flight)},
          {"max_per_second", r.IntInto(0, &channel->max_per_second)},
          {"timeout", r.DurationInto(false, &channel->timeout_ms)},
          {"max_attempts", r.IntInto(1, &channel->max_attempts)},
          {"initial_backoff", r.DurationInto(false, &channel->initial_backoff_ms)},
          {"max_backoff", r.DurationInto(false, &channel->max_backoff_ms)},
          {"tls_verify", [&](V v, P full) { r.Bool(v, full, &channel->tls_verify); }},
          {"tls_ca_file", r.StringInto(&channel->tls_ca_file)}});
  if (!node["url"]) r.Fail(node, path + ".url", "required");
  if (r.error_count() != errors) return;
  if (channel->max_backoff_ms < channel->initial_backoff_ms) {
    r.Fail(node["max_backoff"] ? node["max_backoff"] : node, path + ".max_backoff",
           "must be at least initial_backoff (" + std::to_string(channel->initial_backoff_ms) +
               " ms)");
  }
  if (!channel->auth_secret_file.empty() && channel->auth_header.empty()) {
    r.Fail(node["auth_header"], path + ".auth_header", "must name a header");
  }
}

}  // namespace

// deliver: {channels: {<name>: {url, headers, auth_header, auth_secret_file, topic, group_id,
// max_in_flight, max_per_second, timeout, max_attempts, initial_backoff, max_backoff,
// tls_verify, tls_ca_file}}, feedback_topic, commit_interval}
void ReadDeliver(ConfigReader& r, const YAML::Node& node, DeliverConfig* deliver) {
  using V = const YAML::Node&;
  using P = const std::string&;
  r.Read(node, "deliver",
         {{"channels",
           [&](V v, P full) {
             r.ForEach(v, full, {}, [&](const std::string& name, V channel, P channel_path) {
               ReadChannel(r, channel, channel_path, &deliver->channels[name]);
             });
           }},
          {"feedback_topic", r.StringInto(&deliver->feedback_topic)},
          {"commit_interval", r.DurationInto(false, &deliver->commit_interval_ms)}});
}

}  // namespace touchstream::engine
