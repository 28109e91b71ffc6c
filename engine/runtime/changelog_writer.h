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
//   impact:   key = ChangelogImpactKey(instance id, rule id, arm); value = the ImpactCounts
//             protobuf: the ABSOLUTE counters of that (rule, arm) in the writing instance's store
//             after the commit (each instance counts the decisions and conversions it processed;
//             a deployment's totals are the sum of every instance's latest record: ReadImpact,
//             engine/runtime/impact_changelog.h). On the partition of the instance id; no
//             input-offset headers (they are not about that partition's customers).
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
inline constexpr char kChangelogImpactKind[] = "impact";
inline constexpr char kNextOffsetHeaderPrefix[] = "touchstream.input.next_offset.";
inline constexpr char kChangelogBatchHeader[] = "touchstream.changelog.batch";

// state.changelog_topic, or "<kafka.group_id>.changelog" when that is empty.
std::string ChangelogTopicOf(const EngineConfig& config);

// The changelog key of a timer record.
std::string ChangelogTimerKey(std::string_view customer_id, std::string_view name);

// The changelog key of an impact record: NUL, "impact", NUL, instance id, NUL, rule id, NUL, arm
// (no customer id starts with NUL).
std::string ChangelogImpactKey(std::string_view instance_id, std::string_view rule_id,
                               std::string_view arm);
// Splits an impact key into rule id and arm (the instance id is not needed); false when `key`
// is not one.
bool ParseChangelogImpactKey(std::string_view key, std::string* rule_id, std::string* arm);

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

  // The impact record of `instance_id`'s absolute counters of (rule_id, arm).
  v1::OutboxEntry ImpactRecord(const std::string& instance_id, const std::string& rule_id,
                               const std::string& arm, const v1::ImpactCounts& counts) const;

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
