// The start-up steps shared by the commands: rules, store and topics from an EngineConfig.
#pragma once

#include <memory>
#include <ostream>
#include <vector>

#include "base/status.h"
#include "connectors/dev_broker.h"
#include "engine/config/config.h"
#include "engine/ops/log.h"
#include "rules/rule.h"
#include "state/rocksdb_store.h"
#include "state/state_store.h"

namespace touchstream::engine {

// Loads config.rules_paths. On any error prints every diagnostic (file:line:col, source line
// and caret) to `errors` and returns InvalidArgument with the count.
Result<std::shared_ptr<const rules::RuleSet>> LoadRuleSet(const EngineConfig& config,
                                                          std::ostream& errors);

// Opens (creating if missing) the RocksDB store at config.state.dir.
Result<std::unique_ptr<state::StateStore>> OpenStore(const EngineConfig& config);

// Every topic the config names (inputs, channel topics, default, alerts, decisions, dead
// letters), each with config.kafka.embedded_partitions partitions: what an embedded
// development broker must create.
std::vector<connectors::TopicSpec> TopicsNamedIn(const EngineConfig& config);

// The logger config.logging asks for (format and level), writing to `out`, which must outlive it.
std::unique_ptr<Logger> MakeLogger(const EngineConfig& config, std::ostream* out);

// Loads a config file, printing the error to `errors` on failure.
Result<EngineConfig> LoadConfigOrReport(const std::string& path, std::ostream& errors);

}  // namespace touchstream::engine
