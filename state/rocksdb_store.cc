// RocksDB state store.
//
// Layout (format version 1; all integers 8-byte big-endian so byte order is numeric order):
//   column family "customers":   <customer_id bytes>                    -> CustomerState protobuf
//   column family "timers":      <fire_ms><customer_id>'\0'<name>        -> Timer protobuf
//   column family "timer_index": <customer_id>'\0'<name>                 -> <fire_ms>
//   column family "outbox":      <sequence>                              -> OutboxEntry protobuf
//   column family "meta":        "offset/<topic>/<partition>"            -> <next offset to
//   consume>
//                                "outbox_seq"                            -> <next sequence to
//                                assign> "schema_version"                        -> <store format
//                                version>
//                                "impact/<rule_id>/<arm>"                -> ImpactCounts protobuf
//   ("default" exists because RocksDB requires it, and stays empty.)
// Due timers are one range scan of "timers" from the start. "timer_index" maps a timer's
// identity to its current fire_ms, so re-arming a timer deletes its old "timers" key in the same
// WriteBatch. Customer ids and timer names never contain '\0' (CommitBatch::Validate), and
// fire_ms is never negative, so keys are unambiguous and ordered (fire_ms, customer_id, name).
// "schema_version" is written when the store is created; a store with a larger version than
// layout::kFormatVersion is refused at open.
//
// Tuning: one LRU block cache shared by all column families, half of it reserved for index
// and filter blocks; partitioned indexes and filters with pinned top levels, so a cold lookup
// reads small metadata blocks; whole-key Bloom filters on the point-lookup column families
// (customers, timer_index), without optimize_filters_for_hits because lookups of new customers
// miss often; compaction on deletions for the queue-like "timers" and
// "outbox", whose fired/delivered heads would otherwise leave long tombstone runs to skip.
#include "state/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "state/customer_codec.h"
#include "state/rocksdb_layout.h"

