// touchstream deliver --config FILE --channel NAME
#include <iostream>

#include "connectors/dev_broker.h"
#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/ops/deliver_metrics.h"
#include "engine/ops/metrics_server.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/signals.h"
#include "engine/runtime/webhook_deliverer.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int DeliverCommand(int argc, char** argv) {
  std::string config_path, channel, bootstrap_override, metrics_address;
  po::options_description options("deliver options");
  options.add_options()("config,c", po::value(&config_path)->required(),
                        "engine configuration (YAML) with a deliver: section")(
      "channel", po::value(&channel)->required(), "the channel of deliver.channels to deliver")(
      "metrics-address", po::value(&metrics_address),
      "host:port of this process's /metrics (default: none; the engine's metrics.address is "
      "the engine's)");
  po::variables_map vm;
  if (auto exit = ParseCommandLine(argc, argv,
                                   "touchstream deliver --config FILE --channel NAME "
                                   "[--metrics-address HOST:PORT]",
                                   options, nullptr, &vm)) {
    return *exit;
  }
  SignalWatcher signals;
  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
  auto log = MakeLogger(*config, &std::cerr);
  if (config->kafka.bootstrap_servers == "embedded") {
    log->Error("deliver",
               "kafka.bootstrap_servers is 'embedded': deliver needs the engine's broker; set its "
               "address (touchstream broker prints it)");
    return 1;
  }
  auto deliver_options = DelivererOptionsFor(*config, channel, config->kafka.bootstrap_servers);
  if (!deliver_options.ok()) {
    log->Error("deliver", "cannot start", {{"error", deliver_options.status().message()}});
    return 1;
  }
  DeliverMetrics metrics(channel);
  std::unique_ptr<MetricsServer> metrics_server;
  if (!metrics_address.empty()) {
    auto server = MetricsServer::Start(metrics_address, metrics.collectables());
    if (!server.ok()) {
      log->Error("deliver", "cannot serve metrics", {{"error", server.status().message()}});
      return 1;
    }
    metrics_server = std::move(*server);
    log->Info("deliver", "metrics on port " + std::to_string(metrics_server->port()),
              {{"port", metrics_server->port()}});
  }
  SystemClock clock;
  auto deliverer = WebhookDeliverer::Create(*deliver_options, &metrics, &clock, log.get());
  if (!deliverer.ok()) {
    log->Error("deliver", "cannot start", {{"error", deliverer.status().ToString()}});
    return 1;
  }
  Status status = (*deliverer)->Run(signals.stop_requested());
  if (!status.ok()) {
    log->Error("deliver", "stopped", {{"error", status.ToString()}});
    return 1;
  }
  return 0;
}

}  // namespace touchstream::engine
