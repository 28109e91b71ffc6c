// Running the Prometheus tools from tests: commands with their output and exit code, a child
// process stopped when its owner goes away, a free loopback port, HTTP GET through curl.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace touchstream::testing {

struct CommandResult {
  int exit_code = -1;  // -1: not run or killed by a signal
  std::string output;  // stdout and stderr, interleaved
};

// Runs `command` with /bin/sh, stderr into the output.
CommandResult RunCommand(const std::string& command);

// The absolute path of `program` found on PATH, or nullopt.
std::optional<std::string> FindProgram(const std::string& program);

// A port on 127.0.0.1 that was free a moment ago (bound, read back, released).
int FreeLoopbackPort();

// Body of an HTTP GET (curl, 5 s timeout); nullopt when the request fails or the status is not
// 2xx. `query` is URL-encoded by curl (--data-urlencode) when given.
std::optional<std::string> HttpGet(const std::string& url, const std::string& query = "");

// A child process running `argv` (argv[0] a path), its stdout and stderr appended to `log_path`.
// The destructor sends SIGTERM, waits up to 10 s, then SIGKILL.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // False when fork failed or the process has exited.
  bool running();

 private:
  pid_t pid_ = -1;
};

}  // namespace touchstream::testing
