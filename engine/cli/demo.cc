// touchstream demo: the whole path on one machine. Starts the development broker, streams
// synthetic customer journeys into it, runs the engine on them, reads the actions back from
// the action topics and prints them, measures the impact of the rules with a conversion, then
// keeps the broker, the engine, the metrics endpoint and the web console up.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

#include "connectors/codec.h"
#include "connectors/dev_broker.h"
#include "connectors/journey_generator.h"
#include "connectors/jsonl.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "engine/cli/admin_setup.h"
#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/impact/impact_report.h"
#include "engine/ops/admin_api.h"
#include "engine/ops/admin_server.h"
#include "engine/ops/metrics_server.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/kafka_pipeline.h"
#include "engine/runtime/replay.h"
#include "engine/runtime/signals.h"
#include "engine/runtime/task_queue.h"
#include "state/in_memory_store.h"

namespace touchstream::engine {

namespace po = boost::program_options;

namespace {

// A fresh state directory for one demo run, removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "touchstream-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Streams the synthetic events (and three malformed messages, to show the dead-letter topic).
Status StreamEvents(const std::string& bootstrap, const std::string& topic,
                    const std::string& partitioner,
                    const std::vector<v1::TouchpointEvent>& events) {
  // Keyed as the engine expects (kafka.partitioner), like any producer of its input.
  auto sink = connectors::KafkaSink::Create({bootstrap, {{"partitioner", partitioner}}});
  if (!sink.ok()) return sink.status();
  std::vector<connectors::DeliveryReport> reports;
  uint64_t token = 0;
  for (const auto& event : events) {
    Status s =
        (*sink)->Produce(topic, event.customer_id(),
                         connectors::EncodeEvent(event, connectors::Format::kJson), {}, ++token);
    if (!s.ok()) return s;
    (*sink)->Poll(0, &reports);
  }
  for (const char* bad :
       {R"({"customer_id": "c-1", "type": "purchase", "ts": "not a time"})",
        R"({"type": "login", "ts": "2026-01-02T10:00:00Z"})", "\x01\x02 not an event"}) {
    if (Status s = (*sink)->Produce(topic, "bad", bad, {}, ++token); !s.ok()) return s;
  }
  return (*sink)->Flush(30000, &reports);
}

struct ActionTally {
  std::map<std::string, int64_t> by_rule;
  std::map<std::string, int64_t> by_channel;
  // "OUTCOME reason" (the reason code, without an error's message).
  std::map<std::string, int64_t> by_decision;
  int64_t total = 0;
};

// Reads every action back from the action topics, prints the first `max_lines` of each rule and
// tallies all; tallies the decisions of `decisions_topic` (when not empty) by outcome and reason.
Result<ActionTally> ReadActions(const std::string& bootstrap, std::vector<std::string> topics,
                                const std::string& decisions_topic, const EngineConfig& config,
                                int max_lines, int64_t expected) {
  if (!decisions_topic.empty()) topics.push_back(decisions_topic);
  struct NoListener : connectors::PartitionListener {
    std::optional<int64_t> StartOffset(const connectors::TopicPartition&) override { return 0; }
    void OnAssigned(const std::vector<connectors::TopicPartition>&) override {}
    void OnRevoked(const std::vector<connectors::TopicPartition>&, bool) override {}
  } listener;
  connectors::KafkaSourceOptions options{
      bootstrap,
      "touchstream-demo-reader-" + std::to_string(getpid()),
      topics,
      {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}};
  auto source = connectors::KafkaSource::Create(options, &listener);
  if (!source.ok()) return source.status();
  ActionTally tally;
  auto last = std::chrono::steady_clock::now();
  while (tally.total < expected ||
         std::chrono::steady_clock::now() - last < std::chrono::seconds(2)) {
    if (std::chrono::steady_clock::now() - last > std::chrono::seconds(20)) break;
    auto record = (*source)->Poll(200);
    if (!record.ok()) return record.status();
    if (!record->has_value()) continue;
    last = std::chrono::steady_clock::now();
    if ((*record)->topic == decisions_topic) {
      auto decision =
          connectors::DecodeDecision((*record)->value, config.OutputFormatFor(decisions_topic));
      if (decision.ok()) {
        const std::string& reason = decision->reason();
        ++tally.by_decision[v1::Decision::Outcome_Name(decision->outcome()) + " " +
                            reason.substr(0, reason.find(": "))];
      }
      continue;
    }
    auto action =
        connectors::DecodeAction((*record)->value, config.OutputFormatFor((*record)->topic));
    if (!action.ok()) continue;
    ++tally.total;
    ++tally.by_rule[action->rule_id()];
    ++tally.by_channel[action->channel()];
    // A few lines per rule, so every rule shows up however many actions it produced.
    if (tally.by_rule[action->rule_id()] <= max_lines) {
      std::cout << std::left << std::setw(6) << action->channel() << " " << std::setw(6)
                << action->kind() << " " << std::setw(7) << action->customer_id() << " "
                << std::setw(16) << action->rule_id() << " " << action->message() << "\n";
    }
  }
  (*source)->Close();
  return tally;
}

void PrintTally(const std::string& title, const std::map<std::string, int64_t>& counts) {
  std::cout << "\n" << title << "\n";
  for (const auto& [name, count] : counts)
    std::cout << "  " << std::left << std::setw(28) << name << count << "\n";
}

// The live run decides at wall-clock time, after every one of the (historical) synthetic events,
// so no conversion can follow its decisions. Impact is measured on the same events replayed in
// event time (as `touchstream replay` does) into an in-memory store, returned; the events are
// written to `events_path` (the console's history for "Try on history").
Result<std::unique_ptr<state::StateStore>> ReplayForImpact(
    const EngineConfig& config, std::shared_ptr<const rules::RuleSet> rules,
    const std::vector<v1::TouchpointEvent>& events, const std::string& events_path,
    const std::string& dir) {
  ReplayOptions options;
  options.events_path = events_path;
  options.actions_out = dir + "/replay-actions.jsonl";
  {
    auto writer = connectors::JsonlWriter::Open(options.events_path);
    if (!writer.ok()) return writer.status();
    for (const auto& event : events) {
      Status s = (*writer)->Write(connectors::EncodeEvent(event, connectors::Format::kJson));
      if (!s.ok()) return s;
    }
    if (Status s = (*writer)->Flush(); !s.ok()) return s;
  }
  auto store = state::NewInMemoryStore();
  EngineMetrics metrics;
  auto stats = Replay(config, std::move(rules), store.get(), &metrics, options);
  if (!stats.ok()) return stats.status();
  return std::unique_ptr<state::StateStore>(std::move(store));
}

}  // namespace

int DemoCommand(int argc, char** argv) {
  std::string config_path = "deploy/config/demo.yaml";
  connectors::JourneyOptions journeys;
  int serve_seconds = 0, max_lines = 5;
  po::options_description options("demo options");
  options.add_options()("config,c", po::value(&config_path)->default_value(config_path),
                        "engine configuration")(
      "customers", po::value(&journeys.customers)->default_value(2000), "synthetic customers")(
      "days", po::value(&journeys.days)->default_value(60), "days of activity")(
      "seed", po::value(&journeys.seed)->default_value(42), "random seed (same seed, same events)")(
      "lines", po::value(&max_lines)->default_value(5), "actions to print per rule")(
      "serve-seconds", po::value(&serve_seconds)->default_value(0),
      "afterwards keep broker, engine, metrics and console up this long (0: until Ctrl-C, -1: exit "
      "at once)");
  po::variables_map vm;
  if (auto exit = ParseCommandLine(argc, argv, "touchstream demo [--config FILE] [options]",
                                   options, nullptr, &vm)) {
    return *exit;
  }
  SignalWatcher signals;
  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
  ScratchDir state_dir;
  config->state.dir = state_dir.path();
  // The generated journeys are historical (from 2026-01-01): retention by the wall clock would
  // expire their customers as they arrive.
  config->state.retention_ms = 0;
  auto rules = LoadRuleSet(*config, std::cerr);
  if (!rules.ok()) return 1;
  auto store = OpenStore(*config);
  if (!store.ok()) {
    std::cerr << "touchstream: " << store.status().ToString() << "\n";
    return 1;
  }
  auto broker = connectors::DevBroker::Start(1, TopicsNamedIn(*config));
  if (!broker.ok()) {
    std::cerr << "touchstream: " << broker.status().ToString() << "\n";
    return 1;
  }
  const std::string bootstrap = (*broker)->bootstrap_servers();
  EngineMetrics metrics;
  std::unique_ptr<MetricsServer> metrics_server;
  if (!config->metrics_address.empty()) {
    auto server = MetricsServer::Start(config->metrics_address, metrics);
    if (!server.ok()) {
      std::cerr << "touchstream: " << server.status().message() << "\n";
      return 1;
    }
    metrics_server = std::move(*server);
  }
  std::vector<std::string> action_topics;
  for (const auto& topic : TopicsNamedIn(*config)) {
    if (topic.name != config->output.dead_letter_topic &&
        topic.name != config->output.decisions_topic &&
        std::find(config->kafka.input_topics.begin(), config->kafka.input_topics.end(),
                  topic.name) == config->kafka.input_topics.end()) {
      action_topics.push_back(topic.name);
    }
  }
  std::cout << "Touchstream demo\n"
            << "  development broker   " << bootstrap << "\n"
            << "  rules                " << (*rules)->size() << " from "
            << config->rules_paths.front() << "\n";
  if (metrics_server) {
    std::cout << "  metrics              curl -s http://127.0.0.1:" << metrics_server->port()
              << "/metrics | grep touchstream_\n";
  }
  std::cout << "  read actions         kcat -b " << bootstrap << " -C -t "
            << config->TopicFor("email", "offer") << " -o beginning -e -q\n"
            << "  read alerts          kcat -b " << bootstrap << " -C -t "
            << config->TopicFor("crm", "alert") << " -o beginning -e -q -f '%k %h %s\\n'\n\n";

  const auto events = connectors::GenerateJourneys(journeys);
  const std::string history_path = state_dir.path() + "/replay-events.jsonl";
  auto impact_store = ReplayForImpact(*config, *rules, events, history_path, state_dir.path());
  if (!impact_store.ok()) {
    std::cerr << "touchstream: measuring impact: " << impact_store.status().ToString() << "\n";
    return 1;
  }
  std::cout << "Streaming " << events.size() << " events of " << journeys.customers
            << " customers (" << journeys.days << " days) to " << config->kafka.input_topics.front()
            << " ...\n\n";
  std::atomic<bool> input_finished{false};
  Status stream_status;
  std::thread producer([&] {
    stream_status = StreamEvents(bootstrap, config->kafka.input_topics.front(),
                                 config->kafka.partitioner, events);
    input_finished = true;
  });

  SystemClock clock;
  config->kafka.consumer_properties.emplace("session.timeout.ms", "6000");
  config->kafka.consumer_properties.emplace("heartbeat.interval.ms", "500");
  const std::unique_ptr<Logger> log = MakeLogger(*config, &std::cerr);
  auto pipeline =
      KafkaPipeline::Create(*config, bootstrap, store->get(), &metrics, &clock, log.get());
  if (!pipeline.ok()) {
    std::cerr << "touchstream: " << pipeline.status().ToString() << "\n";
    producer.join();
    return 1;
  }
  (*pipeline)->UpdateRules(*rules);
  metrics.RulesReloaded(true);
  // The web console (docs/console.md) on admin.address while the engine runs: its impact chart
  // reads the event-time replay, "Try on history" replays the same events.
  TaskQueue admin_tasks;
  AdminApi admin_api(
      pipeline->get(), &admin_tasks,
      [](std::ostream&) -> Result<size_t> {
        return Status::Unavailable("touchstream demo does not reload rules; touchstream run does");
      },
      &(*pipeline)->heartbeat(), config->admin.stall_timeout_ms, config->rule_environment,
      MakeConsoleOptions(*config, metrics, impact_store->get(), &clock, history_path));
  std::unique_ptr<AdminAccess> access;
  std::unique_ptr<AdminServer> admin_server;
  if (!config->admin.address.empty()) {
    auto setup = SetUpAdminAccess(*config, log.get());
    if (!setup.ok()) {
      std::cerr << "touchstream: " << setup.status().ToString() << "\n";
      producer.join();
      return 1;
    }
    access = std::move(setup->access);
    auto server = AdminServer::Start(
        config->admin.address,
        access->Protect([&admin_api](const AdminRequest& request, AdminResponder respond) {
          admin_api.Handle(request, std::move(respond));
        }),
        config->admin.server);
    if (server.ok()) {
      admin_server = std::move(*server);
      std::cout << "Web console: http://127.0.0.1:" << admin_server->port() << "/console/\n\n"
                << std::flush;
    } else {
      std::cout << "Web console not served: " << server.status().message() << "\n\n";
    }
  }
  // The engine runs until stopped; once it has read everything, the results are printed.
  std::atomic<bool> stop{false};
  std::atomic<bool> idle{false};
  std::atomic<bool> ended{false};
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int64_t> idle_ms{0};
  Status run;
  std::thread engine([&] {
    PipelineRunOptions run_options;
    run_options.stop_when_idle_ms = 1500;
    run_options.input_finished = &input_finished;
    run_options.tasks = &admin_tasks;
    run_options.when_idle = [&] {
      idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
      idle = true;
    };
    run = (*pipeline)->Run(stop, run_options);
    ended = true;
  });
  const auto stop_engine = [&] {
    stop = true;
    engine.join();
    admin_tasks.Close();
    admin_server.reset();
    if (producer.joinable()) producer.join();
  };
  while (!idle && !ended && !signals.stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!idle) {
    stop_engine();
    if (!run.ok()) std::cerr << "touchstream: engine stopped: " << run.ToString() << "\n";
    return run.ok() ? 0 : 1;
  }
  producer.join();
  if (!stream_status.ok())
    std::cerr << "touchstream: streaming events: " << stream_status.ToString() << "\n";
  auto tally =
      ReadActions(bootstrap, action_topics, config->output.decisions_topic, *config, max_lines, 1);
  if (!tally.ok()) {
    std::cerr << "touchstream: reading actions: " << tally.status().ToString() << "\n";
    stop_engine();
    return 1;
  }
  PrintTally("Actions by rule", tally->by_rule);
  PrintTally("Actions by channel", tally->by_channel);
  PrintTally("Decisions by outcome and reason (README \"Delivery policy\")", tally->by_decision);
  std::cout << "\n"
            << (*pipeline)->records_processed() << " messages processed in " << std::fixed
            << std::setprecision(1) << static_cast<double>(idle_ms) / 1000
            << " s (including the ~3 s consumer-group join and 1.5 s of idle input), "
            << tally->total << " actions read back from Kafka, 3 malformed messages sent to "
            << config->output.dead_letter_topic << "\n";
  std::cout << "\nImpact of the rules with a conversion, replaying the same events in event time "
               "(README \"Measuring impact\").\nThe synthetic journeys buy regardless of the "
               "actions: expect a lift near 0 with an interval around 0.\n";
  if (Status s = WriteImpactReport(impact_store->get(), /*json=*/false, std::cout); !s.ok()) {
    std::cerr << "touchstream: measuring impact: " << s.ToString() << "\n";
    stop_engine();
    return 1;
  }
  if (serve_seconds >= 0 && !signals.stop_requested()) {
    std::cout << "\nBroker, metrics" << (admin_server ? " and the web console" : "")
              << " stay up, the engine running, "
              << (serve_seconds == 0 ? std::string("until Ctrl-C")
                                     : "for " + std::to_string(serve_seconds) + " s")
              << ".\n"
              << std::flush;
    signals.WaitForStop(static_cast<int64_t>(serve_seconds) * 1000);
  }
  stop_engine();
  if (!run.ok()) {
    std::cerr << "touchstream: engine stopped: " << run.ToString() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace touchstream::engine