namespace touchstream::state {

namespace {

Status FromRocks(const rocksdb::Status& status, const std::string& context) {
  if (status.ok()) return Status::Ok();
  std::string message = context + ": " + status.ToString();
  if (status.IsNotFound()) return Status::NotFound(std::move(message));
  if (status.IsCorruption()) return Status::Corruption(std::move(message));
  if (status.IsInvalidArgument()) return Status::InvalidArgument(std::move(message));
  if (status.IsBusy() || status.IsTryAgain() || status.IsTimedOut()) {
    return Status::Unavailable(std::move(message));
  }
  return Status::IOError(std::move(message));
}

rocksdb::Slice ToSlice(std::string_view bytes) {
  return {bytes.data(), bytes.size()};
}

// Printable form of a binary key for messages.
std::string Printable(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

Status CorruptValue(std::string_view column_family, std::string_view key) {
  return Status::Corruption("undecodable value in column family '" + std::string(column_family) +
                            "' at key '" + Printable(key) + "'");
}

// The open database and its column family handles, closed in the right order: handles are
// destroyed before the database is closed and deleted.
class OpenDatabase {
 public:
  OpenDatabase(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles) : db_(db) {
    for (rocksdb::ColumnFamilyHandle* handle : handles) handles_.emplace_back(handle);
  }
  OpenDatabase(const OpenDatabase&) = delete;
  OpenDatabase& operator=(const OpenDatabase&) = delete;
  ~OpenDatabase() {
    handles_.clear();
    // Every commit is in the WAL already; a failed close loses nothing committed, and a
    // destructor has no one to report to.
    db_->Close().PermitUncheckedError();
  }

  rocksdb::DB* db() const { return db_.get(); }
  // The handle of the column family named `name` (which must have been opened).
  rocksdb::ColumnFamilyHandle* Handle(std::string_view name) const {
    for (const auto& handle : handles_) {
      if (handle->GetName() == name) return handle.get();
    }
    return nullptr;
  }
  std::vector<rocksdb::ColumnFamilyHandle*> AllHandles() const {
    std::vector<rocksdb::ColumnFamilyHandle*> all;
    for (const auto& handle : handles_) all.push_back(handle.get());
    return all;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::unique_ptr<rocksdb::ColumnFamilyHandle>> handles_;
};

// Used by one thread (no locking). Commit holds the batch's bytes once more, in the WriteBatch,
// only while it writes; values are read into pinned slices and decoded in place.
class RocksDbStore final : public StateStore {
 public:
  RocksDbStore(std::unique_ptr<OpenDatabase> database, bool sync_commits,
               uint64_t next_outbox_sequence)
      : database_(std::move(database)),
        db_(database_->db()),
        customers_(database_->Handle(layout::kCustomers)),
        timers_(database_->Handle(layout::kTimers)),
        timer_index_(database_->Handle(layout::kTimerIndex)),
        outbox_(database_->Handle(layout::kOutbox)),
        meta_(database_->Handle(layout::kMeta)),
        next_outbox_sequence_(next_outbox_sequence) {
    write_options_.sync = sync_commits;
  }

  Status GetCustomer(std::string_view customer_id, v1::CustomerState* out) override {
    rocksdb::PinnableSlice value;
    rocksdb::Status status =
        db_->Get(rocksdb::ReadOptions(), customers_, ToSlice(customer_id), &value);
    if (status.IsNotFound()) {
      return Status::NotFound("customer '" + std::string(customer_id) + "'");
    }
    if (!status.ok()) return FromRocks(status, "get customer '" + std::string(customer_id) + "'");
    return DecodeCustomer(customer_id, value.ToStringView(), out);
  }

  Status Commit(const CommitBatch& batch, std::vector<uint64_t>* outbox_sequences) override {
    if (Status valid = batch.Validate(); !valid.ok()) return valid;
    rocksdb::WriteBatch write_batch;
    uint64_t next_sequence = next_outbox_sequence_;
    PendingTimers pending_timers;
    for (const CommitBatch::Operation& operation : batch.operations()) {
      Status status = std::visit(
          [&](const auto& op) { return Apply(op, &write_batch, &next_sequence, &pending_timers); },
          operation);
      if (!status.ok()) return status;
    }
    if (Status status = ApplyImpactCounts(batch, &write_batch); !status.ok()) return status;
    if (next_sequence != next_outbox_sequence_) {
      rocksdb::Status status = write_batch.Put(meta_, ToSlice(layout::kOutboxSequenceKey),
                                               layout::EncodeUint64(next_sequence));
      if (!status.ok()) return FromRocks(status, "commit");
    }
    rocksdb::Status status = db_->Write(write_options_, &write_batch);
    if (!status.ok()) return FromRocks(status, "commit");
    if (outbox_sequences != nullptr) {
      for (uint64_t sequence = next_outbox_sequence_; sequence < next_sequence; ++sequence) {
        outbox_sequences->push_back(sequence);
      }
    }
    next_outbox_sequence_ = next_sequence;
    return Status::Ok();
  }

  std::optional<int64_t> GetOffset(std::string_view topic, int32_t partition) override {
    std::string value;
    rocksdb::Status status =
        db_->Get(rocksdb::ReadOptions(), meta_, layout::OffsetKey(topic, partition), &value);
    if (!status.ok()) return std::nullopt;
    std::optional<uint64_t> offset = layout::DecodeUint64(value);
    if (!offset) return std::nullopt;
    return static_cast<int64_t>(*offset);
  }

  Status ForEachOutbox(
      const std::function<void(uint64_t sequence, const v1::OutboxEntry&)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), outbox_));
    v1::OutboxEntry entry;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::optional<uint64_t> sequence = layout::DecodeUint64(it->key().ToStringView());
      if (!sequence ||
          !entry.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return CorruptValue(layout::kOutbox, it->key().ToStringView());
      }
      fn(*sequence, entry);
    }
    return FromRocks(it->status(), "scan outbox");
  }

