// StateStore: where the engine keeps customer states, consumed offsets, the outbox and timers.
//
// Everything a processing step changes is applied by one atomic Commit, so after a crash the
// store holds either all of a step's effects (state, offsets, outbox entries, timers) or none.
// Implementations: OpenRocksDbStore (rocksdb_store.h) and NewInMemoryStore (in_memory_store.h,
// for unit tests of other layers). Both behave identically.
//
// Thread safety: reads and Commit may be called from two threads at once when the threads
// change disjoint sets of customers and timers and at most one of them adds outbox entries or
// impact counters: the processing thread, and a restore writing the customers of a partition
// the processing thread does not touch (RestoreWorker). Commits are serialized; a reader sees
// each commit whole or not at all (RocksDB's atomic write; the in-memory store's lock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "state/commit_batch.h"
#include "state/store_stats.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Loads a customer into *out, upgraded to the current schema version (DecodeCustomer,
  // state/customer_codec.h). Ok when found; NotFound when absent (*out untouched); Corruption
  // when the stored bytes do not decode (the message names the key); InvalidArgument when they
  // have a newer schema version than this build knows; IOError when the store cannot be read.
  virtual Status GetCustomer(std::string_view customer_id, v1::CustomerState* out) = 0;

  // Applies every operation of `batch` atomically, in batch order: all or nothing.
  // Outbox entries get consecutive increasing sequence numbers, appended to
  // *outbox_sequences (may be null) in batch order. The counter is persisted with the batch,
  // so sequences increase across restarts and are never reused. Errors: InvalidArgument when
  // batch.Validate() fails, IOError when the write fails; in both cases nothing is applied
  // and *outbox_sequences is unchanged.
  virtual Status Commit(const CommitBatch& batch, std::vector<uint64_t>* outbox_sequences) = 0;

  // The stored next offset to consume for a partition, or nullopt when none is stored (or
  // the stored value cannot be read or decoded).
  virtual std::optional<int64_t> GetOffset(std::string_view topic, int32_t partition) = 0;

  // Calls fn for every outbox entry in sequence order. Errors: Corruption (an entry does not
  // decode; entries before it were visited), IOError.
  virtual Status ForEachOutbox(
      const std::function<void(uint64_t sequence, const v1::OutboxEntry&)>& fn) = 0;

  // Calls fn for every customer in customer id (byte) order until fn returns false, each
  // decoded as GetCustomer does. Errors: GetCustomer's, and IOError; the scan stops at the
  // first error (customers before it were visited).
  virtual Status ForEachCustomer(const std::function<bool(const v1::CustomerState&)>& fn) = 0;
  // The same from the first customer whose id is >= first_id (for scans resumed in steps).
  virtual Status ForEachCustomerFrom(std::string_view first_id,
                                     const std::function<bool(const v1::CustomerState&)>& fn) = 0;

  // Appends to *out the timers with fire_ms <= up_to_ms, in (fire_ms, customer_id, name)
  // order, at most `limit` of them. Timers stay stored until deleted by a commit.
  // Errors: Corruption, IOError (*out may then hold the timers read before the error).
  virtual Status DueTimers(int64_t up_to_ms, size_t limit, std::vector<v1::Timer>* out) = 0;

  // Calls fn for the impact counters of every (rule id, arm) added by commits, in (rule id,
  // arm) byte order. Errors: Corruption, IOError, as for ForEachOutbox.
  virtual Status ForEachImpactCounts(
      const std::function<void(const std::string& rule_id, const std::string& arm,
                               const v1::ImpactCounts& counts)>& fn) = 0;

  // Writes memtables to disk files (RocksDB); a no-op in memory. Errors: IOError.
  virtual Status Flush() = 0;

  // The store's resource use (RocksDB properties), read now; cheap enough to call every few
  // seconds. nullopt from stores that have none to report (the in-memory store).
  virtual std::optional<StoreStats> Stats() { return std::nullopt; }
};

}  // namespace touchstream::state
