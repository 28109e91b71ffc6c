// touchstream report impact --config FILE [--state-dir DIR | --from-changelog
//                                           [--bootstrap-servers HOSTS]] [--json]
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/impact/impact_report.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/impact_changelog.h"
#include "state/in_memory_store.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int ReportCommand(int argc, char** argv) {
  std::string report, config_path, state_dir, bootstrap;
  bool json = false;
  bool from_changelog = false;
  po::options_description options("report options");
  options.add_options()("report", po::value(&report)->required(), "impact")(
      "config,c", po::value(&config_path)->required(), "engine configuration (YAML)")(
      "state-dir", po::value(&state_dir), "read this store instead of the config's state.dir")(
      "from-changelog", po::bool_switch(&from_changelog),
      "the deployment's totals: every instance's counters, read from the changelog topic")(
      "bootstrap-servers", po::value(&bootstrap),
      "with --from-changelog: these brokers instead of kafka.bootstrap_servers")(
      "json", po::bool_switch(&json), "print JSON instead of a table");
  po::positional_options_description positional;
  positional.add("report", 1);
  po::variables_map vm;
  const std::string usage =
      "touchstream report impact --config FILE [--state-dir DIR | --from-changelog "
      "[--bootstrap-servers HOSTS]] [--json]";
  if (auto exit = ParseCommandLine(argc, argv, usage, options, &positional, &vm)) return *exit;
  if (report != "impact") {
    std::cerr << "touchstream: unknown report '" << report
              << "' (expected impact)\nusage: " << usage << "\n";
    return 2;
  }
  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
  if (from_changelog) {
    if (!state_dir.empty()) {
      std::cerr << "touchstream: --state-dir and --from-changelog exclude each other\nusage: "
                << usage << "\n";
      return 2;
    }
    if (bootstrap.empty()) bootstrap = config->kafka.bootstrap_servers;
    if (bootstrap.empty() || bootstrap == "embedded") {
      std::cerr << "touchstream: --from-changelog needs brokers: kafka.bootstrap_servers is '"
                << bootstrap << "'; pass --bootstrap-servers\n";
      return 2;
    }
    connectors::PartitionReaderOptions reader_options;
    reader_options.bootstrap_servers = bootstrap;
    reader_options.properties = config->kafka.consumer_properties;
    auto reader = connectors::PartitionReader::Create(reader_options);
    std::unique_ptr<state::StateStore> totals = state::NewInMemoryStore();
    Status s = reader.ok()
                   ? ReadImpactFromChangelog(reader->get(), ChangelogTopicOf(*config), totals.get())
                   : reader.status();
    if (s.ok()) s = WriteImpactReport(totals.get(), json, std::cout);
    if (!s.ok()) {
      std::cerr << "touchstream: " << s.ToString() << "\n";
      return 1;
    }
    return 0;
  }
  if (!state_dir.empty()) config->state.dir = state_dir;
  auto store = OpenStore(*config);
  if (!store.ok()) {
    std::cerr << "touchstream: " << store.status().ToString() << "\n";
    return 1;
  }
  if (Status s = WriteImpactReport(store->get(), json, std::cout); !s.ok()) {
    std::cerr << "touchstream: " << s.ToString() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace touchstream::engine