  Status ForEachCustomer(const std::function<bool(const v1::CustomerState&)>& fn) override {
    return ForEachCustomerFrom("", fn);
  }

  Status ForEachCustomerFrom(std::string_view first_id,
                             const std::function<bool(const v1::CustomerState&)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), customers_));
    v1::CustomerState state;
    for (it->Seek(ToSlice(first_id)); it->Valid(); it->Next()) {
      Status decoded = DecodeCustomer(it->key().ToStringView(), it->value().ToStringView(), &state);
      if (!decoded.ok()) return decoded;
      if (!fn(state)) return Status::Ok();
    }
    return FromRocks(it->status(), "scan customers");
  }

  Status ForEachImpactCounts(const std::function<void(const std::string&, const std::string&,
                                                      const v1::ImpactCounts&)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
    v1::ImpactCounts counts;
    for (it->Seek(ToSlice(layout::kImpactPrefix));
         it->Valid() && it->key().starts_with(ToSlice(layout::kImpactPrefix)); it->Next()) {
      const std::string_view key = it->key().ToStringView().substr(layout::kImpactPrefix.size());
      const size_t slash = key.find('/');
      if (slash == key.npos ||
          !counts.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return CorruptValue(layout::kMeta, it->key().ToStringView());
      }
      fn(std::string(key.substr(0, slash)), std::string(key.substr(slash + 1)), counts);
    }
    return FromRocks(it->status(), "scan impact counters");
  }

  Status DueTimers(int64_t up_to_ms, size_t limit, std::vector<v1::Timer>* out) override {
    if (up_to_ms < 0 || limit == 0) return Status::Ok();
    // Keys start with the big-endian fire_ms: everything below fire_ms = up_to_ms + 1 is due.
    // At INT64_MAX every key is due and the bound is left unset.
    std::string upper_key;
    rocksdb::Slice upper_bound;
    rocksdb::ReadOptions read_options;
    if (up_to_ms < INT64_MAX) {
      upper_key = layout::EncodeUint64(static_cast<uint64_t>(up_to_ms) + 1);
      upper_bound = upper_key;
      read_options.iterate_upper_bound = &upper_bound;
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, timers_));
    size_t found = 0;
    for (it->SeekToFirst(); it->Valid() && found < limit; it->Next(), ++found) {
      v1::Timer& timer = out->emplace_back();
      if (!timer.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        out->pop_back();
        return CorruptValue(layout::kTimers, it->key().ToStringView());
      }
    }
    return FromRocks(it->status(), "scan timers");
  }

  Status Flush() override {
    rocksdb::FlushOptions flush_options;
    flush_options.wait = true;
    return FromRocks(db_->Flush(flush_options, database_->AllHandles()), "flush");
  }

  std::optional<StoreStats> Stats() override {
    // A property RocksDB does not know reads as 0 (GetIntProperty returns false, value kept).
    const auto property = [this](rocksdb::ColumnFamilyHandle* cf, const std::string& name) {
      uint64_t value = 0;
      if (!db_->GetIntProperty(cf, name, &value)) value = 0;
      return value;
    };
    StoreStats stats;
    for (rocksdb::ColumnFamilyHandle* cf : database_->AllHandles()) {
      StoreStats::ColumnFamily& out = stats.column_families.emplace_back();
      out.name = cf->GetName();
      out.live_sst_bytes = property(cf, rocksdb::DB::Properties::kLiveSstFilesSize);
      out.memtable_bytes = property(cf, rocksdb::DB::Properties::kCurSizeAllMemTables);
      out.pending_compaction_bytes =
          property(cf, rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
      out.estimated_keys = property(cf, rocksdb::DB::Properties::kEstimateNumKeys);
    }
    rocksdb::ColumnFamilyHandle* any = db_->DefaultColumnFamily();
    stats.block_cache_usage_bytes = property(any, rocksdb::DB::Properties::kBlockCacheUsage);
    stats.block_cache_capacity_bytes = property(any, rocksdb::DB::Properties::kBlockCacheCapacity);
    stats.delayed_write_rate = property(any, rocksdb::DB::Properties::kActualDelayedWriteRate);
    stats.write_stopped = property(any, rocksdb::DB::Properties::kIsWriteStopped) != 0;
    return stats;
  }

 private:
  // fire_ms of timers changed earlier in the batch being committed (nullopt: deleted), by
  // timer_index key.
  using PendingTimers = std::map<std::string, std::optional<int64_t>, std::less<>>;

  // Impact counters are read, added to and written by ApplyImpactCounts, after the other
  // operations.
  Status Apply(const CommitBatch::AddImpactCountsOp&, rocksdb::WriteBatch*, uint64_t*,
               PendingTimers*) {
    return Status::Ok();
  }
  // Sums the batch's impact deltas per key, adds them to the stored counters and puts the
  // totals into *write_batch.
  Status ApplyImpactCounts(const CommitBatch& batch, rocksdb::WriteBatch* write_batch) {
    std::map<std::string, v1::ImpactCounts> deltas;
    for (const CommitBatch::Operation& operation : batch.operations()) {
      if (const auto* op = std::get_if<CommitBatch::AddImpactCountsOp>(&operation)) {
        AddImpactCountsTo(op->delta, &deltas[layout::ImpactKey(op->rule_id, op->arm)]);
      }
    }
    for (auto& [key, total] : deltas) {
      std::string stored;
      rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), meta_, key, &stored);
      if (status.ok()) {
        v1::ImpactCounts previous;
        if (!previous.ParseFromString(stored)) return CorruptValue(layout::kMeta, key);
        AddImpactCountsTo(previous, &total);
      } else if (!status.IsNotFound()) {
        return FromRocks(status, "read impact counters '" + key + "'");
      }
      status = write_batch->Put(meta_, key, total.SerializeAsString());
      if (!status.ok()) return FromRocks(status, "commit");
    }
    return Status::Ok();
  }

  Status Apply(const CommitBatch::PutCustomerOp& op, rocksdb::WriteBatch* batch, uint64_t*,
               PendingTimers*) {
    return FromRocks(batch->Put(customers_, op.customer_id, op.encoded_state), "commit");
  }
  Status Apply(const CommitBatch::DeleteCustomerOp& op, rocksdb::WriteBatch* batch, uint64_t*,
               PendingTimers*) {
    return FromRocks(batch->Delete(customers_, op.customer_id), "commit");
  }
  Status Apply(const CommitBatch::PutOffsetOp& op, rocksdb::WriteBatch* batch, uint64_t*,
               PendingTimers*) {
    return FromRocks(batch->Put(meta_, layout::OffsetKey(op.topic, op.partition),
                                layout::EncodeUint64(static_cast<uint64_t>(op.next_offset))),
                     "commit");
  }
  Status Apply(const CommitBatch::AddOutboxOp& op, rocksdb::WriteBatch* batch,
               uint64_t* next_sequence, PendingTimers*) {
    return FromRocks(batch->Put(outbox_, layout::OutboxKey((*next_sequence)++), op.encoded_entry),
                     "commit");
  }
  Status Apply(const CommitBatch::RemoveOutboxOp& op, rocksdb::WriteBatch* batch, uint64_t*,
               PendingTimers*) {
    return FromRocks(batch->Delete(outbox_, layout::OutboxKey(op.sequence)), "commit");
  }
  Status Apply(const CommitBatch::PutTimerOp& op, rocksdb::WriteBatch* batch, uint64_t*,
               PendingTimers* pending) {
    std::string index_key = layout::TimerIndexKey(op.customer_id, op.name);
    std::optional<int64_t> current;
    if (Status status = CurrentFireMs(index_key, *pending, &current); !status.ok()) return status;
    rocksdb::Status status;
    if (current && *current != op.fire_ms) {
      status = batch->Delete(timers_, layout::TimerKey(*current, op.customer_id, op.name));
    }
    if (status.ok()) {
      status = batch->Put(timers_, layout::TimerKey(op.fire_ms, op.customer_id, op.name),
                          op.encoded_timer);
    }
    if (status.ok()) {
      status = batch->Put(timer_index_, index_key,
                          layout::EncodeUint64(static_cast<uint64_t>(op.fire_ms)));
    }
    (*pending)[std::move(index_key)] = op.fire_ms;
    return FromRocks(status, "commit");
  }
  Status Apply(const CommitBatch::DeleteTimerOp& op, rocksdb::WriteBatch* batch, uint64_t*,
               PendingTimers* pending) {
    std::string index_key = layout::TimerIndexKey(op.customer_id, op.name);
    std::optional<int64_t> current;
    if (Status status = CurrentFireMs(index_key, *pending, &current); !status.ok()) return status;
    rocksdb::Status status =
        batch->Delete(timers_, layout::TimerKey(op.fire_ms, op.customer_id, op.name));
    if (status.ok() && current == op.fire_ms) {
      status = batch->Delete(timer_index_, index_key);
      (*pending)[std::move(index_key)] = std::nullopt;
    }
    return FromRocks(status, "commit");
  }

  // The fire_ms a timer has as of the operations applied so far: from this batch's earlier
  // operations, else from the index in the database; nullopt when it is not armed.
  Status CurrentFireMs(const std::string& index_key, const PendingTimers& pending,
                       std::optional<int64_t>* fire_ms) {
    if (auto it = pending.find(index_key); it != pending.end()) {
      *fire_ms = it->second;
      return Status::Ok();
    }
    rocksdb::PinnableSlice value;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), timer_index_, index_key, &value);
    if (status.IsNotFound()) {
      *fire_ms = std::nullopt;
      return Status::Ok();
    }
    if (!status.ok()) return FromRocks(status, "read timer index");
    std::optional<uint64_t> decoded = layout::DecodeUint64(value.ToStringView());
    if (!decoded) return CorruptValue(layout::kTimerIndex, index_key);
    *fire_ms = static_cast<int64_t>(*decoded);
    return Status::Ok();
  }

  std::unique_ptr<OpenDatabase> database_;
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* customers_;
  rocksdb::ColumnFamilyHandle* timers_;
  rocksdb::ColumnFamilyHandle* timer_index_;
  rocksdb::ColumnFamilyHandle* outbox_;
  rocksdb::ColumnFamilyHandle* meta_;
  rocksdb::WriteOptions write_options_;
  // The sequence the next added outbox entry gets; persisted in meta "outbox_seq" by each
  // commit that adds entries.
  uint64_t next_outbox_sequence_;
};

