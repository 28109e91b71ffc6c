// PartitionRestore: makes the local store hold the current state of the customers of an input
// partition before that partition is processed, and drops it when the partition is revoked.
//
// Restore (a Kafka Streams-style restore from the changelog written by ChangelogWriter):
// reads changelog partition p from the store's checkpoint for it (the changelog offset up to
// which the store is known to hold the changelog's content; from the start when none) to its
// end, keeping the last record per key. When the records account for more input than the store
// (a header's next offset above the store's offset for that input topic and partition, or the
// store has none), the store is behind: every customer read is replaced (a tombstone deletes
// it), its old timers deleted and the timers its restored `timers` map names re-armed from the
// timer records, and each input offset set to the largest next offset the headers name. Else
// the store is current (it wrote those records) and is kept. Either way the checkpoint becomes
// the changelog's end. Changes are committed in batches; offsets and checkpoint in the last.
//
// A standby copy of the partition (StandbyTailer::TakeOver), when given and further along than
// the store's checkpoint, stands in for the changelog up to its own checkpoint: its records seed
// the last-record-per-key maps and the read starts at its checkpoint, so only the tail is read.
//
// Drop: deletes from the store every customer of the given partitions, with their timers, the
// input offsets of those partitions and their checkpoints, so that a revoked partition's
// customers are neither served, nor swept, nor fired by this instance, and a later assignment
// restores them afresh.
//
// Cancellation: Restore stops at the next changelog poll or commit batch once `*cancel` is set
// (RestoreWorker sets it when the partition is revoked mid-restore, or at a stop); the store may
// then hold part of the partition's restored customers, with its offsets and checkpoint
// unchanged, and the caller drops the partition (Drop) or restores it again later.
//
// Thread safety: an instance is used by one thread at a time. Restore writes only customers,
// timers and offsets of its partition, so it may run on another thread than the one processing
// the other partitions, with the same store (StateStore: Commit from two threads).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "state/state_store.h"

namespace touchstream::connectors {
class PartitionReader;
}

namespace touchstream::engine {

struct RestoreStats {
  // Changelog records read, and customers written to the store (0 when the store was current).
  int64_t records_read = 0;
  int64_t customers_applied = 0;
  int64_t timers_applied = 0;
  // Records (keys) taken from a standby copy instead of the changelog; 0 without one.
  int64_t records_from_standby = 0;
};

// The changelog of a partition up to `checkpoint`, folded to the last record per key
// (nullopt: a tombstone), as a standby copy holds it.
struct RestoreSeed {
  int64_t checkpoint = 0;
  std::map<std::string, std::optional<std::string>> customers;
  // Keyed by ChangelogTimerKey.
  std::map<std::string, std::optional<std::string>> timers;
  // Input topic -> the largest input next offset the records named.
  std::map<std::string, int64_t> next_offsets;
};

class PartitionRestore {
 public:
  // `reader` and `store` must outlive this. `partition_of` maps a customer id to its partition.
  PartitionRestore(connectors::PartitionReader* reader, state::StateStore* store,
                   std::string changelog_topic, std::vector<std::string> input_topics,
                   std::function<int32_t(std::string_view)> partition_of);

  // Restores partition `partition` as described above, from `seed` (may be null; consumed when
  // used) and the changelog after it. Errors: the reader's (Unavailable naming the changelog
  // partition) and the store's; the store is unchanged when reading fails. Once `cancel` (may
  // be null) is set: Unavailable saying the restore of the partition was cancelled.
  Result<RestoreStats> Restore(int32_t partition, RestoreSeed* seed = nullptr,
                               const std::atomic<bool>* cancel = nullptr);

  // Drops the partitions' customers, timers, offsets and checkpoints. Errors: the store's.
  Status Drop(const std::set<int32_t>& partitions);

 private:
  connectors::PartitionReader* reader_;
  state::StateStore* store_;
  std::string changelog_topic_;
  std::vector<std::string> input_topics_;
  std::function<int32_t(std::string_view)> partition_of_;
};

}  // namespace touchstream::engine
