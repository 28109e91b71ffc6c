// Real `touchstream` processes for the fault tests (issues 11 and 12): a child process that can
// be killed with SIGKILL or stopped with SIGTERM, the run config it reads, and what the tests
// observe from outside (the group's committed offsets, `touchstream state export`, the action
// ids on a topic).
//
// Thread safety: EngineProcess is not thread safe; the free functions are.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::testing {

// The `touchstream` binary the tests start (TOUCHSTREAM_BINARY).
const std::string& TouchstreamBinary();

// A running child `touchstream <args...>`, its stdout and stderr appended to two files. The
// destructor kills (SIGKILL) a child still running and always reaps it: no test leaves a
// process behind.
class EngineProcess {
 public:
  // Spawns the binary with `args` (argv[1..]). A failed spawn fails the current test and leaves
  // the object not running.
  EngineProcess(const std::vector<std::string>& args, const std::filesystem::path& stdout_path,
                const std::filesystem::path& stderr_path);
  ~EngineProcess();
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True while the child has not exited (an exited child is reaped).
  bool Running();
  // SIGKILL, then reaps the child. No-op when it already exited.
  void Kill9();
  // SIGTERM and waits up to `timeout` for the exit; the exit code, or nullopt when the child
  // died by a signal or did not exit in time (it is then killed with SIGKILL and reaped).
  std::optional<int> Terminate(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the child to exit by itself; its exit code, or nullopt when it
  // died by a signal or was still running (it is then killed with SIGKILL and reaped).
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // The child's exit code once it exited by itself (nullopt while running or after a signal).
  std::optional<int> exit_code() const;

 private:
  // waitpid with `options`; true (and status_ set) when the child was reaped.
  bool Reap(int options);

  pid_t pid_ = -1;
  bool reaped_ = true;
  int status_ = 0;
};

// What a `touchstream run` config written by WriteRunConfig holds. Every action goes to
// `actions_topic` (alerts included; no decisions topic), metrics are off, and the admin API is
// on an ephemeral loopback port when `admin` is set ("admin API on port N" in stderr).
struct RunConfig {
  std::string bootstrap_servers;
  std::string group_id;
  std::string input_topic;
  std::string state_dir;
  // state.changelog_topic; empty: <group_id>.changelog.
  std::string changelog_topic;
  std::string actions_topic;
  std::string dead_letter_topic;
  std::vector<std::string> rules_paths;
  // Extra librdkafka consumer settings (session.timeout.ms, group.instance.id, ...).
  std::map<std::string, std::string> consumer;
  int64_t commit_interval_ms = 100;
  bool admin = false;
  // YAML sections appended verbatim (policy, loyalty, aggregates, ...).
  std::string extra_yaml;
};

// Writes `config` as YAML to `path`. Fails the current test when the file cannot be written.
void WriteRunConfig(const std::filesystem::path& path, const RunConfig& config);

// Waits until `group` has committed, for every partition of `topic`, the partition's end offset
// (the engine mirrors into Kafka the offsets it committed to its store, every 5 s, on revoke and
// at shutdown). Ok when it did within `timeout`; Unavailable naming the partitions behind
// otherwise.
Status WaitCommittedToEnd(const std::string& bootstrap, const std::string& group,
                          const std::string& topic, std::chrono::milliseconds timeout);

// Runs `touchstream state export --config <config_path>` (output in `log_dir`/<name>.jsonl,
// <name>.err) and parses
// every line: customer id -> state. An error naming the line when the export fails or a line
// does not parse.
Result<std::map<std::string, v1::CustomerState>> ExportState(
    const std::filesystem::path& config_path, const std::filesystem::path& log_dir,
    const std::string& name);

// Clears what differs between runs over equal streams, so that their states compare: each
// impact attribution's decided_ms (`run` stamps it with the wall clock) and the topic of the
// last applied input (each run reads a topic of its own; partition and offset are compared).
// Everything else of the state is compared.
void ClearUncomparedFields(v1::CustomerState* state);

// The action ids on every partition of `topic` (the touchstream.id header) with how many
// messages carried each. Error when the topic cannot be read or a message has no id.
Result<std::map<std::string, int>> ActionIdCounts(const std::string& bootstrap,
                                                  const std::string& topic);

// The sum of the end offsets of every partition of `topic` (how many messages it ever held).
Result<int64_t> TopicEndOffsets(const std::string& bootstrap, const std::string& topic);

// GET http://127.0.0.1:<port><path> (curl): the HTTP status, or -1 when nothing answered; the
// body in *body when given.
int HttpGet(int port, const std::string& path, std::string* body = nullptr);

// The lines of `path` containing `needle`, polling until at least one exists or `timeout`
// passes (then empty).
std::vector<std::string> WaitForLine(const std::filesystem::path& path, const std::string& needle,
                                     std::chrono::milliseconds timeout);

}  // namespace touchstream::testing
