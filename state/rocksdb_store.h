// The RocksDB-backed StateStore: durable customer states, offsets, outbox and timers in one
// database directory, committed atomically through one WriteBatch per Commit. The on-disk
// layout (column families, key formats) is documented at the top of rocksdb_store.cc.
//
// Thread safety: a store is used by one thread (the partition's processing thread).
// RocksDB headers are deliberately kept out of this header.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "state/state_store.h"

namespace touchstream::state {

struct RocksDbStoreOptions {
  // Database directory, created when missing (its parent must exist). Required.
  std::string path;
  // LRU block cache shared by all column families. Default 64 MiB.
  size_t block_cache_bytes = 64 << 20;
  // Memtable size of each column family (memory is allocated as it fills). Default 32 MiB.
  size_t write_buffer_bytes = 32 << 20;
  // fsync the WAL at every Commit. Default false: the WAL is always written, so commits
  // survive a process crash; with true they also survive an OS crash or power loss.
  bool sync_commits = false;
  // Bloom filter bits per key on customer (and timer index) lookups. Default 10 (~1% false
  // positives); 0 disables the filter.
  int bloom_bits_per_key = 10;
};

// Opens (creating when missing) the store at options.path. Errors: InvalidArgument when path
// is empty or the store was written with a newer format than this build knows; Corruption when
// its metadata is unreadable; IOError (or what RocksDB reports) when it cannot be opened, e.g.
// because another store object or process holds it.
Result<std::unique_ptr<StateStore>> OpenRocksDbStore(const RocksDbStoreOptions& options);

}  // namespace touchstream::state