rocksdb::ColumnFamilyOptions ColumnFamilyOptionsFor(std::string_view name,
                                                    const RocksDbStoreOptions& options,
                                                    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = options.write_buffer_bytes;
  cf_options.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = cache;
  // Partitioned index and filters: a cold point lookup reads one small index partition and one
  // filter partition (metadata_block_size each) instead of a whole SST's index and filter
  // (hundreds of KiB for a 64 MiB file), so a block cache much smaller than the metadata of all
  // files on disk no longer thrashes. The partitions live in the block cache at high priority
  // (so data blocks evict each other first); the top-level index and filter of every file are
  // pinned (a few KiB per file), and all metadata of level-0 files.
  table_options.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table_options.metadata_block_size = 4096;
  table_options.cache_index_and_filter_blocks = true;
  table_options.cache_index_and_filter_blocks_with_high_priority = true;
  table_options.pin_top_level_index_and_filter = true;
  table_options.pin_l0_filter_and_index_blocks_in_cache = true;
  const bool point_lookups = name == layout::kCustomers || name == layout::kTimerIndex;
  if (point_lookups && options.bloom_bits_per_key > 0) {
    // Whole-key filters (no prefix extractor: lookups are by the full key), partitioned with
    // the index. Kept on the last level too (no optimize_filters_for_hits): lookups of new
    // customers miss, and the filter answers them without a data block read.
    table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key));
    table_options.whole_key_filtering = true;
    table_options.partition_filters = true;
  }
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  if (name == layout::kTimers || name == layout::kOutbox) {
    // Compact a file when 1/4 of any 1,000 consecutive entries are deletions.
    cf_options.table_properties_collector_factories.push_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(1000, 250));
  }
  return cf_options;
}

