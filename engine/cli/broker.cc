// touchstream broker [--config FILE] [--topic NAME[:PARTITIONS]]...
#include <iostream>

#include "connectors/dev_broker.h"
#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/signals.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int BrokerCommand(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> extra_topics;
  int partitions = 6;
  po::options_description options("broker options");
  options.add_options()("config,c", po::value(&config_path),
                        "create every topic this engine config names")(
      "topic,t", po::value(&extra_topics)->composing(),
      "also create topic NAME[:PARTITIONS] (repeatable)")(
      "partitions,p", po::value(&partitions)->default_value(6),
      "partitions of topics without an explicit count");
  po::variables_map vm;
  if (auto exit =
          ParseCommandLine(argc, argv, "touchstream broker [--config FILE] [--topic NAME[:N]]...",
                           options, nullptr, &vm)) {
    return *exit;
  }
  SignalWatcher signals;
  std::vector<connectors::TopicSpec> topics;
  if (!config_path.empty()) {
    auto config = LoadConfigOrReport(config_path, std::cerr);
    if (!config.ok()) return 1;
    config->kafka.embedded_partitions = partitions;
    topics = TopicsNamedIn(*config);
  }
  for (const auto& spec : extra_topics) {
    const auto colon = spec.rfind(':');
    connectors::TopicSpec topic{spec.substr(0, colon), partitions};
    if (colon != std::string::npos) {
      try {
        topic.partitions = std::stoi(spec.substr(colon + 1));
      } catch (const std::exception&) {
        std::cerr << "touchstream: --topic " << spec << ": partitions must be a number\n";
        return 2;
      }
    }
    topics.push_back(topic);
  }
  auto broker = connectors::DevBroker::Start(1, topics);
  if (!broker.ok()) {
    std::cerr << "touchstream: " << broker.status().ToString() << "\n";
    return 1;
  }
  // The bootstrap address alone on stdout, so scripts can capture it.
  std::cout << (*broker)->bootstrap_servers() << std::endl;
  std::cerr << "touchstream: development broker at " << (*broker)->bootstrap_servers() << " with "
            << topics.size() << " topics; stop with Ctrl-C or SIGTERM\n";
  signals.WaitForStop(0);
  return 0;
}

}  // namespace touchstream::engine
