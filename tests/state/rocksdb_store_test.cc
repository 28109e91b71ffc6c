// RocksDB-specific behaviour of the state store: format versioning, corrupt values, locking.
#include "state/rocksdb_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/table_properties.h>

#include <memory>
#include <string>
#include <vector>

#include "state/customer_cache.h"
#include "state/customer_codec.h"
#include "state/rocksdb_layout.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::state {
namespace {

// Raw access to a closed store's database, every column family open, to craft entries.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path) {
    rocksdb::DBOptions options;
    options.create_missing_column_families = true;
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : names)
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(options, path, descriptors, &handles, &db);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db_.reset(db);
    for (rocksdb::ColumnFamilyHandle* handle : handles) handles_.emplace_back(handle);
  }
  ~RawDatabase() {
    handles_.clear();
    if (db_) {
      EXPECT_TRUE(db_->Close().ok());
    }
  }

  rocksdb::ColumnFamilyHandle* Handle(std::string_view name) {
    for (const auto& handle : handles_) {
      if (handle->GetName() == name) return handle.get();
    }
    ADD_FAILURE() << "no column family " << name;
    return nullptr;
  }
  void Put(std::string_view column_family, std::string_view key, std::string_view value) {
    rocksdb::Status status = db_->Put(rocksdb::WriteOptions(), Handle(column_family),
                                      rocksdb::Slice(key.data(), key.size()),
                                      rocksdb::Slice(value.data(), value.size()));
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  std::string Get(std::string_view column_family, std::string_view key) {
    std::string value;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), Handle(column_family),
                         rocksdb::Slice(key.data(), key.size()), &value)
                    .ok());
    return value;
  }
  // The properties of every table file of a column family.
  rocksdb::TablePropertiesCollection Tables(std::string_view column_family) {
    rocksdb::TablePropertiesCollection tables;
    rocksdb::Status status = db_->GetPropertiesOfAllTables(Handle(column_family), &tables);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return tables;
  }
  void CreateColumnFamily(const std::string& name) {
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    ASSERT_TRUE(db_->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), name, &handle).ok());
    handles_.emplace_back(handle);
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::unique_ptr<rocksdb::ColumnFamilyHandle>> handles_;
};

class StateRocksDbStoreTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<StateStore>> Open() {
    RocksDbStoreOptions options;
    options.path = path_;
    options.write_buffer_bytes = 1 << 20;
    return OpenRocksDbStore(options);
  }
  // Creates the store and closes it again.
  void Create() { ASSERT_TRUE(Open().ok()); }

  test::TempDir dir_;
  std::string path_ = dir_.File("db");
};

// A new store records format version 1 in meta "schema_version", 8 bytes big-endian.
TEST_F(StateRocksDbStoreTest, CreationWritesFormatVersion) {
  Create();
  RawDatabase raw(path_);
  EXPECT_EQ(raw.Get(layout::kMeta, layout::kSchemaVersionKey), std::string("\0\0\0\0\0\0\0\1", 8));
}

// A store written by a newer format is refused with a message naming both versions.
TEST_F(StateRocksDbStoreTest, RefusesNewerFormat) {
  Create();
  {
    RawDatabase raw(path_);
    raw.Put(layout::kMeta, layout::kSchemaVersionKey, layout::EncodeUint64(2));
  }
  Result<std::unique_ptr<StateStore>> opened = Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(opened.status().message().find("format version 2"), std::string::npos)
      << opened.status().message();
  EXPECT_NE(opened.status().message().find("(1)"), std::string::npos) << opened.status().message();
}

// A newer store with a column family this build does not know still gets the format message.
TEST_F(StateRocksDbStoreTest, RefusesNewerFormatWithUnknownColumnFamily) {
  Create();
  {
    RawDatabase raw(path_);
    raw.CreateColumnFamily("segments");
    raw.Put(layout::kMeta, layout::kSchemaVersionKey, layout::EncodeUint64(3));
  }
  Result<std::unique_ptr<StateStore>> opened = Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("format version 3"), std::string::npos)
      << opened.status().message();
}

