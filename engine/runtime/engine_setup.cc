#include "engine/runtime/engine_setup.h"

#include <filesystem>
#include <set>

#include "engine/runtime/changelog_writer.h"
#include "rules/loader.h"

namespace touchstream::engine {

Result<std::shared_ptr<const rules::RuleSet>> LoadRuleSet(const EngineConfig& config,
                                                          std::ostream& errors) {
  rules::LoadResult loaded = rules::LoadRules(config.rules_paths, config.rule_environment);
  if (!loaded.ok()) {
    for (const auto& d : loaded.errors) errors << d.ToString() << "\n";
    return Status::InvalidArgument(std::to_string(loaded.errors.size()) + " error(s) in the rules");
  }
  return std::shared_ptr<const rules::RuleSet>(loaded.rule_set);
}

Result<std::unique_ptr<state::StateStore>> OpenStore(const EngineConfig& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.state.dir, ec);
  if (ec) return Status::IOError("state.dir " + config.state.dir + ": " + ec.message());
  state::RocksDbStoreOptions options;
  options.path = config.state.dir;
  options.block_cache_bytes = static_cast<size_t>(config.state.block_cache_bytes);
  options.sync_commits = config.state.sync_commits;
  return state::OpenRocksDbStore(options);
}

std::vector<connectors::TopicSpec> TopicsNamedIn(const EngineConfig& config) {
  std::set<std::string> names(config.kafka.input_topics.begin(), config.kafka.input_topics.end());
  for (const auto& [channel, topic] : config.output.channel_topics) names.insert(topic);
  for (const std::string* t :
       {&config.output.default_topic, &config.output.alerts_topic, &config.output.decisions_topic,
        &config.output.dead_letter_topic, &config.output.actions_dead_letter_topic}) {
    if (!t->empty()) names.insert(*t);
  }
  if (config.state.changelog) names.insert(ChangelogTopicOf(config));
  std::vector<connectors::TopicSpec> topics;
  for (const auto& name : names) topics.push_back({name, config.kafka.embedded_partitions});
  return topics;
}

std::unique_ptr<Logger> MakeLogger(const EngineConfig& config, std::ostream* out) {
  // LoadConfig accepted both names.
  return std::make_unique<Logger>(out, ParseLogFormat(config.logging.format).value(),
                                  ParseLogLevel(config.logging.level).value());
}

Result<EngineConfig> LoadConfigOrReport(const std::string& path, std::ostream& errors) {
  auto config = LoadConfig(path);
  if (!config.ok()) errors << "touchstream: " << config.status().message() << "\n";
  return config;
}

}  // namespace touchstream::engine
