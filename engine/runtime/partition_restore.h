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
// the last-record-per-key maps, its batch marks the BatchTally, and the read starts at its
// checkpoint, so only the tail is read and the input offsets are those of a full read.
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
#include "state/standby_store.h"
#include "state/state_store.h"

namespace touchstream::connectors {
class PartitionReader;
struct SourceRecord;
}  // namespace touchstream::connectors

namespace touchstream::engine {

struct RestoreStats {
  // Changelog records read, and customers written to the store (0 when the store was current).
  int64_t records_read = 0;
  int64_t customers_applied = 0;
  int64_t timers_applied = 0;
  // Records (keys) taken from a standby copy instead of the changelog; 0 without one.
  int64_t records_from_standby = 0;
};

// What a changelog record's headers say (changelog_writer.h): its kind, its batch and the
// input its state accounts for.
struct ChangelogRecordInfo {
  bool timer = false;
  bool impact = false;
  // "<writer id>:<batch number>", and the records the batch has on the partition; a record
  // without the batch header (older writers) is a batch of its own ("record:<offset>", 1).
  std::string batch_id;
  int64_t announced = 1;
  // Input topic -> next input offset (unparsable values are left out).
  std::map<std::string, int64_t> next_offsets;
};
ChangelogRecordInfo ParseChangelogRecord(const connectors::SourceRecord& record);

// The input offsets a changelog partition accounts for, counted as a restore counts them: only
// batches read whole name input (a batch read in part, e.g. the last one of a writer killed
// while delivering it, names none). Fed record by record in changelog order; a standby copy
// keeps it in its mark (state::StandbyMark) so that its takeover counts as a full restore does.
class BatchTally {
 public:
  BatchTally() = default;
  // Continues from a copy's mark: its whole batches' offsets and its open batches.
  BatchTally(std::map<std::string, int64_t> whole, std::map<std::string, state::StandbyBatch> open)
      : whole_(std::move(whole)), open_(std::move(open)) {}

  // Counts one record of `info`'s batch; its offsets join whole() once the batch is whole.
  void Add(const ChangelogRecordInfo& info);

  // Input topic -> the largest next offset named by the batches read whole.
  const std::map<std::string, int64_t>& whole() const { return whole_; }
  // The batches read in part. Those whose offsets whole() already covers are forgotten (they
  // can change nothing), so a killed writer's batch is not kept for good.
  const std::map<std::string, state::StandbyBatch>& open() const { return open_; }

 private:
  std::map<std::string, int64_t> whole_;
  std::map<std::string, state::StandbyBatch> open_;
};

// The changelog of a partition up to `checkpoint`, folded to the last record per key
// (nullopt: a tombstone), as a standby copy holds it.
struct RestoreSeed {
  int64_t checkpoint = 0;
  std::map<std::string, std::optional<std::string>> customers;
  // Keyed by ChangelogTimerKey.
  std::map<std::string, std::optional<std::string>> timers;
  // Input topic -> the largest input next offset named by the batches copied whole, and the
  // batches copied in part (BatchTally).
  std::map<std::string, int64_t> next_offsets;
  std::map<std::string, state::StandbyBatch> open_batches;
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
