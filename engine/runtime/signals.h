// SignalWatcher: turns SIGINT/SIGTERM into a stop flag and SIGHUP into a callback, without a
// global variable: the signals are blocked in every thread and one watcher thread sigwait()s.
//
// Construct it in main() before starting any other thread (threads inherit the blocked mask).
// Destruction stops the watcher thread. The stop flag is owned by the watcher.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace touchstream::engine {

class SignalWatcher {
 public:
  // on_hangup runs on the watcher thread for each SIGHUP; may be empty.
  explicit SignalWatcher(std::function<void()> on_hangup = {});
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Set once SIGINT or SIGTERM arrived.
  const std::atomic<bool>& stop_requested() const { return stop_; }
  // Blocks until a stop is requested or `timeout_ms` passed (<= 0: no timeout).
  void WaitForStop(int64_t timeout_ms) const;

 private:
  std::atomic<bool> stop_{false};
  std::function<void()> on_hangup_;
  std::thread thread_;
};

}  // namespace touchstream::engine
