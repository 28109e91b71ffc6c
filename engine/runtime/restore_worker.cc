#include "engine/runtime/restore_worker.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace touchstream::engine {

Result<std::unique_ptr<RestoreWorker>> RestoreWorker::Start(RestoreWorkerOptions options,
                                                            state::StateStore* store) {
  std::unique_ptr<RestoreWorker> worker(new RestoreWorker(std::move(options), store));
  auto reader = connectors::PartitionReader::Create(worker->options_.reader);
  if (!reader.ok()) return reader.status();
  worker->reader_ = std::move(*reader);
  worker->restore_ = std::make_unique<PartitionRestore>(
      worker->reader_.get(), store, worker->options_.changelog_topic, worker->options_.input_topics,
      worker->options_.partition_of);
  worker->thread_ = std::thread([w = worker.get()] { w->Loop(); });
  return worker;
}

RestoreWorker::~RestoreWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    queue_.clear();
    cancel_running_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RestoreWorker::set_before_restore(std::function<void(int32_t partition)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

void RestoreWorker::Begin(int32_t partition) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_ == partition ||
        std::find(queue_.begin(), queue_.end(), partition) != queue_.end()) {
      return;
    }
    queue_.push_back(partition);
  }
  changed_.notify_all();
}

void RestoreWorker::Cancel(int32_t partition) {
  std::unique_lock<std::mutex> lock(mu_);
  queue_.erase(std::remove(queue_.begin(), queue_.end(), partition), queue_.end());
  if (running_ == partition) {
    cancel_running_ = true;
    changed_.wait(lock, [&] { return running_ != partition; });
  }
  // A result of the partition that ended meanwhile (or before) is forgotten too.
  std::erase_if(finished_, [&](const FinishedRestore& f) { return f.partition == partition; });
  has_finished_.store(!finished_.empty(), std::memory_order_release);
}

std::vector<FinishedRestore> RestoreWorker::TakeFinished() {
  std::lock_guard<std::mutex> lock(mu_);
  has_finished_.store(false, std::memory_order_release);
  return std::exchange(finished_, {});
}

void RestoreWorker::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    const int32_t partition = queue_.front();
    queue_.pop_front();
    running_ = partition;
    cancel_running_ = false;
    const std::function<void(int32_t)> hook = hook_;
    lock.unlock();

    const auto start = std::chrono::steady_clock::now();
    if (hook) hook(partition);
    Result<RestoreStats> result = RestoreOne(partition);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    lock.lock();
    running_.reset();
    if (!cancel_running_) {
      finished_.push_back({partition, std::move(result), seconds});
      has_finished_.store(true, std::memory_order_release);
    }
    changed_.notify_all();
  }
}

Result<RestoreStats> RestoreWorker::RestoreOne(int32_t partition) {
  std::optional<RestoreSeed> seed;
  if (options_.standby != nullptr) {
    auto taken = options_.standby->TakeOver(
        partition, store_->GetOffset(options_.changelog_topic, partition).value_or(0));
    if (taken.ok()) {
      seed = std::move(*taken);
    } else {
      options_.log->Warn(
          "restore",
          "standby copy of a partition unreadable; restoring it from the changelog alone",
          {{"partition", partition}, {"error", taken.status().ToString()}});
    }
  }
  return restore_->Restore(partition, seed.has_value() ? &*seed : nullptr, &cancel_running_);
}

}  // namespace touchstream::engine