// An undecodable customer value is Corruption naming the key, for Get and for scans.
TEST_F(StateRocksDbStoreTest, GarbageCustomerValueIsCorruption) {
  Create();
  {
    RawDatabase raw(path_);
    // Field 1 (length-delimited) claims 5 bytes but only 2 follow.
    raw.Put(layout::kCustomers, "c-bad",
            std::string("\x0a\x05"
                        "ab",
                        4));
  }
  Result<std::unique_ptr<StateStore>> opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  StateStore& store = **opened;
  v1::CustomerState out;
  Status status = store.GetCustomer("c-bad", &out);
  EXPECT_EQ(status.code(), Status::Code::kCorruption);
  EXPECT_NE(status.message().find("'c-bad'"), std::string::npos) << status.message();
  status = store.ForEachCustomer([](const v1::CustomerState&) { return true; });
  EXPECT_EQ(status.code(), Status::Code::kCorruption);
}

// Undecodable outbox entries, timers and offsets are reported, not silently skipped or misread.
TEST_F(StateRocksDbStoreTest, GarbageOutboxTimerAndOffsetValues) {
  Create();
  {
    RawDatabase raw(path_);
    raw.Put(layout::kOutbox, layout::OutboxKey(1),
            std::string("\x0a\x05"
                        "ab",
                        4));
    raw.Put(layout::kTimers, layout::TimerKey(5, "c-1", "t"), std::string("\xff", 1));
    raw.Put(layout::kMeta, layout::OffsetKey("events", 0), "short");
  }
  Result<std::unique_ptr<StateStore>> opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  StateStore& store = **opened;
  EXPECT_EQ(store.ForEachOutbox([](uint64_t, const v1::OutboxEntry&) {}).code(),
            Status::Code::kCorruption);
  std::vector<v1::Timer> due;
  EXPECT_EQ(store.DueTimers(10, 10, &due).code(), Status::Code::kCorruption);
  EXPECT_TRUE(due.empty());
  EXPECT_EQ(store.GetOffset("events", 0), std::nullopt);
}

// The outbox counter, offsets and timer index are stored in the documented encodings.
TEST_F(StateRocksDbStoreTest, MetaAndIndexEncodings) {
  {
    Result<std::unique_ptr<StateStore>> opened = Open();
    ASSERT_TRUE(opened.ok());
    CommitBatch batch;
    batch.AddOutbox(v1::OutboxEntry());
    batch.PutOffset("events", 4, 258);
    v1::Timer timer;
    timer.set_customer_id("c-1");
    timer.set_name("t");
    timer.set_fire_ms(513);
    batch.PutTimer(timer);
    ASSERT_TRUE((*opened)->Commit(batch, nullptr).ok());
  }
  RawDatabase raw(path_);
  EXPECT_EQ(raw.Get(layout::kMeta, "outbox_seq"), std::string("\0\0\0\0\0\0\0\2", 8));
  EXPECT_EQ(raw.Get(layout::kMeta, "offset/events/4"), std::string("\0\0\0\0\0\0\1\2", 8));
  EXPECT_EQ(raw.Get(layout::kTimerIndex, std::string("c-1\0t", 5)),
            std::string("\0\0\0\0\0\0\2\1", 8));
  EXPECT_FALSE(raw.Get(layout::kTimers, std::string("\0\0\0\0\0\0\2\1c-1\0t", 13)).empty());
}

// A store already open elsewhere cannot be opened a second time.
TEST_F(StateRocksDbStoreTest, SecondOpenOfSameDirectoryFails) {
  Result<std::unique_ptr<StateStore>> first = Open();
  ASSERT_TRUE(first.ok());
  Result<std::unique_ptr<StateStore>> second = Open();
  EXPECT_FALSE(second.ok());
}

// An empty path is refused before touching the disk.
TEST_F(StateRocksDbStoreTest, EmptyPathIsInvalid) {
  Result<std::unique_ptr<StateStore>> opened = OpenRocksDbStore(RocksDbStoreOptions());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kInvalidArgument);
}

