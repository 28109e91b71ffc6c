#include "engine/ops/metrics_server.h"

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <sstream>
#include <utility>
#include <vector>

namespace touchstream::engine {

namespace {

// The text exposition of every collectable still alive.
std::string Exposition(const EngineMetrics& metrics) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& weak : metrics.collectables()) {
    if (auto collectable = weak.lock()) {
      std::vector<prometheus::MetricFamily> collected = collectable->Collect();
      families.insert(families.end(), std::make_move_iterator(collected.begin()),
                      std::make_move_iterator(collected.end()));
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& address,
                                                            const EngineMetrics& metrics,
                                                            const AdminAccess* access) {
  if (access != nullptr) {
    std::unique_ptr<MetricsServer> server(new MetricsServer());
    AdminHandler serve = [&metrics](const AdminRequest& request, AdminResponder respond) {
      std::string_view path = request.target;
      path = path.substr(0, path.find('?'));
      if (path != "/metrics") {
        return respond(
            {404, "{\"error\":\"no such endpoint: use GET /metrics\"}\n", "application/json", {}});
      }
      respond({200, Exposition(metrics), "text/plain; version=0.0.4", {}});
    };
    auto started = AdminServer::Start(address, access->Protect(std::move(serve)));
    if (!started.ok()) {
      return Status::Unavailable("metrics.address " + address + ": " + started.status().message());
    }
    server->protected_server_ = std::move(*started);
    server->port_ = server->protected_server_->port();
    return server;
  }
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
