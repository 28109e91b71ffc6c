// kill -9 and a lost disk (issues 12 and 11): real `touchstream run` processes killed with
// SIGKILL at seeded random points of a run and restarted, one of them after its state
// directory was deleted, end in the state and actions of one uninterrupted run.
//
// Each restart joins a consumer group of its own (g-<name>-r<n>) with the same state directory
// and changelog topic: what static membership (kafka.consumer group.instance.id) gives on a
// real cluster, where a restarted instance takes its partitions back at once. The development
// broker does not implement static membership: in one group, a restart would wait for the
// killed member's session to expire and for a second rebalance (~15 s with a 6 s session
// timeout). The engine positions the consumer at the offsets of its store, not at the group's
// committed offsets, so the group id changes nothing else.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <random>
#include <thread>

#include "tests/fault/process_fixture.h"

namespace touchstream::testing {
namespace {

using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__)
constexpr int kKills = 6;
#else
constexpr int kKills = 20;
#endif

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

class KillTest : public ProcessFaultTest {
 protected:
  int64_t ChangelogEnd(const RunConfig& config) {
    auto end = TopicEndOffsets(bootstrap_, config.changelog_topic);
    EXPECT_TRUE(end.ok()) << end.status().ToString();
    return end.ok() ? *end : 0;
  }

  // Runs `name` over the stream with `kills` SIGKILLs, each a seeded random 100-1500 ms after
  // the instance's first commit of that start (its first changelog record: joining the group
  // takes ~3 s, and a kill before it would test nothing). The input is produced in slices while
  // it runs, so that kills land mid-stream. Before restart `wipe_at` (when >= 0) the state
  // directory is deleted. Then one last run to the end, stopped with SIGTERM; returns what it
  // left.
  RunOutcome KilledRun(const std::string& name, uint64_t seed, int kills, int wipe_at) {
    RunConfig config = Config(name);
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<int> delay_ms(100, 1500);
    const size_t slice = events_.size() / (kills + 1) + 1;
    size_t produced = 0;
    for (int kill = 0; kill <= kills; ++kill) {
      if (kill == wipe_at) {
        std::filesystem::remove_all(config.state_dir);
        std::cout << "restart " << kill << ": state directory deleted\n";
      }
      config.group_id = "g-" + name + "-r" + std::to_string(kill);
      const auto path = Write(config, name + "-r" + std::to_string(kill));
      const int64_t changelog_before = ChangelogEnd(config);
      const auto started = Clock::now();
      auto process = Start(path, name);
      const size_t next = std::min(events_.size(), produced + slice);
      Produce(config.input_topic, produced, next);
      produced = next;
      if (kill == kills) {
        WaitConsumed(config);
        EXPECT_EQ(process->Terminate(std::chrono::seconds(60)), 0);
        std::cout << "last run: to the end in " << MsSince(started) << " ms\n";
        return Outcome(config, path, name);
      }
      EXPECT_TRUE(WaitUntil([&] { return ChangelogEnd(config) > changelog_before; },
                            std::chrono::seconds(30)))
          << "start " << kill << " committed nothing in 30 s";
      const int64_t first_commit_ms = MsSince(started);
      const int delay = delay_ms(random);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      EXPECT_TRUE(process->Running())
          << "start " << kill << " exited before its kill, "
          << (process->exit_code() ? "exit code " + std::to_string(*process->exit_code())
                                   : std::string("by a signal"));
      process->Kill9();
      std::cout << "kill " << kill + 1 << ": " << delay << " ms after the first commit ("
                << first_commit_ms << " ms after start), " << produced << "/" << events_.size()
                << " events produced, changelog +" << ChangelogEnd(config) - changelog_before
                << "\n";
    }
    return {};
  }
};

// Issue 12: kill -9 at 20 seeded random points of a run, restart each time: the final state
// equals the uninterrupted run's, no action id is missing, duplicates only with equal ids.
TEST_F(KillTest, Kill9AtRandomPointsEqualsUninterruptedRun) {
  const auto start = Clock::now();
  const RunOutcome reference = Reference();
  const RunOutcome killed = KilledRun("killed", FaultSeed(12), kKills, -1);
  ExpectEqualOutcome(reference, killed, "kill -9 x" + std::to_string(kKills));
  std::cout << "test took " << MsSince(start) / 1000 << " s\n";
}

// Issue 11: the same with the state directory deleted before one restart (a lost disk): the
// instance restores its partitions from the changelog and ends in the same state.
TEST_F(KillTest, LostStateDirectoryRestoresFromChangelog) {
  const auto start = Clock::now();
  const RunOutcome reference = Reference();
  const int kills = kKills / 4;
  const RunOutcome killed = KilledRun("disk-loss", FaultSeed(11), kills, kills / 2 + 1);
  ExpectEqualOutcome(reference, killed, "kill -9 x" + std::to_string(kills) + " + disk loss");
  // The start after the loss restored the customers from the changelog.
  const auto restored = WaitForLine(
      root_ / "disk-loss.err", "restored a partition from the changelog", std::chrono::seconds(0));
  EXPECT_FALSE(restored.empty());
  for (const auto& line : restored) std::cout << line << "\n";
  std::cout << "test took " << MsSince(start) / 1000 << " s\n";
}

}  // namespace
}  // namespace touchstream::testing
