// KafkaPipeline: the part that makes state follow its partition (docs/scaling-out.md): the
// changelog records of each commit, the restore of assigned partitions and the drop of revoked
// ones. The rest of the pipeline is in kafka_pipeline.cc.
#include <algorithm>

#include "engine/runtime/kafka_pipeline.h"

namespace touchstream::engine {

namespace {
constexpr int kMetadataTimeoutMs = 10000;
}  // namespace

Status KafkaPipeline::SetUpChangelog(const std::string& bootstrap_servers) {
  connectors::PartitionReaderOptions options;
  options.bootstrap_servers = bootstrap_servers;
  options.properties = config_.kafka.consumer_properties;
  auto reader = connectors::PartitionReader::Create(options);
  if (!reader.ok()) return reader.status();
  changelog_reader_ = std::move(*reader);
  const std::string topic = ChangelogTopicOf(config_);
  auto changelog_partitions = changelog_reader_->PartitionCount(topic, kMetadataTimeoutMs);
  if (!changelog_partitions.ok() &&
      changelog_partitions.status().code() == Status::Code::kNotFound &&
      !config_.kafka.input_topics.empty()) {
    // Missing: created like the first input topic, compacted (the last state per key is kept).
    auto input_partitions =
        changelog_reader_->PartitionCount(config_.kafka.input_topics.front(), kMetadataTimeoutMs);
    if (!input_partitions.ok()) return input_partitions.status();
    Status created = changelog_reader_->CreateTopic(
        topic, *input_partitions, {{"cleanup.policy", "compact"}}, kMetadataTimeoutMs);
    if (!created.ok()) {
      return Status::InvalidArgument(
          "state.changelog: changelog topic '" + topic + "' does not exist and " +
          created.message() +
          "; create it with as many partitions as the input and cleanup.policy=compact, or "
          "set state.changelog: false");
    }
    changelog_partitions = changelog_reader_->PartitionCount(topic, kMetadataTimeoutMs);
  }
  if (!changelog_partitions.ok()) {
    return Status::InvalidArgument("state.changelog: " + changelog_partitions.status().message());
  }
  for (const std::string& input : config_.kafka.input_topics) {
    auto input_partitions = changelog_reader_->PartitionCount(input, kMetadataTimeoutMs);
    if (!input_partitions.ok()) return input_partitions.status();
    if (*input_partitions != *changelog_partitions) {
      return Status::InvalidArgument("state.changelog: changelog topic '" + topic + "' has " +
                                     std::to_string(*changelog_partitions) +
                                     " partitions but input topic '" + input + "' has " +
                                     std::to_string(*input_partitions) + "; they must be equal");
    }
  }
  const Partitioner partitioner =
      ParsePartitioner(config_.kafka.partitioner).value_or(Partitioner::kConsistentRandom);
  changelog_ = std::make_unique<ChangelogWriter>(topic, config_.kafka.input_topics, partitioner,
                                                 *changelog_partitions);
  restore_ = std::make_unique<PartitionRestore>(
      changelog_reader_.get(), store_, topic, config_.kafka.input_topics,
      [writer = changelog_.get()](std::string_view id) { return writer->PartitionOfCustomer(id); });
  return Status::Ok();
}

void KafkaPipeline::AppendChangelog(const state::CommitBatch& batch) {
  if (changelog_ == nullptr) return;
  changelog_->AppendRecords(
      batch,
      [this](const std::string& topic, int32_t partition) -> std::optional<int64_t> {
        const connectors::TopicPartition tp{topic, partition};
        if (auto it = pending_offsets_.find(tp); it != pending_offsets_.end()) return it->second;
        if (auto it = stored_offsets_.find(tp); it != stored_offsets_.end()) return it->second;
        return std::nullopt;
      },
      &pending_out_);
}

void KafkaPipeline::RestoreAssigned(const connectors::TopicPartition& tp) {
  if (restore_ == nullptr || !fatal_.ok() || restored_partitions_.count(tp.partition) != 0) return;
  // Nothing of this partition is cached or pending (it was not assigned), but commit first so
  // that every cached entry is clean and can be dropped.
  if (Status s = Commit(); !s.ok()) return;
  auto restored = [&] {
    // A long restore is progress, not a stall; /readyz names it.
    Heartbeat::Busy restoring(&heartbeat_, "restoring partition state from the changelog");
    return restore_->Restore(tp.partition);
  }();
  if (!restored.ok()) {
    fatal_ = restored.status();
    return;
  }
  restored_partitions_.insert(tp.partition);
  metrics_->ChangelogRestored(static_cast<double>(restored->records_read),
                              static_cast<double>(restored->customers_applied));
  if (restored->customers_applied > 0) {
    cache_.DropClean(
        [&](std::string_view id) { return changelog_->PartitionOfCustomer(id) == tp.partition; });
    log_->Info("pipeline", "restored a partition from the changelog",
               {{"partition", tp.partition},
                {"customers", restored->customers_applied},
                {"timers", restored->timers_applied},
                {"records", restored->records_read}});
  }
  if (Status s = timers_.Refresh(); !s.ok()) fatal_ = s;
}

void KafkaPipeline::DropRevoked(const std::vector<connectors::TopicPartition>& partitions) {
  if (restore_ == nullptr || closing_) return;
  // A partition is dropped once no input topic of it is assigned any more.
  std::set<int32_t> gone;
  for (const auto& tp : partitions) {
    const bool still = std::any_of(assigned_.begin(), assigned_.end(),
                                   [&](const auto& a) { return a.partition == tp.partition; });
    if (!still) gone.insert(tp.partition);
  }
  if (gone.empty()) return;
  for (int32_t p : gone) restored_partitions_.erase(p);
  cache_.DropClean(
      [&](std::string_view id) { return gone.count(changelog_->PartitionOfCustomer(id)) != 0; });
  if (Status s = restore_->Drop(gone); !s.ok()) {
    fatal_ = s;
    return;
  }
  if (Status s = timers_.Refresh(); !s.ok()) fatal_ = s;
}

std::optional<int32_t> KafkaPipeline::AdminForeignPartition(std::string_view customer_id) {
  if (changelog_ == nullptr) return std::nullopt;
  const int32_t partition = changelog_->PartitionOfCustomer(customer_id);
  const bool owned = std::any_of(assigned_.begin(), assigned_.end(),
                                 [&](const auto& tp) { return tp.partition == partition; });
  if (owned) return std::nullopt;
  return partition;
}

}  // namespace touchstream::engine