// ---- Customer schema versions (state/customer_codec.h) ----

// A version 1 state as an older build wrote it: bytes spelled out from state.proto's field
// numbers, not produced by this build's writer. schema_version=1 (field 1), customer_id "c-old"
// (2), last_seen_ms 1000 (4), aggregates {event_count 3} (6 {1}).
const std::string kVersion1Bytes(
    "\x08\x01\x12\x05"
    "c-old"
    "\x20\xe8\x07\x32\x02\x08\x03",
    16);

// A stored version 1 record is read (upgraded to the current version), and rewritten as the
// current version when the customer changes.
TEST_F(StateRocksDbStoreTest, ReadsVersion1AndRewritesCurrent) {
  Create();
  {
    RawDatabase raw(path_);
    raw.Put(layout::kCustomers, "c-old", kVersion1Bytes);
  }
  {
    Result<std::unique_ptr<StateStore>> opened = Open();
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    v1::CustomerState state;
    ASSERT_TRUE((*opened)->GetCustomer("c-old", &state).ok());
    EXPECT_EQ(state.schema_version(), kCustomerSchemaVersion);
    EXPECT_EQ(state.last_seen_ms(), 1000);
    EXPECT_EQ(state.aggregates().event_count(), 3);
    CustomerCache cache(opened->get(), 10);
    Result<v1::CustomerState*> cached = cache.GetForUpdate("c-old");
    ASSERT_TRUE(cached.ok());
    (*cached)->mutable_aggregates()->set_event_count(4);
    CommitBatch batch;
    cache.FlushDirtyInto(&batch);
    ASSERT_TRUE((*opened)->Commit(batch, nullptr).ok());
  }
  RawDatabase raw(path_);
  v1::CustomerState rewritten;
  ASSERT_TRUE(rewritten.ParseFromString(raw.Get(layout::kCustomers, "c-old")));
  EXPECT_EQ(rewritten.schema_version(), kCustomerSchemaVersion);
  EXPECT_EQ(rewritten.last_seen_ms(), 1000);
  EXPECT_EQ(rewritten.aggregates().event_count(), 4);
}

// A record without schema_version (0) is version 1; the writer stamps the current version
// whatever the message says.
TEST_F(StateRocksDbStoreTest, MissingVersionIsVersion1AndWriterStampsCurrent) {
  Result<std::unique_ptr<StateStore>> opened = Open();
  ASSERT_TRUE(opened.ok());
  v1::CustomerState unversioned;
  unversioned.set_customer_id("c-0");
  unversioned.set_first_seen_ms(5);
  CommitBatch batch;
  batch.PutCustomer(unversioned);
  ASSERT_TRUE((*opened)->Commit(batch, nullptr).ok());
  v1::CustomerState read;
  ASSERT_TRUE((*opened)->GetCustomer("c-0", &read).ok());
  EXPECT_EQ(read.schema_version(), kCustomerSchemaVersion);
  EXPECT_EQ(read.first_seen_ms(), 5);
  v1::CustomerState zero;
  ASSERT_TRUE(DecodeCustomer("c-z",
                             std::string("\x12\x03"
                                         "c-z",
                                         5),
                             &zero)
                  .ok());
  EXPECT_EQ(zero.schema_version(), kCustomerSchemaVersion);
}