// Reads (or, in a new store, writes) the format version, and the next outbox sequence.
Result<uint64_t> CheckFormatAndLoadSequence(const OpenDatabase& database, const std::string& path) {
  rocksdb::DB* db = database.db();
  rocksdb::ColumnFamilyHandle* meta = database.Handle(layout::kMeta);
  std::string value;
  rocksdb::Status status =
      db->Get(rocksdb::ReadOptions(), meta, ToSlice(layout::kSchemaVersionKey), &value);
  if (status.IsNotFound()) {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    status = db->Put(write_options, meta, ToSlice(layout::kSchemaVersionKey),
                     layout::EncodeUint64(layout::kFormatVersion));
    if (!status.ok()) return FromRocks(status, "write format version of " + path);
  } else if (!status.ok()) {
    return FromRocks(status, "read format version of " + path);
  } else {
    std::optional<uint64_t> version = layout::DecodeUint64(value);
    if (!version) return CorruptValue(layout::kMeta, layout::kSchemaVersionKey);
    if (*version > layout::kFormatVersion) {
      return Status::InvalidArgument(
          "state store " + path + " has format version " + std::to_string(*version) +
          ", newer than the newest this build knows (" + std::to_string(layout::kFormatVersion) +
          "); open it with a newer touchstream");
    }
  }
  status = db->Get(rocksdb::ReadOptions(), meta, ToSlice(layout::kOutboxSequenceKey), &value);
  if (status.IsNotFound()) return uint64_t{1};
  if (!status.ok()) return FromRocks(status, "read outbox sequence of " + path);
  std::optional<uint64_t> sequence = layout::DecodeUint64(value);
  if (!sequence) return CorruptValue(layout::kMeta, layout::kOutboxSequenceKey);
  return *sequence;
}

}  // namespace

