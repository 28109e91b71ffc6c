// AdminServer: the HTTP(S) server of the admin API (README "Admin API", docs/security.md), on
// Boost.Beast.
//
// One thread accepts connections and reads one request per connection, hands it to the handler
// on that thread, and writes the response whenever the handler's responder is called: from any
// thread, e.g. the processing thread after it ran the request (engine/ops/admin_api.h decides
// what runs where). The connection is closed after the response.
//
// Limits (AdminServerOptions), each refusal a 4xx with a JSON {"error": reason}: the TLS
// handshake, request line, headers and body must all arrive within the read timeout (else 408;
// a client sending one byte a second cannot hold a connection); headers over the header limit
// 431, a body over the body limit 413, a request that does not parse 400; writing the response
// must finish within the write timeout (else the connection is closed). Over the connection cap
// a new connection is answered 429 at once without reading it (with TLS: closed at once).
//
// RAII: the destructor stops serving, closes open connections and joins the thread;
// responders called afterwards do nothing. Thread safety: Start and the destructor from one
// thread; responders from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace touchstream::engine {

struct AdminRequest {
  AdminRequest(std::string method_in, std::string target_in, std::string authorization_in = {},
               std::string body_in = {})
      : method(std::move(method_in)),
        target(std::move(target_in)),
        authorization(std::move(authorization_in)),
        body(std::move(body_in)) {}

  std::string method;  // "GET", "DELETE", ...
  std::string target;  // path and query as sent, e.g. "/customers/c%2D1"
  // The Authorization header as sent ("Bearer <token>"); empty when absent.
  std::string authorization;
  std::string body;
};

struct AdminResponse {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  AdminResponse(int status_in = 200, std::string body_in = {},
                std::string content_type_in = "application/json", Headers headers_in = {})
      : status(status_in),
        body(std::move(body_in)),
        content_type(std::move(content_type_in)),
        headers(std::move(headers_in)) {}

  int status;
  std::string body;
  std::string content_type;
  // Further response headers, e.g. {"WWW-Authenticate", "Bearer"}.
  Headers headers;
};

// Sends the response of one request; call it once (later calls are ignored).
using AdminResponder = std::function<void(AdminResponse)>;
// Called on the server thread for each request; must not block for long.
using AdminHandler = std::function<void(const AdminRequest&, AdminResponder)>;

// The admin.* transport settings (docs/configuration.md); defaults are the config defaults.
struct AdminServerOptions {
  // admin.tls.cert_file / admin.tls.key_file: PEM certificate chain and private key; both
  // empty (the default): plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // admin.max_header_bytes: request line plus headers. Default 8 KiB.
  int64_t max_header_bytes = 8 * 1024;
  // admin.max_body_bytes: request body. Default 64 KiB.
  int64_t max_body_bytes = 64 * 1024;
  // admin.read_timeout: TLS handshake plus the whole request. Default 10 s.
  int64_t read_timeout_ms = 10000;
  // admin.write_timeout: writing the response. Default 10 s.
  int64_t write_timeout_ms = 10000;
  // admin.max_connections: connections open at once. Default 64.
  int64_t max_connections = 64;
};

class AdminServer {
 public:
  // address "host:port" (port 0 picks a free port). Errors name the address: InvalidArgument
  // when it does not parse or a TLS file cannot be used, Unavailable when it cannot be bound.
  static Result<std::unique_ptr<AdminServer>> Start(const std::string& address,
                                                    AdminHandler handler,
                                                    AdminServerOptions options = {});
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The port actually bound.
  int port() const;

 private:
  class Impl;
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True when `address` ("host:port") names a loopback host (127.0.0.0/8, ::1, [::1], localhost);
// false for any other host, including 0.0.0.0 and addresses that do not parse.
bool IsLoopbackAddress(std::string_view address);

}  // namespace touchstream::engine
