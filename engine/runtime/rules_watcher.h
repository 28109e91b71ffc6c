// RulesWatcher: watches the rule files and directories of the config and calls back when any
// of them changes (a file added, removed, rewritten or touched), so that `run` reloads its
// rules without a restart. Polls a fingerprint of names, sizes and modification times: it
// works the same on every filesystem (inotify misses changes on network and container
// volumes) and costs a few stat calls per interval.
//
// The callback runs on the watcher's own thread. RAII: the destructor stops and joins it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace touchstream::engine {

class RulesWatcher {
 public:
  // Starts watching `paths` (files, or directories of *.yaml / *.yml) every `interval`.
  RulesWatcher(std::vector<std::string> paths, std::chrono::milliseconds interval,
               std::function<void()> on_change);
  ~RulesWatcher();
  RulesWatcher(const RulesWatcher&) = delete;
  RulesWatcher& operator=(const RulesWatcher&) = delete;

  // The current fingerprint of `paths` (exposed for tests).
  static std::string Fingerprint(const std::vector<std::string>& paths);

 private:
  void Loop();

  std::vector<std::string> paths_;
  std::chrono::milliseconds interval_;
  std::function<void()> on_change_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace touchstream::engine
