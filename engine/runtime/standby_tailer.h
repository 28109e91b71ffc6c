// StandbyTailer: keeps warm copies of input partitions this instance does not own
// (state.standby_partitions, docs/scaling-out.md#standby-partitions), so that taking one over
// restores only the changelog's tail.
//
// librdkafka has no custom assignor, so standbys are not chosen by the group: each instance
// copies the partitions its configuration names, while it does not own them. A thread of its own
// follows those changelog partitions with a consumer outside the group (assign(), never
// subscribe()) and copies every record into a StandbyStore (state/standby_store.h), separate
// from the StateStore so that nothing copied is served, fired or swept; each round's records and
// the partitions' new marks are written in one atomic batch, at most kMaxRoundRecords per round.
// A mark is the changelog checkpoint and the input offsets counted as a restore counts them
// (BatchTally): named by the batches copied whole, with the batches copied in part kept open,
// so that a takeover resumes input exactly where a full restore of the same records would.
//
// TakeOver (the partition was assigned) stops copying the partition and hands its copy to
// PartitionRestore::Restore as a seed, which then reads the changelog only from the copy's
// checkpoint. Resume (the partition was revoked) copies it again from the copy's checkpoint.
// The copy of a taken-over partition stays in the standby store: after a later revoke only the
// records written since are read.
//
// A failing read or write is logged and retried after a pause: a standby is an optimization,
// never a reason to stop processing (a takeover without a current copy reads more changelog).
//
// Thread safety: TakeOver (from the restore thread, RestoreWorker) and Resume (from the
// processing thread) may be called concurrently, never for the same partition at once (a
// revoked partition's restore is cancelled before it is resumed); each waits at most for the
// copy round in progress (one StandbyStore write). The destructor stops the thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "base/status.h"
#include "connectors/partition_reader.h"
#include "engine/ops/log.h"
#include "engine/ops/metrics.h"
#include "engine/runtime/partition_restore.h"
#include "state/standby_store.h"

namespace touchstream::engine {

struct StandbyTailerOptions {
  // The changelog topic and the partitions to copy while not owned (each < its partition count).
  std::string changelog_topic;
  std::set<int32_t> partitions;
  // Where the copies are kept (a RocksDB directory; its parent must exist).
  std::string dir;
  connectors::PartitionReaderOptions reader;
  // Where failures and recoveries of the copy are logged (not null; must outlive the tailer).
  Logger* log = nullptr;
};

class StandbyTailer {
 public:
  // Records copied per round at most.
  static constexpr size_t kMaxRoundRecords = 2000;

  // Opens the standby store and starts copying every configured partition (none is owned yet).
  // `metrics` must outlive the tailer. Errors: the store's and the reader's.
  static Result<std::unique_ptr<StandbyTailer>> Start(const StandbyTailerOptions& options,
                                                      EngineMetrics* metrics);
  ~StandbyTailer();
  StandbyTailer(const StandbyTailer&) = delete;
  StandbyTailer& operator=(const StandbyTailer&) = delete;

  // The partition is now owned: stops copying it. Returns its copy when it is a standby
  // partition whose copy's checkpoint is above `above` (the StateStore's own checkpoint),
  // else nullopt. Errors: the standby store's (reading the copy).
  Result<std::optional<RestoreSeed>> TakeOver(int32_t partition, int64_t above);

  // The partition is no longer owned: copies it again when it is a standby partition.
  void Resume(int32_t partition);

 private:
  StandbyTailer(StandbyTailerOptions options, EngineMetrics* metrics)
      : options_(std::move(options)), metrics_(metrics) {}

  void Loop();
  // One round: re-follows when the copied set changed, polls, writes. Errors: the reader's and
  // the store's.
  Status Round();

  const StandbyTailerOptions options_;
  EngineMetrics* const metrics_;
  std::unique_ptr<state::StandbyStore> store_;
  std::unique_ptr<connectors::PartitionReader> reader_;  // used by the thread only
  std::map<int32_t, prometheus::Gauge*> checkpoint_gauges_;

  std::mutex mu_;
  std::condition_variable wake_;
  // The partitions being copied and where each copy stands.
  std::set<int32_t> copied_;                     // GUARDED_BY(mu_)
  std::map<int32_t, state::StandbyMark> marks_;  // GUARDED_BY(mu_)
  // copied_ changed since the reader was last told.
  bool refollow_ = true;  // GUARDED_BY(mu_)
  bool stop_ = false;     // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace touchstream::engine
