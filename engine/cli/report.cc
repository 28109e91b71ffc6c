// touchstream report impact --config FILE [--state-dir DIR] [--json]
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/impact/impact_report.h"
#include "engine/runtime/engine_setup.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int ReportCommand(int argc, char** argv) {
  std::string report, config_path, state_dir;
  bool json = false;
  po::options_description options("report options");
  options.add_options()("report", po::value(&report)->required(), "impact")(
      "config,c", po::value(&config_path)->required(), "engine configuration (YAML)")(
      "state-dir", po::value(&state_dir), "read this store instead of the config's state.dir")(
      "json", po::bool_switch(&json), "print JSON instead of a table");
  po::positional_options_description positional;
  positional.add("report", 1);
  po::variables_map vm;
  const std::string usage = "touchstream report impact --config FILE [--state-dir DIR] [--json]";
  if (auto exit = ParseCommandLine(argc, argv, usage, options, &positional, &vm)) return *exit;
  if (report != "impact") {
    std::cerr << "touchstream: unknown report '" << report
              << "' (expected impact)\nusage: " << usage << "\n";
    return 2;
  }
  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
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
