// touchstream rules check [--config FILE] [--explain] PATH...
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/runtime/engine_setup.h"
#include "rules/describe.h"
#include "rules/loader.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int RulesCommand(int argc, char** argv) {
  std::string action, config_path;
  std::vector<std::string> paths;
  po::options_description options("rules options");
  options.add_options()("action", po::value(&action)->required(), "check")(
      "config,c", po::value(&config_path),
      "engine configuration (for declared event property types)")(
      "explain", "print each rule's compiled form")("path", po::value(&paths)->required(),
                                                    "rule files or folders");
  po::positional_options_description positional;
  positional.add("action", 1).add("path", -1);
  po::variables_map vm;
  const std::string usage = "touchstream rules check [--config FILE] [--explain] PATH...";
  if (auto exit = ParseCommandLine(argc, argv, usage, options, &positional, &vm)) return *exit;
  if (action != "check") {
    std::cerr << "touchstream: unknown rules action '" << action << "'\nusage: " << usage << "\n";
    return 2;
  }
  rules::RuleEnvironment environment;
  if (!config_path.empty()) {
    auto config = LoadConfigOrReport(config_path, std::cerr);
    if (!config.ok()) return 1;
    environment = config->rule_environment;
  }
  rules::LoadResult loaded = rules::LoadRules(paths, environment);
  if (!loaded.ok()) {
    for (const auto& d : loaded.errors) std::cerr << d.ToString() << "\n";
    std::cerr << loaded.errors.size() << " error(s)\n";
    return 1;
  }
  if (vm.count("explain")) {
    for (const auto& rule : loaded.rule_set->rules())
      std::cout << rules::DescribeRule(rule) << "\n";
  }
  std::cout << loaded.rule_set->size() << " rules OK\n";
  return 0;
}

}  // namespace touchstream::engine
