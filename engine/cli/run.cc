// touchstream run --config FILE
#include <atomic>
#include <iostream>
#include <mutex>

#include "connectors/dev_broker.h"
#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/ops/admin_api.h"
#include "engine/ops/admin_server.h"
#include "engine/ops/metrics_server.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/kafka_pipeline.h"
#include "engine/runtime/rules_watcher.h"
#include "engine/runtime/signals.h"
#include "engine/runtime/task_queue.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int RunCommand(int argc, char** argv) {
  std::string config_path;
  po::options_description options("run options");
  options.add_options()("config,c", po::value(&config_path)->required(),
                        "engine configuration (YAML)");
  po::variables_map vm;
  if (auto exit =
          ParseCommandLine(argc, argv, "touchstream run --config FILE", options, nullptr, &vm))
    return *exit;

  // Rules are re-read on SIGHUP, when a rule file changes and on POST /rules/reload; a set with
  // any error is refused as a whole and the running set stays.
  std::atomic<KafkaPipeline*> running{nullptr};
  std::optional<EngineConfig> loaded_config;
  EngineMetrics metrics;
  std::mutex reload_mu;
  auto reload_rules = [&](std::ostream& diagnostics) -> Result<size_t> {
    std::lock_guard<std::mutex> lock(reload_mu);
    KafkaPipeline* pipeline = running.load();
    if (pipeline == nullptr) return Status::Unavailable("the engine is not running");
    auto rules = LoadRuleSet(*loaded_config, diagnostics);
    metrics.RulesReloaded(rules.ok());
    if (!rules.ok()) {
      std::cerr << "touchstream: reload refused (" << rules.status().message()
                << "); the running rules stay\n";
      return rules.status();
    }
    std::cerr << "touchstream: reloaded " << (*rules)->size() << " rules\n";
    pipeline->UpdateRules(*rules);
    metrics.SetRulesLoaded(static_cast<double>((*rules)->size()));
    return (*rules)->size();
  };
  auto reload = [&] { (void)reload_rules(std::cerr); };
  SignalWatcher signals(reload);

  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
  loaded_config = *config;
  auto rules = LoadRuleSet(*loaded_config, std::cerr);
  if (!rules.ok()) {
    std::cerr << "touchstream: " << rules.status().message() << "; not starting\n";
    return 1;
  }
  auto store = OpenStore(*loaded_config);
  if (!store.ok()) {
    std::cerr << "touchstream: " << store.status().ToString() << "\n";
    return 1;
  }
  std::unique_ptr<MetricsServer> metrics_server;
  if (!loaded_config->metrics_address.empty()) {
    auto server = MetricsServer::Start(loaded_config->metrics_address, metrics);
    if (!server.ok()) {
      std::cerr << "touchstream: " << server.status().message() << "\n";
      return 1;
    }
    metrics_server = std::move(*server);
    std::cerr << "touchstream: metrics on port " << metrics_server->port() << "\n";
  }
  std::string bootstrap = loaded_config->kafka.bootstrap_servers;
  std::unique_ptr<connectors::DevBroker> broker;
  if (bootstrap == "embedded") {
    auto started = connectors::DevBroker::Start(1, TopicsNamedIn(*loaded_config));
    if (!started.ok()) {
      std::cerr << "touchstream: embedded broker: " << started.status().ToString() << "\n";
      return 1;
    }
    broker = std::move(*started);
    bootstrap = broker->bootstrap_servers();
    std::cerr << "touchstream: embedded development broker at " << bootstrap << "\n";
  }
  SystemClock clock;
  auto pipeline = KafkaPipeline::Create(*loaded_config, bootstrap, store->get(), &metrics, &clock);
  if (!pipeline.ok()) {
    std::cerr << "touchstream: " << pipeline.status().ToString() << "\n";
    return 1;
  }
  (*pipeline)->UpdateRules(*rules);
  metrics.RulesReloaded(true);
  running = pipeline->get();
  std::cerr << "touchstream: running " << (*rules)->size() << " rules on " << bootstrap
            << ", group " << loaded_config->kafka.group_id << "\n";
  // Admin requests run on the processing thread (Run drains the queue between records).
  TaskQueue admin_tasks;
  AdminApi admin_api(pipeline->get(), &admin_tasks, reload_rules);
  std::unique_ptr<AdminServer> admin_server;
  if (!loaded_config->admin.address.empty()) {
    auto server =
        AdminServer::Start(loaded_config->admin.address,
                           [&admin_api](const AdminRequest& request, AdminResponder respond) {
                             admin_api.Handle(request, std::move(respond));
                           });
    if (!server.ok()) {
      std::cerr << "touchstream: " << server.status().message() << "\n";
      running = nullptr;
      return 1;
    }
    admin_server = std::move(*server);
    std::cerr << "touchstream: admin API on port " << admin_server->port() << "\n";
  }
  std::unique_ptr<RulesWatcher> watcher;
  if (loaded_config->processing.rules_watch_interval_ms > 0) {
    watcher = std::make_unique<RulesWatcher>(
        loaded_config->rules_paths,
        std::chrono::milliseconds(loaded_config->processing.rules_watch_interval_ms), reload);
  }
  PipelineRunOptions run_options;
  run_options.tasks = &admin_tasks;
  Status status = (*pipeline)->Run(signals.stop_requested(), run_options);
  admin_tasks.Close();
  admin_server.reset();
  watcher.reset();
  running = nullptr;
  if (!status.ok()) {
    std::cerr << "touchstream: stopped: " << status.ToString() << "\n";
    return 1;
  }
  std::cerr << "touchstream: stopped after " << (*pipeline)->records_processed() << " events\n";
  return 0;
}

}  // namespace touchstream::engine
