// ChangelogWriter: the changelog records of one commit. Every customer state and timer a commit
// batch puts or deletes becomes an outbox entry for the changelog topic, added to the SAME
// batch, so a change is either committed locally with its changelog record or not at all, and
// a crash re-sends the record from the outbox (docs/scaling-out.md).
//
// Records (each on the partition that owns the customer: PartitionOf(customer id), the number
// of the customer's input partition when input keys are customer ids):
//   customer: key = customer id, value = the store's encoding of the CustomerState, empty value
//             (tombstone) when the customer is deleted;
//   timer:    key = customer id, '\0', timer name (a customer has one timer per name, as in the
//             store); value = the store's encoding of the Timer (fire_ms and payload included),
//             tombstone when deleted. A restore re-arms a restored customer's timers from the
//             timer records whose fire_ms the state's `timers` map names.
// Header kKindHeader says which; each record also carries, for every input topic whose next
// offset on that partition is known, the header kNextOffsetHeaderPrefix + topic = that offset
// in decimal: the input the committed state accounts for (used by a restore to resume input),
// and the header kChangelogBatchHeader = "<writer id>:<batch number>:<records>": the writer (a
// random id per ChangelogWriter), the number of the AppendRecords call, and how many records
// that call put on this partition. A restore resumes input only from batches it read whole: a
// batch still being delivered when a new owner restores (a handover after a lost member, a
// kill) names offsets that its missing records account for.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.h"
#include "engine/runtime/partitioner.h"
#include "state/commit_batch.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

inline constexpr char kChangelogKindHeader[] = "touchstream.changelog.kind";
inline constexpr char kChangelogCustomerKind[] = "customer";
inline constexpr char kChangelogTimerKind[] = "timer";
inline constexpr char kNextOffsetHeaderPrefix[] = "touchstream.input.next_offset.";
inline constexpr char kChangelogBatchHeader[] = "touchstream.changelog.batch";

// state.changelog_topic, or "<kafka.group_id>.changelog" when that is empty.
std::string ChangelogTopicOf(const EngineConfig& config);

// The changelog key of a timer record.
std::string ChangelogTimerKey(std::string_view customer_id, std::string_view name);

class ChangelogWriter {
 public:
  // The next input offset of (input topic, partition) to name in the headers; nullopt when not
  // known (no header then).
  using NextOffsetLookup =
      std::function<std::optional<int64_t>(const std::string& topic, int32_t partition)>;

  // `partition_count` (> 0): the partitions of the input topics and of the changelog topic.
  ChangelogWriter(std::string topic, std::vector<std::string> input_topics, Partitioner partitioner,
                  int32_t partition_count);

  const std::string& topic() const { return topic_; }
  int32_t partition_count() const { return partition_count_; }
  // The partition that owns a customer.
  int32_t PartitionOfCustomer(std::string_view customer_id) const {
    return PartitionOf(partitioner_, customer_id, partition_count_);
  }

  // Appends to *out one changelog record for every customer put or delete of `batch` and one
  // for every timer put or delete, in batch order; each call is a new batch number.
  void AppendRecords(const state::CommitBatch& batch, const NextOffsetLookup& next_offset,
                     std::vector<v1::OutboxEntry>* out) const;

 private:
  v1::OutboxEntry Record(const std::string& customer_id, std::string key, std::string value,
                         const char* kind, const NextOffsetLookup& next_offset) const;

  std::string topic_;
  std::vector<std::string> input_topics_;
  Partitioner partitioner_;
  int32_t partition_count_;
  std::string writer_id_;
  mutable std::atomic<uint64_t> next_batch_{0};
};

}  // namespace touchstream::engine
