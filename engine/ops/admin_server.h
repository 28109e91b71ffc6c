// AdminServer: the HTTP server of the admin API (README "Admin API"), on Boost.Beast.
//
// One thread accepts connections and reads one request per connection (10 s read timeout),
// hands it to the handler on that thread, and writes the response whenever the handler's
// responder is called: from any thread, e.g. the processing thread after it ran the request
// (engine/ops/admin_api.h decides what runs where). The connection is closed after the response.
//
// RAII: the destructor stops serving, closes open connections and joins the thread;
// responders called afterwards do nothing. Thread safety: Start and the destructor from one
// thread; responders from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace touchstream::engine {

struct AdminRequest {
  std::string method;  // "GET", "DELETE", ...
  std::string target;  // path and query as sent, e.g. "/customers/c%2D1"
};

struct AdminResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// Sends the response of one request; call it once (later calls are ignored).
using AdminResponder = std::function<void(AdminResponse)>;
// Called on the server thread for each request; must not block for long.
using AdminHandler = std::function<void(const AdminRequest&, AdminResponder)>;

class AdminServer {
 public:
  // address "host:port" (port 0 picks a free port). Errors name the address: InvalidArgument
  // when it does not parse, Unavailable when it cannot be bound.
  static Result<std::unique_ptr<AdminServer>> Start(const std::string& address,
                                                    AdminHandler handler);
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

}  // namespace touchstream::engine
