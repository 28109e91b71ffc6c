// touchstream config check --config FILE
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/config/config_yaml.h"
#include "engine/runtime/engine_setup.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int ConfigCommand(int argc, char** argv) {
  std::string action, config_path;
  po::options_description options("config options");
  options.add_options()("action", po::value(&action)->required(), "check")(
      "config,c", po::value(&config_path)->required(), "engine configuration (YAML)");
  po::positional_options_description positional;
  positional.add("action", 1);
  po::variables_map vm;
  const std::string usage = "touchstream config check --config FILE";
  if (auto exit = ParseCommandLine(argc, argv, usage, options, &positional, &vm)) return *exit;
  if (action != "check") {
    std::cerr << "touchstream: unknown config action '" << action << "'\nusage: " << usage << "\n";
    return 2;
  }
  std::ifstream in(config_path);
  if (!in) {
    std::cerr << "touchstream: cannot read config file " << config_path << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto config = LoadConfigFromString(text.str(), config_path);
  if (!config.ok()) {
    // One error a line, each "file:line:col: error: key: what".
    const std::string errors = config.status().message();
    std::cerr << errors << "\n"
              << std::count(errors.begin(), errors.end(), '\n') + 1 << " error(s) in "
              << config_path << "\n";
    return 1;
  }
  std::cout << "# Effective settings of " << config_path << " (defaults included)\n"
            << EffectiveConfigYaml(*config, text.str());
  std::ostringstream diagnostics;
  auto rules = LoadRuleSet(*config, diagnostics);
  if (!rules.ok()) {
    std::cerr << diagnostics.str() << rules.status().message() << "\n";
    return 1;
  }
  std::cerr << config_path << ": OK, " << (*rules)->size() << " rules\n";
  return 0;
}

}  // namespace touchstream::engine