Result<std::unique_ptr<StateStore>> OpenRocksDbStore(const RocksDbStoreOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("state store path is empty");
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;

  // Open every existing column family too (RocksDB requires it), so that a store written by a
  // newer build with more column families reaches the format check and its clear message.
  std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName};
  for (std::string_view name :
       {layout::kCustomers, layout::kTimers, layout::kTimerIndex, layout::kOutbox, layout::kMeta}) {
    names.emplace_back(name);
  }
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing).ok()) {
    for (std::string& name : existing) {
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(std::move(name));
      }
    }
  }
  // Half of the cache is the high-priority pool of index and filter partitions.
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(
      options.block_cache_bytes, /*num_shard_bits=*/-1, /*strict_capacity_limit=*/false,
      /*high_pri_pool_ratio=*/0.5);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name, ColumnFamilyOptionsFor(name, options, cache));
  }

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status status = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &db);
  if (!status.ok()) return FromRocks(status, "open state store " + options.path);
  auto database = std::make_unique<OpenDatabase>(db, std::move(handles));

  Result<uint64_t> next_sequence = CheckFormatAndLoadSequence(*database, options.path);
  if (!next_sequence.ok()) return next_sequence.status();
  return std::unique_ptr<StateStore>(
      std::make_unique<RocksDbStore>(std::move(database), options.sync_commits, *next_sequence));
}

}  // namespace touchstream::state
