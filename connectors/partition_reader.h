// PartitionReader: reads single partitions of a topic from a given offset up to their end,
// outside any consumer group (assign(), never subscribe()), tells partition counts and creates
// a missing topic. Used to restore state from a changelog topic before the partitions it belongs
// to are processed, and (Follow, PollRecords) to tail changelog partitions continuously for
// standby copies.
//
// Thread safety: not thread safe; use from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "connectors/kafka_common.h"
#include "connectors/kafka_record.h"

namespace touchstream::connectors {

struct PartitionReaderOptions {
  // Required: "host:port[,host:port...]".
  std::string bootstrap_servers;
  // Extra librdkafka settings (security.protocol, sasl.*, ...), applied last.
  std::map<std::string, std::string> properties;
  // How long a read may go without a record before it fails with Unavailable.
  int stall_timeout_ms = 30000;
};

class PartitionReader {
 public:
  // InvalidArgument for a missing bootstrap_servers or a rejected setting.
  static Result<std::unique_ptr<PartitionReader>> Create(const PartitionReaderOptions& options);
  ~PartitionReader();
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  // The number of partitions of `topic`. NotFound naming the topic when the broker does not
  // know it; Unavailable when the broker cannot be reached within timeout_ms.
  Result<int32_t> PartitionCount(const std::string& topic, int timeout_ms);

  // Creates `topic` with `partitions` partitions and the given topic configs (cleanup.policy,
  // ...), replication factor: the broker's default. Ok when created; the broker's error (naming
  // the topic) otherwise, including when it exists.
  Status CreateTopic(const std::string& topic, int32_t partitions,
                     const std::map<std::string, std::string>& configs, int timeout_ms);

  // The partition's log start and end offsets (low, high). Unavailable naming the partition.
  Result<std::pair<int64_t, int64_t>> Watermarks(const std::string& topic, int32_t partition,
                                                 int timeout_ms);

  // Calls fn for every record of topic[partition] from offset `from` (clamped to the log start)
  // up to the end offset observed when the call starts, in offset order. Returns that end
  // offset. Unavailable naming the partition when no record arrives for stall_timeout_ms;
  // the consume error otherwise. When `cancelled` is given it is asked between polls (at
  // least every 100 ms); once it returns true the read stops with Unavailable naming the
  // partition and saying it was cancelled.
  Result<int64_t> ReadToEnd(const std::string& topic, int32_t partition, int64_t from,
                            const std::function<void(const SourceRecord&)>& fn,
                            const std::function<bool()>& cancelled = nullptr);

  // Replaces what PollRecords reads: every partition of `from` (partition -> first offset),
  // from that offset on (from the log start when it is below it), without end. An empty map
  // stops reading. Errors: the assign error.
  Status Follow(const std::string& topic, const std::map<int32_t, int64_t>& from);

  // Waits up to timeout_ms for records of the followed partitions and calls fn for each, at
  // most max_records, in offset order per partition. Returns how many. Records of a partition
  // followed before the last Follow may still arrive: callers check the offsets they expect.
  // Errors: a consume error other than end of partition, naming the partition.
  Result<size_t> PollRecords(int timeout_ms, size_t max_records,
                             const std::function<void(const SourceRecord&)>& fn);

 private:
  explicit PartitionReader(int stall_timeout_ms) : stall_timeout_ms_(stall_timeout_ms) {}

  const int stall_timeout_ms_;
  // The topic of the last Follow.
  std::string followed_topic_;
  RdKafkaPtr consumer_;
};

}  // namespace touchstream::connectors
