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
