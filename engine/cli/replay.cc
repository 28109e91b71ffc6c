// touchstream replay --config FILE --events FILE.jsonl --actions-out FILE.jsonl
#include "engine/runtime/replay.h"

#include <iostream>

#include "base/time_format.h"
#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/runtime/engine_setup.h"
#include "state/in_memory_store.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int ReplayCommand(int argc, char** argv) {
  std::string config_path, state_dir, until;
  ReplayOptions replay;
  po::options_description options("replay options");
  options.add_options()("config,c", po::value(&config_path)->required(),
                        "engine configuration (YAML)")(
      "events,e", po::value(&replay.events_path)->required(), "input events, JSON Lines")(
      "actions-out,o", po::value(&replay.actions_out)->required(), "output actions, JSON Lines")(
      "decisions-out", po::value(&replay.decisions_out), "output decisions, JSON Lines")(
      "until", po::value(&until),
      "after the last event, advance the clock to this RFC 3339 time and fire the timers due "
      "(default: the last event's time)")(
      "state-dir", po::value(&state_dir),
      "keep state in this RocksDB directory (default: in memory, discarded at exit)");
  po::variables_map vm;
  if (auto exit = ParseCommandLine(
          argc, argv, "touchstream replay --config FILE --events F.jsonl --actions-out F.jsonl",
          options, nullptr, &vm)) {
    return *exit;
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
