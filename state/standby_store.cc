#include "state/standby_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstring>

namespace touchstream::state {
namespace {

// Layout (one default column family):
//   'd' <partition: 4 bytes big-endian> <key>   -> 0x01 <value> | 0x00 (tombstone)
//   'm' <partition: 4 bytes big-endian>         -> <checkpoint: 8 bytes big-endian>
//                                                  { <topic length: 4 bytes> <topic> <offset: 8> }*
//   'b' <partition: 4 bytes big-endian>         -> { <id length: 4> <id> <announced: 8> <read: 8>
//                                                    <topics: 4> { <topic length: 4> <topic>
//                                                    <offset: 8> }* }*  (absent: no open batch)
void PutBigEndian(uint64_t value, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian(std::string_view data, size_t at, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(data[at + i]);
  return value;
}

std::string PartitionPrefix(char tag, int32_t partition) {
  std::string key(1, tag);
  PutBigEndian(static_cast<uint32_t>(partition), 4, &key);
  return key;
}

std::string EncodeMark(const StandbyMark& mark) {
  std::string out;
  PutBigEndian(static_cast<uint64_t>(mark.checkpoint), 8, &out);
  for (const auto& [topic, offset] : mark.next_offsets) {
    PutBigEndian(topic.size(), 4, &out);
    out.append(topic);
    PutBigEndian(static_cast<uint64_t>(offset), 8, &out);
  }
  return out;
}

std::optional<StandbyMark> DecodeMark(std::string_view data) {
  if (data.size() < 8) return std::nullopt;
  StandbyMark mark;
  mark.checkpoint = static_cast<int64_t>(GetBigEndian(data, 0, 8));
  size_t at = 8;
  while (at < data.size()) {
    if (data.size() - at < 4) return std::nullopt;
    const size_t length = GetBigEndian(data, at, 4);
    at += 4;
    if (data.size() - at < length + 8) return std::nullopt;
    std::string topic(data.substr(at, length));
    at += length;
    mark.next_offsets[topic] = static_cast<int64_t>(GetBigEndian(data, at, 8));
    at += 8;
  }
  return mark;
}

void PutString(std::string_view text, std::string* out) {
  PutBigEndian(text.size(), 4, out);
  out->append(text);
}

// Reads a length-prefixed string at *at; false when the data ends before it.
bool GetString(std::string_view data, size_t* at, std::string* out) {
  if (data.size() - *at < 4) return false;
  const size_t length = GetBigEndian(data, *at, 4);
  *at += 4;
  if (data.size() - *at < length) return false;
  out->assign(data.substr(*at, length));
  *at += length;
  return true;
}

std::string EncodeOpenBatches(const std::map<std::string, StandbyBatch>& batches) {
  std::string out;
  for (const auto& [id, batch] : batches) {
    PutString(id, &out);
    PutBigEndian(static_cast<uint64_t>(batch.announced), 8, &out);
    PutBigEndian(static_cast<uint64_t>(batch.read), 8, &out);
    PutBigEndian(batch.next_offsets.size(), 4, &out);
    for (const auto& [topic, offset] : batch.next_offsets) {
      PutString(topic, &out);
      PutBigEndian(static_cast<uint64_t>(offset), 8, &out);
    }
  }
  return out;
}

std::optional<std::map<std::string, StandbyBatch>> DecodeOpenBatches(std::string_view data) {
  std::map<std::string, StandbyBatch> batches;
  size_t at = 0;
  while (at < data.size()) {
    std::string id;
    if (!GetString(data, &at, &id) || data.size() - at < 20) return std::nullopt;
    StandbyBatch& batch = batches[id];
    batch.announced = static_cast<int64_t>(GetBigEndian(data, at, 8));
    batch.read = static_cast<int64_t>(GetBigEndian(data, at + 8, 8));
    const size_t topics = GetBigEndian(data, at + 16, 4);
    at += 20;
    for (size_t i = 0; i < topics; ++i) {
      std::string topic;
      if (!GetString(data, &at, &topic) || data.size() - at < 8) return std::nullopt;
      batch.next_offsets[topic] = static_cast<int64_t>(GetBigEndian(data, at, 8));
      at += 8;
    }
  }
  return batches;
}

Status FromRocks(const rocksdb::Status& status, const std::string& what) {
  if (status.ok()) return Status::Ok();
  return Status::IOError(what + ": " + status.ToString());
}

class RocksDbStandbyStore final : public StandbyStore {
 public:
  RocksDbStandbyStore(std::unique_ptr<rocksdb::DB> db, std::string path)
      : db_(std::move(db)), path_(std::move(path)) {}

  Status Apply(const std::vector<StandbyEntry>& entries,
               const std::map<int32_t, StandbyMark>& marks) override {
    rocksdb::WriteBatch batch;
    for (const StandbyEntry& entry : entries) {
      std::string key = PartitionPrefix('d', entry.partition) + entry.key;
      std::string value = entry.value.has_value() ? "\x01" + *entry.value : std::string(1, '\0');
      if (Status s = FromRocks(batch.Put(key, value), "standby store " + path_); !s.ok()) return s;
    }
    for (const auto& [partition, mark] : marks) {
      if (Status s = FromRocks(batch.Put(PartitionPrefix('m', partition), EncodeMark(mark)),
                               "standby store " + path_);
          !s.ok()) {
        return s;
      }
      const std::string open_key = PartitionPrefix('b', partition);
      rocksdb::Status put = mark.open_batches.empty()
                                ? batch.Delete(open_key)
                                : batch.Put(open_key, EncodeOpenBatches(mark.open_batches));
      if (Status s = FromRocks(put, "standby store " + path_); !s.ok()) return s;
    }
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "writing standby store " + path_);
  }

  Result<std::optional<StandbyMark>> GetMark(int32_t partition) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), PartitionPrefix('m', partition), &value);
    if (s.IsNotFound()) return std::optional<StandbyMark>();
    if (!s.ok()) return FromRocks(s, "reading standby store " + path_);
    std::optional<StandbyMark> mark = DecodeMark(value);
    if (!mark.has_value()) {
      return Status::Corruption("standby store " + path_ + ": unreadable mark of partition " +
                                std::to_string(partition));
    }
    s = db_->Get(rocksdb::ReadOptions(), PartitionPrefix('b', partition), &value);
    if (s.IsNotFound()) return mark;
    if (!s.ok()) return FromRocks(s, "reading standby store " + path_);
    auto open = DecodeOpenBatches(value);
    if (!open.has_value()) {
      return Status::Corruption("standby store " + path_ +
                                ": unreadable open batches of partition " +
                                std::to_string(partition));
    }
    mark->open_batches = std::move(*open);
    return mark;
  }

  Status ForEach(int32_t partition,
                 const std::function<void(std::string_view key,
                                          const std::optional<std::string>& value)>& fn) override {
    const std::string prefix = PartitionPrefix('d', partition);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const rocksdb::Slice value = it->value();
      std::string_view key(it->key().data() + prefix.size(), it->key().size() - prefix.size());
      if (value.empty() || (value[0] != '\0' && value[0] != '\x01')) {
        return Status::Corruption("standby store " + path_ + ": unreadable value of a key of " +
                                  "partition " + std::to_string(partition));
      }
      if (value[0] == '\0') {
        fn(key, std::nullopt);
      } else {
        fn(key, std::string(value.data() + 1, value.size() - 1));
      }
    }
    return FromRocks(it->status(), "reading standby store " + path_);
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  const std::string path_;
};

}  // namespace

Result<std::unique_ptr<StandbyStore>> StandbyStore::Open(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("standby store: the path is empty");
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) return FromRocks(s, "opening standby store " + path);
  return std::unique_ptr<StandbyStore>(
      new RocksDbStandbyStore(std::unique_ptr<rocksdb::DB>(raw), path));
}

}  // namespace touchstream::state
