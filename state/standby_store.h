// StandbyStore: a durable copy of changelog partitions an instance does not own (standby
// partitions, docs/scaling-out.md): per partition, the latest value of every key (a deleted key
// is kept as a tombstone, so that a copy handed over also deletes), and a mark: the changelog
// offset up to which the copy holds the partition (its checkpoint), the input offsets the
// batches copied whole account for and the batches copied in part. Kept apart from the StateStore
// on purpose: nothing in it is served, fired (timers) or swept until its partition is taken over
// and restored into the StateStore.
//
// Keys and values are opaque bytes. One RocksDB directory of its own; writes are atomic per
// Apply and not fsynced (a crash may lose the last Applies, never split one).
//
// Thread-safe: Apply, GetMark and ForEach may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace touchstream::state {

// A changelog batch (the writer's commit, engine/runtime/changelog_writer.h) of which only part
// of the records on the partition was copied yet.
struct StandbyBatch {
  // Records the batch has on the partition, and records of it copied.
  int64_t announced = 0;
  int64_t read = 0;
  // Input topic -> the largest input next offset its copied records named.
  std::map<std::string, int64_t> next_offsets;
};

// Where a partition's copy stands.
struct StandbyMark {
  // The changelog offset of the next record to copy.
  int64_t checkpoint = 0;
  // Input topic -> the largest input next offset named by the batches copied whole (the input
  // the copy accounts for, as a restore that read the same records counts it).
  std::map<std::string, int64_t> next_offsets;
  // Batch id -> a batch copied in part: its offsets count once its last record is copied.
  std::map<std::string, StandbyBatch> open_batches;
};

// One key's new value; nullopt deletes it (kept as a tombstone).
struct StandbyEntry {
  int32_t partition = 0;
  std::string key;
  std::optional<std::string> value;
};

class StandbyStore {
 public:
  // Opens (creating when missing) the store at `path` (its parent must exist). Errors:
  // InvalidArgument for an empty path; IOError naming the path when RocksDB cannot open it
  // (e.g. another process holds it).
  static Result<std::unique_ptr<StandbyStore>> Open(const std::string& path);
  virtual ~StandbyStore() = default;

  // Writes `entries` (in order) and `marks` (partition -> its new mark) atomically. Errors:
  // IOError; nothing is written then.
  virtual Status Apply(const std::vector<StandbyEntry>& entries,
                       const std::map<int32_t, StandbyMark>& marks) = 0;

  // The partition's mark; nullopt when none was written. Errors: Corruption naming the
  // partition, IOError.
  virtual Result<std::optional<StandbyMark>> GetMark(int32_t partition) = 0;

  // Calls fn for every key of the partition (key byte order) with its value, nullopt for a
  // tombstone. Errors: Corruption, IOError (keys before it were visited).
  virtual Status ForEach(
      int32_t partition,
      const std::function<void(std::string_view key, const std::optional<std::string>& value)>&
          fn) = 0;
};

}  // namespace touchstream::state
