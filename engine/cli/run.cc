// touchstream run --config FILE
#include <atomic>
#include <iostream>
#include <mutex>
#include <sstream>

#include "connectors/dev_broker.h"
#include "engine/cli/admin_setup.h"
#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/cli/version.h"
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
  std::unique_ptr<Logger> log;  // set once the config is loaded, before the first reload
  EngineMetrics metrics;
  std::mutex reload_mu;
  auto reload_rules = [&](std::ostream& diagnostics) -> Result<size_t> {
    std::lock_guard<std::mutex> lock(reload_mu);
    KafkaPipeline* pipeline = running.load();
    if (pipeline == nullptr) return Status::Unavailable("the engine is not running");
    std::ostringstream found;
    auto rules = LoadRuleSet(*loaded_config, found);
    diagnostics << found.str();
    metrics.RulesReloaded(rules.ok());
    if (!rules.ok()) {
      log->Error("rules", "reload refused; the running rules stay",
                 {{"error", rules.status().message()}, {"diagnostics", found.str()}});
      return rules.status();
    }
    log->Info("rules", "reloaded " + std::to_string((*rules)->size()) + " rules",
              {{"rules", (*rules)->size()}});
    pipeline->UpdateRules(*rules);
    metrics.SetRulesLoaded(static_cast<double>((*rules)->size()));
    return (*rules)->size();
  };
  // The diagnostics of a refused set are in the log line.
  auto reload = [&] {
    std::ostringstream diagnostics;
    (void)reload_rules(diagnostics);
  };
  SignalWatcher signals(reload);

  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
  loaded_config = *config;
  log = MakeLogger(*loaded_config, &std::cerr);
  auto rules = LoadRuleSet(*loaded_config, std::cerr);
  if (!rules.ok()) {
    log->Error("run", "rules refused; not starting", {{"error", rules.status().message()}});
    return 1;
  }
  auto store = OpenStore(*loaded_config);
  if (!store.ok()) {
    log->Error("run", "cannot open the state store", {{"error", store.status().ToString()}});
    return 1;
  }
  // Who may use the admin API and /metrics (docs/security.md).
  auto access = SetUpAdminAccess(*loaded_config, log.get());
  if (!access.ok()) {
    log->Error("run", "admin tokens refused; not starting", {{"error", access.status().message()}});
    return 1;
  }
  if (loaded_config->metrics_require_token && !access->have_tokens) {
    log->Error("run",
               "metrics.require_token needs admin tokens (admin.tokens_file or "
               "TOUCHSTREAM_ADMIN_TOKENS); not starting");
    return 1;
  }
  std::unique_ptr<MetricsServer> metrics_server;
  if (!loaded_config->metrics_address.empty()) {
    auto server =
        MetricsServer::Start(loaded_config->metrics_address, metrics,
                             loaded_config->metrics_require_token ? access->access.get() : nullptr);
    if (!server.ok()) {
      log->Error("run", "cannot serve metrics", {{"error", server.status().message()}});
      return 1;
    }
    metrics_server = std::move(*server);
    log->Info("run", "metrics on port " + std::to_string(metrics_server->port()),
              {{"port", metrics_server->port()}});
  }
  std::string bootstrap = loaded_config->kafka.bootstrap_servers;
  std::unique_ptr<connectors::DevBroker> broker;
  if (bootstrap == "embedded") {
    auto started = connectors::DevBroker::Start(1, TopicsNamedIn(*loaded_config));
    if (!started.ok()) {
      log->Error("run", "cannot start the embedded broker",
                 {{"error", started.status().ToString()}});
      return 1;
    }
    broker = std::move(*started);
    bootstrap = broker->bootstrap_servers();
    log->Info("run", "embedded development broker at " + bootstrap, {{"bootstrap", bootstrap}});
  }
  SystemClock clock;
  auto pipeline =
      KafkaPipeline::Create(*loaded_config, bootstrap, store->get(), &metrics, &clock, log.get());
  if (!pipeline.ok()) {
    log->Error("run", "cannot start the pipeline", {{"error", pipeline.status().ToString()}});
    return 1;
  }
  (*pipeline)->UpdateRules(*rules);
  metrics.RulesReloaded(true);
  running = pipeline->get();
  log->Info("run",
            "running " + std::to_string((*rules)->size()) + " rules on " + bootstrap + ", group " +
                loaded_config->kafka.group_id,
            {{"version", TouchstreamVersion()},
             {"rules", (*rules)->size()},
             {"bootstrap", bootstrap},
             {"group", loaded_config->kafka.group_id}});
  // Admin requests run on the processing thread (Run drains the queue between records).
  TaskQueue admin_tasks;
  // The web console (docs/console.md): its counters are the metrics', its impact report the
  // store's (read on the processing thread, as GET /impact runs there).
  ConsoleOptions console = MakeConsoleOptions(*loaded_config, metrics, store->get(), &clock,
                                              loaded_config->admin.console_history);
  AdminApi admin_api(pipeline->get(), &admin_tasks, reload_rules, &(*pipeline)->heartbeat(),
                     loaded_config->admin.stall_timeout_ms, loaded_config->rule_environment,
                     std::move(console));
  std::unique_ptr<AdminServer> admin_server;
  if (!loaded_config->admin.address.empty()) {
    auto server = AdminServer::Start(
        loaded_config->admin.address,
        access->access->Protect([&admin_api](const AdminRequest& request, AdminResponder respond) {
          admin_api.Handle(request, std::move(respond));
        }),
        loaded_config->admin.server);
    if (!server.ok()) {
      log->Error("run", "cannot serve the admin API", {{"error", server.status().message()}});
      running = nullptr;
      return 1;
    }
    admin_server = std::move(*server);
    log->Info("run", "admin API on port " + std::to_string(admin_server->port()),
              {{"port", admin_server->port()}});
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
    log->Error("run", "stopped", {{"error", status.ToString()}});
    return 1;
  }
  log->Info("run", "stopped after " + std::to_string((*pipeline)->records_processed()) + " events",
            {{"events", (*pipeline)->records_processed()}});
  return 0;
}

}  // namespace touchstream::engine
