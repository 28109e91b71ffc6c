// touchstream: the engine's single binary. See README.md for every command.
#include <cstring>
#include <iostream>
#include <string_view>

#include "engine/cli/commands.h"
#include "engine/cli/version.h"

namespace {

void PrintUsage(std::ostream& out) {
  out << "usage: touchstream <command> [options]\n\n"
         "commands:\n"
         "  run --config FILE                 consume events from Kafka, evaluate rules, produce "
         "actions\n"
         "  demo [--config FILE]              embedded broker + synthetic customers + engine, "
         "prints actions\n"
         "  broker [--config FILE]            run the development Kafka broker until SIGTERM\n"
         "  replay --config FILE --events F.jsonl --actions-out F.jsonl\n"
         "                                    the engine offline over a file, event time drives "
         "the clock\n"
         "  replay --config FILE --events F.jsonl --diff-rules PATH... [--json]\n"
         "                                    replay with the configured and the candidate rules, "
         "print who gets what differently\n"
         "  explain --config FILE --events F.jsonl CUSTOMER [RULE] [--json]\n"
         "                                    why a customer did or didn't get a rule's message\n"
         "  state get --config FILE ID        print a customer's state as JSON\n"
         "  state export --config FILE        print every customer's state, one JSON line each\n"
         "  state erase --config FILE ID      delete a customer's state, timers and unsent "
         "messages\n"
         "  rules check PATH...               validate rule files, print every error\n"
         "  clv fit --transactions FILE --calibration-end YYYY-MM-DD\n"
         "                                    fit the customer-value models to purchase history\n"
         "  report impact --config FILE       conversions and lift per rule and experiment arm\n"
         "  config check --config FILE        validate a config and its rules, print the "
         "effective settings\n"
         "  deliver --config FILE --channel NAME\n"
         "                                    POST a channel's actions to its webhook, feed the "
         "outcomes back\n"
         "  version, --version                print the version\n\n"
         "`touchstream <command> --help` lists a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(std::cerr);
    return 2;
  }
  const std::string_view command = argv[1];
  using namespace touchstream::engine;
  if (command == "run") return RunCommand(argc - 1, argv + 1);
  if (command == "demo") return DemoCommand(argc - 1, argv + 1);
  if (command == "broker") return BrokerCommand(argc - 1, argv + 1);
  if (command == "replay") return ReplayCommand(argc - 1, argv + 1);
  if (command == "explain") return ExplainCommand(argc - 1, argv + 1);
  if (command == "state") return StateCommand(argc - 1, argv + 1);
  if (command == "rules") return RulesCommand(argc - 1, argv + 1);
  if (command == "clv") return ClvCommand(argc - 1, argv + 1);
  if (command == "report") return ReportCommand(argc - 1, argv + 1);
  if (command == "config") return ConfigCommand(argc - 1, argv + 1);
  if (command == "deliver") return DeliverCommand(argc - 1, argv + 1);
  if (command == "version" || command == "--version") {
    std::cout << "touchstream " << TouchstreamVersion() << "\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    PrintUsage(std::cout);
    return 0;
  }
  std::cerr << "touchstream: unknown command '" << command << "'\n\n";
  PrintUsage(std::cerr);
  return 2;
}
