// StoreStats: what a state store reports about its own resource use, for monitoring
// (engine/ops/store_metrics.h turns it into gauges). Plain values, copied out of the store: no
// RocksDB (or Prometheus) type appears here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace touchstream::state {

struct StoreStats {
  // Per column family (customers, timers, timer_index, outbox, meta, default).
  struct ColumnFamily {
    std::string name;
    // rocksdb.live-sst-files-size: bytes of the SST files the current version uses.
    uint64_t live_sst_bytes = 0;
    // rocksdb.cur-size-all-mem-tables: active and unflushed immutable memtables.
    uint64_t memtable_bytes = 0;
    // rocksdb.estimate-pending-compaction-bytes: bytes compaction must rewrite to bring every
    // level under its target size (grows when compaction falls behind writes).
    uint64_t pending_compaction_bytes = 0;
    // rocksdb.estimate-num-keys (an estimate: deletions and overwrites not yet compacted
    // count).
    uint64_t estimated_keys = 0;
  };
  std::vector<ColumnFamily> column_families;
  // rocksdb.block-cache-usage and rocksdb.block-cache-capacity of the one LRU cache every
  // column family shares (counted once).
  uint64_t block_cache_usage_bytes = 0;
  uint64_t block_cache_capacity_bytes = 0;
  // rocksdb.actual-delayed-write-rate: the rate (bytes/s) writes are slowed to while RocksDB
  // delays them (a write stall); 0 when writes are not delayed.
  uint64_t delayed_write_rate = 0;
  // rocksdb.is-write-stopped: writes are stopped until compaction or flush catches up.
  bool write_stopped = false;
};

}  // namespace touchstream::state
