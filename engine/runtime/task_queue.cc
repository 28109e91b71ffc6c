#include "engine/runtime/task_queue.h"

#include <utility>

namespace touchstream::engine {

bool TaskQueue::Post(std::function<void()> run, std::function<void()> drop) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  tasks_.push_back({std::move(run), std::move(drop)});
  return true;
}

size_t TaskQueue::RunPending() {
  std::deque<Task> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks.swap(tasks_);
  }
  for (Task& task : tasks) task.run();
  return tasks.size();
}

void TaskQueue::Close() {
  std::deque<Task> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    tasks.swap(tasks_);
  }
  for (Task& task : tasks) {
    if (task.drop) task.drop();
  }
}

}  // namespace touchstream::engine
