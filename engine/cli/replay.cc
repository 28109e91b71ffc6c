// touchstream replay --config FILE --events FILE.jsonl --actions-out FILE.jsonl
// touchstream replay --config FILE --events FILE.jsonl --diff-rules PATH... [--json]
#include "engine/runtime/replay.h"

#include <iostream>

#include "base/time_format.h"
#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/runtime/engine_setup.h"
#include "engine/workbench/replay_diff.h"
#include "state/in_memory_store.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int ReplayCommand(int argc, char** argv) {
  std::string config_path, state_dir, until;
  std::vector<std::string> diff_rules;
  size_t sample = 10;
  ReplayOptions replay;
  po::options_description options("replay options");
  options.add_options()("config,c", po::value(&config_path)->required(),
                        "engine configuration (YAML)")(
      "events,e", po::value(&replay.events_path)->required(), "input events, JSON Lines")(
      "actions-out,o", po::value(&replay.actions_out),
      "output actions, JSON Lines (required without --diff-rules)")(
      "decisions-out", po::value(&replay.decisions_out), "output decisions, JSON Lines")(
      "until", po::value(&until),
      "after the last event, advance the clock to this RFC 3339 time and fire the timers due "
      "(default: the last event's time)")(
      "state-dir", po::value(&state_dir),
      "keep state in this RocksDB directory (default: in memory, discarded at exit)")(
      "diff-rules", po::value(&diff_rules)->multitoken(),
      "replay twice, with the configured rules and with these rule files or folders instead, "
      "and print the difference (docs/workbench.md)")(
      "json", "with --diff-rules: print the whole diff as one JSON object")(
      "sample", po::value(&sample)->default_value(10),
      "with --diff-rules: affected customers shown per rule");
  po::variables_map vm;
  if (auto exit = ParseCommandLine(
          argc, argv,
          "touchstream replay --config FILE --events F.jsonl --actions-out F.jsonl\n"
          "       touchstream replay --config FILE --events F.jsonl --diff-rules PATH... [--json]",
          options, nullptr, &vm)) {
    return *exit;
  }
  if (diff_rules.empty() && replay.actions_out.empty()) {
    std::cerr << "touchstream: replay needs --actions-out (or --diff-rules)\n";
    return 2;
  }
  if (!diff_rules.empty() &&
      (!replay.actions_out.empty() || !replay.decisions_out.empty() || !state_dir.empty())) {
    std::cerr << "touchstream: --diff-rules replays in memory and prints the difference: it "
                 "takes no --actions-out, --decisions-out or --state-dir\n";
    return 2;
  }
  if (!until.empty()) {
    const std::optional<int64_t> parsed = ParseRfc3339Ms(until);
    if (!parsed) {
      std::cerr << "touchstream: --until: expected an RFC 3339 time such as "
                   "2026-03-01T00:00:00Z, got '"
                << until << "'\n";
      return 2;
    }
    replay.until_ms = *parsed;
  }
  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
  auto rules = LoadRuleSet(*config, std::cerr);
  if (!rules.ok()) {
    std::cerr << "touchstream: " << rules.status().message() << "\n";
    return 1;
  }
  if (!diff_rules.empty()) {
    EngineConfig candidate_config = *config;
    candidate_config.rules_paths = diff_rules;
    auto candidate = LoadRuleSet(candidate_config, std::cerr);
    if (!candidate.ok()) {
      std::cerr << "touchstream: the candidate rules are refused: " << candidate.status().message()
                << "\n";
      return 1;
    }
    ReplayDiffOptions diff_options;
    diff_options.events_path = replay.events_path;
    diff_options.until_ms = replay.until_ms;
    diff_options.sample_size = sample;
    auto diff = DiffReplays(*config, *rules, *candidate, diff_options);
    if (!diff.ok()) {
      std::cerr << "touchstream: " << diff.status().ToString() << "\n";
      return 1;
    }
    if (vm.count("json")) {
      std::cout << ReplayDiffToJson(*diff) << "\n";
    } else {
      PrintReplayDiff(*diff, std::cout);
    }
    return 0;
  }
  std::unique_ptr<state::StateStore> store;
  if (state_dir.empty()) {
    store = state::NewInMemoryStore();
  } else {
    config->state.dir = state_dir;
    auto opened = OpenStore(*config);
    if (!opened.ok()) {
      std::cerr << "touchstream: " << opened.status().ToString() << "\n";
      return 1;
    }
    store = std::move(*opened);
  }
  EngineMetrics metrics;
  auto stats = Replay(*config, *rules, store.get(), &metrics, replay);
  if (!stats.ok()) {
    std::cerr << "touchstream: " << stats.status().ToString() << "\n";
    return 1;
  }
  std::cerr << "touchstream: replayed " << stats->events << " events and " << stats->timers_fired
            << " timers: " << stats->actions << " actions, " << stats->dead_letters
            << " rejected lines\n";
  return 0;
}

}  // namespace touchstream::engine
