#include "engine/ops/store_metrics.h"

namespace touchstream::engine {

namespace {

prometheus::Family<prometheus::Gauge>* GaugeFamily(prometheus::Registry& registry,
                                                   const std::string& name,
                                                   const std::string& help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

}  // namespace

StoreMetrics::StoreMetrics(prometheus::Registry& registry)
    : live_sst_(GaugeFamily(registry, "touchstream_store_live_sst_bytes",
                            "Bytes of the state store's live SST files, by column family "
                            "(rocksdb.live-sst-files-size).")),
      memtable_(GaugeFamily(registry, "touchstream_store_memtable_bytes",
                            "Bytes of the state store's memtables, by column family "
                            "(rocksdb.cur-size-all-mem-tables).")),
      pending_compaction_(GaugeFamily(registry, "touchstream_store_pending_compaction_bytes",
                                      "Bytes compaction must rewrite, by column family "
                                      "(rocksdb.estimate-pending-compaction-bytes).")),
      estimated_keys_(GaugeFamily(registry, "touchstream_store_estimated_keys",
                                  "Estimated keys, by column family (rocksdb.estimate-num-keys; "
                                  "overwrites not yet compacted count).")),
      block_cache_usage_(GaugeFamily(registry, "touchstream_store_block_cache_usage_bytes",
                                     "Bytes in the state store's block cache "
                                     "(rocksdb.block-cache-usage).")),
      block_cache_capacity_(GaugeFamily(registry, "touchstream_store_block_cache_capacity_bytes",
                                        "Capacity of the state store's block cache "
                                        "(rocksdb.block-cache-capacity).")),
      delayed_write_rate_(GaugeFamily(registry, "touchstream_store_delayed_write_rate_bytes",
                                      "Bytes per second RocksDB slows writes to during a write "
                                      "stall (rocksdb.actual-delayed-write-rate); 0 when writes "
                                      "are not delayed.")),
      write_stopped_(GaugeFamily(registry, "touchstream_store_write_stopped",
                                 "1 while RocksDB stops writes until compaction catches up "
                                 "(rocksdb.is-write-stopped), else 0.")) {}

void StoreMetrics::Set(const state::StoreStats& stats) {
  for (const state::StoreStats::ColumnFamily& cf : stats.column_families) {
    const prometheus::Labels labels{{"column_family", cf.name}};
    live_sst_->Add(labels).Set(static_cast<double>(cf.live_sst_bytes));
    memtable_->Add(labels).Set(static_cast<double>(cf.memtable_bytes));
    pending_compaction_->Add(labels).Set(static_cast<double>(cf.pending_compaction_bytes));
    estimated_keys_->Add(labels).Set(static_cast<double>(cf.estimated_keys));
  }
  block_cache_usage_->Add({}).Set(static_cast<double>(stats.block_cache_usage_bytes));
  block_cache_capacity_->Add({}).Set(static_cast<double>(stats.block_cache_capacity_bytes));
  delayed_write_rate_->Add({}).Set(static_cast<double>(stats.delayed_write_rate));
  write_stopped_->Add({}).Set(stats.write_stopped ? 1 : 0);
}

}  // namespace touchstream::engine
