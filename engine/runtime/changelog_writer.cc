#include "engine/runtime/changelog_writer.h"

#include <cstdio>
#include <map>
#include <random>
#include <utility>
#include <variant>

#include "engine/core/overloaded.h"

namespace touchstream::engine {

std::string ChangelogTopicOf(const EngineConfig& config) {
  return config.state.changelog_topic.empty() ? config.kafka.group_id + ".changelog"
                                              : config.state.changelog_topic;
}

std::string ChangelogTimerKey(std::string_view customer_id, std::string_view name) {
  std::string key(customer_id);
  key.push_back('\0');
  key.append(name);
  return key;
}

std::string ChangelogImpactKey(std::string_view instance_id, std::string_view rule_id,
                               std::string_view arm) {
  std::string key(1, '\0');
  key.append(kChangelogImpactKind);
  for (std::string_view part : {instance_id, rule_id, arm}) {
    key.push_back('\0');
    key.append(part);
  }
  return key;
}

bool ParseChangelogImpactKey(std::string_view key, std::string* rule_id, std::string* arm) {
  const std::string prefix = std::string(1, '\0') + kChangelogImpactKind + '\0';
  if (!key.starts_with(prefix)) return false;
  key.remove_prefix(prefix.size());
  const size_t instance_end = key.find('\0');
  if (instance_end == std::string_view::npos) return false;
  key.remove_prefix(instance_end + 1);
  const size_t rule_end = key.find('\0');
  if (rule_end == std::string_view::npos) return false;
  *rule_id = std::string(key.substr(0, rule_end));
  *arm = std::string(key.substr(rule_end + 1));
  return true;
}

ChangelogWriter::ChangelogWriter(std::string topic, std::vector<std::string> input_topics,
                                 Partitioner partitioner, int32_t partition_count)
    : topic_(std::move(topic)),
      input_topics_(std::move(input_topics)),
      partitioner_(partitioner),
      partition_count_(partition_count) {
  std::random_device random;
  const uint64_t id = (static_cast<uint64_t>(random()) << 32) ^ random();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(id));
  writer_id_ = hex;
}

v1::OutboxEntry ChangelogWriter::Record(const std::string& customer_id, std::string key,
                                        std::string value, const char* kind,
                                        const NextOffsetLookup& next_offset) const {
  v1::OutboxEntry entry;
  const int32_t partition = PartitionOfCustomer(customer_id);
  entry.set_topic(topic_);
  entry.set_partition(partition);
  entry.set_key(std::move(key));
  entry.set_value(std::move(value));
  auto& headers = *entry.mutable_headers();
  headers[kChangelogKindHeader] = kind;
  for (const std::string& input : input_topics_) {
    if (std::optional<int64_t> offset = next_offset(input, partition)) {
      headers[kNextOffsetHeaderPrefix + input] = std::to_string(*offset);
    }
  }
  return entry;
}

void ChangelogWriter::AppendRecords(const state::CommitBatch& batch,
                                    const NextOffsetLookup& next_offset,
                                    std::vector<v1::OutboxEntry>* out) const {
  using Batch = state::CommitBatch;
  const size_t first = out->size();
  for (const Batch::Operation& operation : batch.operations()) {
    std::visit(
        Overloaded{
            [&](const Batch::PutCustomerOp& op) {
              out->push_back(Record(op.customer_id, op.customer_id, op.encoded_state,
                                    kChangelogCustomerKind, next_offset));
            },
            [&](const Batch::DeleteCustomerOp& op) {
              out->push_back(
                  Record(op.customer_id, op.customer_id, {}, kChangelogCustomerKind, next_offset));
            },
            [&](const Batch::PutTimerOp& op) {
              out->push_back(Record(op.customer_id, ChangelogTimerKey(op.customer_id, op.name),
                                    op.encoded_timer, kChangelogTimerKind, next_offset));
            },
            [&](const Batch::DeleteTimerOp& op) {
              out->push_back(Record(op.customer_id, ChangelogTimerKey(op.customer_id, op.name), {},
                                    kChangelogTimerKind, next_offset));
            },
            [](const auto&) {}},
        operation);
  }
  // Each record names its batch and how many records the batch put on its partition.
  std::map<int32_t, size_t> per_partition;
  for (size_t i = first; i < out->size(); ++i) ++per_partition[(*out)[i].partition()];
  const std::string batch_id =
      writer_id_ + ":" + std::to_string(next_batch_.fetch_add(1, std::memory_order_relaxed));
  for (size_t i = first; i < out->size(); ++i) {
    v1::OutboxEntry& entry = (*out)[i];
    (*entry.mutable_headers())[kChangelogBatchHeader] =
        batch_id + ":" + std::to_string(per_partition[entry.partition()]);
  }
}

v1::OutboxEntry ChangelogWriter::ImpactRecord(const std::string& instance_id,
                                              const std::string& rule_id, const std::string& arm,
                                              const v1::ImpactCounts& counts) const {
  v1::OutboxEntry entry;
  entry.set_topic(topic_);
  entry.set_partition(PartitionOf(partitioner_, instance_id, partition_count_));
  entry.set_key(ChangelogImpactKey(instance_id, rule_id, arm));
  entry.set_value(counts.SerializeAsString());
  (*entry.mutable_headers())[kChangelogKindHeader] = kChangelogImpactKind;
  return entry;
}

}  // namespace touchstream::engine
