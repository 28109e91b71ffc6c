// StoreMetrics: the state store's resource use (state::StoreStats, RocksDB properties) as
// touchstream_store_* gauges in a registry:
//   touchstream_store_live_sst_bytes{column_family}          rocksdb.live-sst-files-size
//   touchstream_store_memtable_bytes{column_family}          rocksdb.cur-size-all-mem-tables
//   touchstream_store_pending_compaction_bytes{column_family}
//   rocksdb.estimate-pending-compaction-bytes touchstream_store_estimated_keys{column_family}
//   rocksdb.estimate-num-keys touchstream_store_block_cache_usage_bytes,
//   touchstream_store_block_cache_capacity_bytes touchstream_store_delayed_write_rate_bytes
//   rocksdb.actual-delayed-write-rate touchstream_store_write_stopped rocksdb.is-write-stopped (0
//   or 1)
// The series appear at the first Set (a store with no stats, in memory, has none).
//
// Thread safety: Set from one thread at a time; the registry may be scraped concurrently.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "state/store_stats.h"

namespace touchstream::engine {

class StoreMetrics {
 public:
  // Registers the families in `registry`, which must outlive this object.
  explicit StoreMetrics(prometheus::Registry& registry);

  // Sets every gauge to `stats` (called every few seconds, off the per-event path).
  void Set(const state::StoreStats& stats);

 private:
  prometheus::Family<prometheus::Gauge>* live_sst_;
  prometheus::Family<prometheus::Gauge>* memtable_;
  prometheus::Family<prometheus::Gauge>* pending_compaction_;
  prometheus::Family<prometheus::Gauge>* estimated_keys_;
  prometheus::Family<prometheus::Gauge>* block_cache_usage_;
  prometheus::Family<prometheus::Gauge>* block_cache_capacity_;
  prometheus::Family<prometheus::Gauge>* delayed_write_rate_;
  prometheus::Family<prometheus::Gauge>* write_stopped_;
};

}  // namespace touchstream::engine
