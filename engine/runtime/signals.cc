#include "engine/runtime/signals.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>

namespace touchstream::engine {

namespace {
sigset_t WatchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);  // internal: wakes the watcher to exit
  return set;
}
}  // namespace

SignalWatcher::SignalWatcher(std::function<void()> on_hangup) : on_hangup_(std::move(on_hangup)) {
  sigset_t set = WatchedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      if (signal == SIGUSR1) return;
      if (signal == SIGHUP) {
        if (on_hangup_) on_hangup_();
        continue;
      }
      stop_ = true;
    }
  });
}

SignalWatcher::~SignalWatcher() {
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

void SignalWatcher::WaitForStop(int64_t timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!stop_.load()) {
    if (timeout_ms > 0 && std::chrono::steady_clock::now() >= deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace touchstream::engine
