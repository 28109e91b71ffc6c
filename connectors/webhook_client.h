// WebhookClient: asynchronous HTTP/1.1 POSTs to one endpoint (http:// or https://), on Boost.Beast,
// each with an overall timeout. One connection per request (no keep-alive), so a request that
// timed out can never answer a later one.
//
// The client runs its own I/O thread; Post returns at once and `done` is called on that thread
// with the outcome. The destructor abandons requests in flight (their `done` is never called)
// and joins the thread.
//
// Thread safety: Post may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "connectors/webhook_policy.h"

namespace touchstream::connectors {

// A parsed endpoint URL: scheme://host[:port][/target].
struct WebhookUrl {
  bool tls = false;
  std::string host;
  std::string port;  // "80" / "443" when the URL has none
  std::string target = "/";
};

// InvalidArgument naming the problem ("url 'ftp://x': expected http:// or https://").
Result<WebhookUrl> ParseWebhookUrl(const std::string& url);

struct WebhookEndpoint {
  std::string url;
  // Sent with every request, after Content-Type and before the auth header.
  std::vector<std::pair<std::string, std::string>> headers;
  // The auth header (e.g. "Authorization") and its value; none when the name is empty. The value
  // is never logged or put in errors.
  std::string auth_header;
  std::string auth_value;
  // Connect, send and receive must all finish within this. Default 10 s.
  std::chrono::milliseconds timeout{10000};
  // https: verify the server's certificate and host name. Default true.
  bool tls_verify = true;
  // https: a PEM file of the CAs to verify against, instead of the system's; empty: the system's.
  std::string tls_ca_file;
};

class WebhookClient {
 public:
  using Done = std::function<void(const PostOutcome& outcome)>;

  // InvalidArgument for a bad URL or an unusable TLS setup.
  static Result<std::unique_ptr<WebhookClient>> Create(const WebhookEndpoint& endpoint);
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  // POSTs `body` (Content-Type: application/json) with `Idempotency-Key: idempotency_key`.
  // `done` is called exactly once, on the client's thread.
  void Post(std::string body, std::string idempotency_key, Done done);

  class Impl;

 private:
  explicit WebhookClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace touchstream::connectors
