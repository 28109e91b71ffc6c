// RestoreWorker: restores assigned partitions from the changelog on a thread of its own, so that
// the processing thread keeps processing the other partitions and firing their timers meanwhile
// (docs/scaling-out.md#restore-on-assignment).
//
// The processing thread Begins a partition when it is assigned (the partition stays paused), and
// installs each result it Takes (re-arms timers, seeks the partition to the restored offset,
// resumes it). The worker restores one partition at a time, in the order begun, with its own
// changelog consumer (a PartitionReader outside the group) and PartitionRestore, writing into
// the shared StateStore: only customers, timers and offsets of the partition being restored,
// which the processing thread does not touch until it installs the result (StateStore allows
// such commits from two threads). With a StandbyTailer the copy of a standby partition is taken
// over first and seeds the restore.
//
// Cancel (the partition was revoked) stops that partition's restore at its next changelog poll
// or commit batch, waits for it and forgets its result: afterwards nothing of the partition is
// written by the worker, and the caller drops what was written. The destructor cancels
// everything and joins the thread, so a stop during a restore ends within a poll.
//
// Thread safety: Begin, Cancel, TakeFinished and has_finished are called from the processing
// thread; the hook runs on the worker thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "connectors/partition_reader.h"
#include "engine/ops/log.h"
#include "engine/runtime/partition_restore.h"
#include "engine/runtime/standby_tailer.h"
#include "state/state_store.h"

namespace touchstream::engine {

struct RestoreWorkerOptions {
  std::string changelog_topic;
  std::vector<std::string> input_topics;
  // Maps a customer id to its partition.
  std::function<int32_t(std::string_view)> partition_of;
  // The worker's own changelog consumer.
  connectors::PartitionReaderOptions reader;
  // Null without standby partitions; else must outlive the worker.
  StandbyTailer* standby = nullptr;
  // Not null; must outlive the worker.
  Logger* log = nullptr;
};

// A restore that ended (not cancelled): its statistics, or why it failed.
struct FinishedRestore {
  int32_t partition = 0;
  Result<RestoreStats> result = RestoreStats{};
  // Wall-clock seconds from the start of the restore to its end.
  double seconds = 0;
};

class RestoreWorker {
 public:
  // Creates the changelog consumer and starts the thread. `store` must outlive the worker.
  // Errors: the reader's (InvalidArgument for a rejected setting).
  static Result<std::unique_ptr<RestoreWorker>> Start(RestoreWorkerOptions options,
                                                      state::StateStore* store);
  ~RestoreWorker();
  RestoreWorker(const RestoreWorker&) = delete;
  RestoreWorker& operator=(const RestoreWorker&) = delete;

  // Called on the worker thread with the partition before each restore reads anything; tests
  // use it to hold a restore (it must return for Cancel and the destructor to return). Set it
  // before the first Begin.
  void set_before_restore(std::function<void(int32_t partition)> hook);

  // Queues the restore of `partition` (a partition already queued or running is not queued
  // twice).
  void Begin(int32_t partition);

  // Cancels the partition's restore (queued, running or finished and not taken) and waits until
  // the worker no longer writes it.
  void Cancel(int32_t partition);

  // True when a restore finished and waits to be taken; cheap (an atomic load).
  bool has_finished() const { return has_finished_.load(std::memory_order_acquire); }

  // The restores that ended since the last call, in the order they ended.
  std::vector<FinishedRestore> TakeFinished();

 private:
  RestoreWorker(RestoreWorkerOptions options, state::StateStore* store)
      : options_(std::move(options)), store_(store) {}
  void Loop();
  // Restores one partition (standby copy first, then the changelog).
  Result<RestoreStats> RestoreOne(int32_t partition);

  const RestoreWorkerOptions options_;
  state::StateStore* const store_;
  std::unique_ptr<PartitionRestore> restore_;            // used by the thread only
  std::unique_ptr<connectors::PartitionReader> reader_;  // used by the thread only

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<int32_t> queue_;              // GUARDED_BY(mu_)
  std::optional<int32_t> running_;         // GUARDED_BY(mu_)
  std::vector<FinishedRestore> finished_;  // GUARDED_BY(mu_)
  std::function<void(int32_t)> hook_;      // GUARDED_BY(mu_)
  bool stop_ = false;                      // GUARDED_BY(mu_)
  // Set to cancel the running restore (read by PartitionRestore without the lock).
  std::atomic<bool> cancel_running_{false};
  std::atomic<bool> has_finished_{false};
  std::thread thread_;
};

}  // namespace touchstream::engine