// A record of a newer schema version is refused by Get, scans and the cache, with a message
// naming the customer and both versions; nothing is written over it.
TEST_F(StateRocksDbStoreTest, RefusesNewerCustomerVersion) {
  Create();
  v1::CustomerState future;
  future.set_schema_version(kCustomerSchemaVersion + 1);
  future.set_customer_id("c-future");
  future.set_last_seen_ms(77);
  const std::string future_bytes = future.SerializeAsString();
  {
    RawDatabase raw(path_);
    raw.Put(layout::kCustomers, "c-future", future_bytes);
  }
  {
    Result<std::unique_ptr<StateStore>> opened = Open();
    ASSERT_TRUE(opened.ok());
    v1::CustomerState out;
    Status status = (*opened)->GetCustomer("c-future", &out);
    EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
    const std::string expected = "state of customer 'c-future' has schema version " +
                                 std::to_string(kCustomerSchemaVersion + 1) +
                                 ", newer than the newest this build knows (" +
                                 std::to_string(kCustomerSchemaVersion) + ")";
    EXPECT_NE(status.message().find(expected), std::string::npos) << status.message();
    status = (*opened)->ForEachCustomer([](const v1::CustomerState&) { return true; });
    EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
    CustomerCache cache(opened->get(), 10);
    EXPECT_FALSE(cache.GetForUpdate("c-future").ok());
    CommitBatch batch;
    cache.FlushDirtyInto(&batch);
    EXPECT_TRUE(batch.empty());
  }
  RawDatabase raw(path_);
  EXPECT_EQ(raw.Get(layout::kCustomers, "c-future"), future_bytes);
}

// ForEachCustomerFrom starts at the first id >= the given one, in id order.
TEST_F(StateRocksDbStoreTest, ForEachCustomerFromResumes) {
  Result<std::unique_ptr<StateStore>> opened = Open();
  ASSERT_TRUE(opened.ok());
  CommitBatch batch;
  for (const char* id : {"a", "b", "bb", "c"}) {
    v1::CustomerState state;
    state.set_customer_id(id);
    batch.PutCustomer(state);
  }
  ASSERT_TRUE((*opened)->Commit(batch, nullptr).ok());
  std::vector<std::string> seen;
  auto collect = [&](const v1::CustomerState& s) {
    seen.push_back(s.customer_id());
    return true;
  };
  ASSERT_TRUE((*opened)->ForEachCustomerFrom(std::string("b\0", 2), collect).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"bb", "c"}));
  seen.clear();
  ASSERT_TRUE((*opened)->ForEachCustomerFrom("", collect).ok());
  EXPECT_EQ(seen.size(), 4u);
}

// Customer tables are written with a partitioned index and a partitioned whole-key Bloom
// filter (so a cold lookup reads small metadata blocks); the timer queue has no filter.
TEST_F(StateRocksDbStoreTest, CustomerTablesHavePartitionedIndexAndFilter) {
  {
    Result<std::unique_ptr<StateStore>> opened = Open();
    ASSERT_TRUE(opened.ok());
    CommitBatch batch;
    for (int i = 0; i < 4000; ++i) {
      v1::CustomerState state;
      state.set_customer_id("customer-" + std::to_string(i));
      (*state.mutable_profile())["note"].set_string_value(
          std::string(300, static_cast<char>('a' + i % 26)));
      batch.PutCustomer(state);
      v1::Timer timer;
      timer.set_customer_id(state.customer_id());
      timer.set_name("t");
      timer.set_fire_ms(1000 + i);
      batch.PutTimer(timer);
    }
    ASSERT_TRUE((*opened)->Commit(batch, nullptr).ok());
    ASSERT_TRUE((*opened)->Flush().ok());
  }
  RawDatabase raw(path_);
  const rocksdb::TablePropertiesCollection customers = raw.Tables(layout::kCustomers);
  ASSERT_FALSE(customers.empty());
  for (const auto& [file, properties] : customers) {
    EXPECT_GT(properties->top_level_index_size, 0u) << file;
    EXPECT_GT(properties->index_partitions, 1u) << file;
    EXPECT_FALSE(properties->filter_policy_name.empty()) << file;
    EXPECT_GT(properties->filter_size, 0u) << file;
  }
  const rocksdb::TablePropertiesCollection timers = raw.Tables(layout::kTimers);
  ASSERT_FALSE(timers.empty());
  for (const auto& [file, properties] : timers) {
    EXPECT_TRUE(properties->filter_policy_name.empty()) << file;
  }
}

}  // namespace
}  // namespace touchstream::state
