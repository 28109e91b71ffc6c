#include "engine/ops/metrics_server.h"

#include <prometheus/exposer.h>

#include <exception>

namespace touchstream::engine {

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& address,
                                                            const EngineMetrics& metrics) {
  return Start(address, metrics.collectables());
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address,
    const std::vector<std::weak_ptr<prometheus::Collectable>>& collectables) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(address, 2);
  } catch (const std::exception& e) {
    return Status::Unavailable("metrics.address " + address + ": cannot listen: " + e.what());
  }
  for (const auto& collectable : collectables) {
    server->exposer_->RegisterCollectable(collectable);
  }
  const auto ports = server->exposer_->GetListeningPorts();
  server->port_ = ports.empty() ? 0 : ports.front();
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace touchstream::engine
