// TaskQueue: hands work from other threads (the admin API) to the processing thread, which
// runs it between records, so the processor, cache and store are only ever touched by the
// processing thread.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace touchstream::engine {

class TaskQueue {
 public:
  // Queues `run`. `drop` (optional) is called instead of `run` if the queue is closed before
  // the task runs. Returns false, calling nothing, when the queue is already closed.
  bool Post(std::function<void()> run, std::function<void()> drop = {});

  // Runs the queued tasks in order on the calling thread (the processing thread); returns how
  // many ran. Tasks posted meanwhile wait for the next call.
  size_t RunPending();

  // Refuses new tasks and calls `drop` of every queued one. Idempotent.
  void Close();

 private:
  struct Task {
    std::function<void()> run;
    std::function<void()> drop;
  };
  std::mutex mu_;
  std::deque<Task> tasks_;  // GUARDED_BY(mu_)
  bool closed_ = false;     // GUARDED_BY(mu_)
};

}  // namespace touchstream::engine
