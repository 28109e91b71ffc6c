// MetricsServer: serves an EngineMetrics' collectables (registry and process metrics) at
// http://ADDRESS/metrics (Prometheus text format). Open (the default): on prometheus-cpp's
// embedded HTTP server. With metrics.require_token (an AdminAccess given): on the admin API's
// server (engine/ops/admin_server.h, its limits) behind the access layer, so /metrics needs a
// bearer token with the read role (docs/security.md). RAII: stops serving when destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/ops/admin_auth.h"
#include "engine/ops/admin_server.h"
#include "engine/ops/metrics.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace touchstream::engine {

class MetricsServer {
 public:
  // address: "host:port"; port 0 picks a free port. Fails (naming the address) when the port
  // cannot be bound. `access` (null: open) and `metrics` must outlive the server.
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                      const EngineMetrics& metrics,
                                                      const AdminAccess* access = nullptr);
  // The same for any set of collectables (e.g. DeliverMetrics::collectables()).
  static Result<std::unique_ptr<MetricsServer>> Start(
      const std::string& address,
      const std::vector<std::weak_ptr<prometheus::Collectable>>& collectables);
  ~MetricsServer();

  // The port actually bound.
  int port() const { return port_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<AdminServer> protected_server_;
  int port_ = 0;
};

}  // namespace touchstream::engine
