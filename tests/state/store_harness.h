// Store harnesses for the behaviour suite run against every StateStore implementation:
// Open() gives the store, Reopen() simulates a restart (a real close and open for RocksDB; the
// same object for the in-memory store, which has nothing to persist).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "state/in_memory_store.h"
#include "state/rocksdb_store.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::state::testing {

class RocksDbHarness {
 public:
  static constexpr char kName[] = "RocksDb";

  StateStore* Open() {
    store_.reset();
    RocksDbStoreOptions options;
    options.path = dir_.File("db");
    options.block_cache_bytes = 1 << 20;
    options.write_buffer_bytes = 1 << 20;
    Result<std::unique_ptr<StateStore>> opened = OpenRocksDbStore(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) store_ = std::move(*opened);
    return store_.get();
  }
  StateStore* Reopen() { return Open(); }

 private:
  test::TempDir dir_;
  std::unique_ptr<StateStore> store_;
};

class InMemoryHarness {
 public:
  static constexpr char kName[] = "InMemory";

  StateStore* Open() {
    store_ = NewInMemoryStore();
    return store_.get();
  }
  StateStore* Reopen() { return store_.get(); }

 private:
  std::unique_ptr<StateStore> store_;
};

}  // namespace touchstream::state::testing
