// The state store's resource use: StoreStats read from a real RocksDB store, and the
// touchstream_store_* gauges StoreMetrics makes of them.
#include "engine/ops/store_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "state/in_memory_store.h"
#include "state/rocksdb_store.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::engine {
namespace {

const state::StoreStats::ColumnFamily* Find(const state::StoreStats& stats,
                                            const std::string& name) {
  for (const auto& cf : stats.column_families) {
    if (cf.name == name) return &cf;
  }
  return nullptr;
}

// Commits `n` customers of ~1 KB each.
void PutCustomers(state::StateStore& store, int n) {
  state::CommitBatch batch;
  for (int i = 0; i < n; ++i) {
    v1::CustomerState customer;
    customer.set_customer_id("c-" + std::to_string(i));
    (*customer.mutable_profile())["note"].set_string_value(
        std::string(1000, static_cast<char>('a' + i % 26)));
    batch.PutCustomer(customer);
  }
  ASSERT_TRUE(store.Commit(batch, nullptr).ok());
}

// Memtables fill on commit, SST files appear on flush, the block cache has the configured
// capacity, and nothing stalls.
TEST(StoreStatsTest, RocksDbReportsItsProperties) {
  test::TempDir dir("store-stats");
  state::RocksDbStoreOptions options;
  options.path = dir.File("db");
  options.block_cache_bytes = 8 << 20;
  auto store = state::OpenRocksDbStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  PutCustomers(**store, 500);

  auto before_flush = (*store)->Stats();
  ASSERT_TRUE(before_flush.has_value());
  const auto* customers = Find(*before_flush, "customers");
  ASSERT_NE(customers, nullptr);
  EXPECT_GT(customers->memtable_bytes, 500u * 1000);
  EXPECT_EQ(customers->live_sst_bytes, 0u);
  EXPECT_EQ(customers->estimated_keys, 500u);
  for (const char* name : {"timers", "timer_index", "outbox", "meta", "default"}) {
    EXPECT_NE(Find(*before_flush, name), nullptr) << name;
  }
  EXPECT_EQ(before_flush->block_cache_capacity_bytes, 8u << 20);
  EXPECT_EQ(before_flush->delayed_write_rate, 0u);
  EXPECT_FALSE(before_flush->write_stopped);

  ASSERT_TRUE((*store)->Flush().ok());
  v1::CustomerState read;
  ASSERT_TRUE((*store)->GetCustomer("c-7", &read).ok());
  auto after_flush = (*store)->Stats();
  ASSERT_TRUE(after_flush.has_value());
  customers = Find(*after_flush, "customers");
  EXPECT_GT(customers->live_sst_bytes, 0u);
  EXPECT_LT(customers->memtable_bytes, Find(*before_flush, "customers")->memtable_bytes);
  EXPECT_GT(after_flush->block_cache_usage_bytes, 0u);
}

// A store with nothing to report (in memory) says so.
TEST(StoreStatsTest, InMemoryStoreHasNone) {
  EXPECT_FALSE(state::NewInMemoryStore()->Stats().has_value());
}

// Every figure becomes its gauge, per column family where it is one.
TEST(StoreMetricsTest, SetsGauges) {
  prometheus::Registry registry;
  StoreMetrics metrics(registry);
  state::StoreStats stats;
  stats.column_families.push_back({"customers", 1000, 200, 30, 4});
  stats.column_families.push_back({"outbox", 10, 20, 0, 1});
  stats.block_cache_usage_bytes = 500;
  stats.block_cache_capacity_bytes = 4096;
  stats.delayed_write_rate = 16 << 20;
  stats.write_stopped = true;
  metrics.Set(stats);

  std::map<std::string, double> values;
  for (const auto& family : registry.Collect()) {
    for (const auto& metric : family.metric) {
      std::string key = family.name;
      for (const auto& label : metric.label) key += "{" + label.value + "}";
      values[key] = metric.gauge.value;
    }
  }
  EXPECT_EQ(values, (std::map<std::string, double>{
                        {"touchstream_store_live_sst_bytes{customers}", 1000},
                        {"touchstream_store_live_sst_bytes{outbox}", 10},
                        {"touchstream_store_memtable_bytes{customers}", 200},
                        {"touchstream_store_memtable_bytes{outbox}", 20},
                        {"touchstream_store_pending_compaction_bytes{customers}", 30},
                        {"touchstream_store_pending_compaction_bytes{outbox}", 0},
                        {"touchstream_store_estimated_keys{customers}", 4},
                        {"touchstream_store_estimated_keys{outbox}", 1},
                        {"touchstream_store_block_cache_usage_bytes", 500},
                        {"touchstream_store_block_cache_capacity_bytes", 4096},
                        {"touchstream_store_delayed_write_rate_bytes", 16 << 20},
                        {"touchstream_store_write_stopped", 1},
                    }));
  // Set again: the same series take the new values.
  stats.write_stopped = false;
  metrics.Set(stats);
  for (const auto& family : registry.Collect()) {
    if (family.name == "touchstream_store_write_stopped") {
      ASSERT_EQ(family.metric.size(), 1u);
      EXPECT_EQ(family.metric.front().gauge.value, 0);
    }
  }
}

}  // namespace
}  // namespace touchstream::engine
