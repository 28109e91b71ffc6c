// The `touchstream` subcommands. Each takes the arguments after its name and returns the
// process exit code (0 ok, 1 failure, 2 usage error), printing errors to stderr.
#pragma once

namespace touchstream::engine {

int RunCommand(int argc, char** argv);   // touchstream run --config FILE
int DemoCommand(int argc, char** argv);  // touchstream demo [--config FILE] ...
int BrokerCommand(
    int argc, char** argv);  // touchstream broker [--config FILE] [--topic NAME[:PARTITIONS]]...
int ReplayCommand(int argc,
                  char** argv);  // touchstream replay --config FILE --events F --actions-out F
int ExplainCommand(int argc, char** argv);  // touchstream explain --config FILE --events F ID
int StateCommand(int argc, char** argv);    // touchstream state get --config FILE CUSTOMER_ID
int RulesCommand(int argc, char** argv);    // touchstream rules check PATH...
int ClvCommand(int argc, char** argv);      // touchstream clv fit --transactions FILE ...
int ReportCommand(int argc, char** argv);   // touchstream report impact --config FILE ...
int ConfigCommand(int argc, char** argv);   // touchstream config check --config FILE
int DeliverCommand(int argc, char** argv);  // touchstream deliver --config FILE --channel NAME

}  // namespace touchstream::engine
