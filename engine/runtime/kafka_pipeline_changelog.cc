// KafkaPipeline: the part that makes state follow its partition (docs/scaling-out.md): the
// changelog records of each commit, the restore of assigned partitions and the drop of revoked
// ones. The rest of the pipeline is in kafka_pipeline.cc.
#include <algorithm>

#include "engine/runtime/impact_changelog.h"
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
  if (!changelog_partitions.ok() &&
      changelog_partitions.status().code() == Status::Code::kUnavailable) {
    // The first request to the brokers: a wrong address or security setting ends here.
    return Status::Unavailable(
        "cannot reach the Kafka brokers at " + bootstrap_servers + " (" +
        changelog_partitions.status().message() +
        "); check kafka.bootstrap_servers and the security settings (security.protocol, ssl.*, "
        "sasl.*) under kafka.consumer and kafka.producer");
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
  auto instance = StoreInstanceId(store_);
  if (!instance.ok()) return instance.status();
  instance_id_ = std::move(*instance);
  if (Status s = SetUpOwners(bootstrap_servers); !s.ok()) return s;
  return SetUpStandby(bootstrap_servers);
}

Status KafkaPipeline::SetUpOwners(const std::string& bootstrap_servers) {
  if (config_.admin.advertised_address.empty()) return Status::Ok();
  const std::string topic = config_.kafka.group_id + ".owners";
  auto partitions = changelog_reader_->PartitionCount(topic, kMetadataTimeoutMs);
  if (!partitions.ok() && partitions.status().code() == Status::Code::kNotFound) {
    Status created = changelog_reader_->CreateTopic(topic, 1, {{"cleanup.policy", "compact"}},
                                                    kMetadataTimeoutMs);
    if (!created.ok()) {
      return Status::InvalidArgument("admin.advertised_address: topic '" + topic +
                                     "' does not exist and " + created.message() +
                                     "; create it with 1 partition and cleanup.policy=compact");
    }
  } else if (!partitions.ok()) {
    return partitions.status();
  }
  OwnerDirectoryOptions options;
  options.topic = topic;
  options.self_address = config_.admin.advertised_address;
  options.reader.bootstrap_servers = bootstrap_servers;
  options.reader.properties = config_.kafka.consumer_properties;
  options.log = log_;
  auto owners = OwnerDirectory::Start(options);
  if (!owners.ok()) return owners.status();
  owners_ = std::move(*owners);
  return Status::Ok();
}

Status KafkaPipeline::SetUpStandby(const std::string& bootstrap_servers) {
  if (!config_.state.standby_enabled()) return Status::Ok();
  StandbyTailerOptions options;
  options.changelog_topic = changelog_->topic();
  for (int32_t p = 0; config_.state.standby_all_partitions && p < changelog_->partition_count();
       ++p) {
    options.partitions.insert(p);
  }
  for (int32_t p : config_.state.standby_partitions) {
    if (p >= changelog_->partition_count()) {
      return Status::InvalidArgument("state.standby_partitions: partition " + std::to_string(p) +
                                     " does not exist: changelog topic '" + changelog_->topic() +
                                     "' has " + std::to_string(changelog_->partition_count()) +
                                     " partitions");
    }
    options.partitions.insert(p);
  }
  options.dir = config_.state.standby_dir.empty() ? config_.state.dir + ".standby"
                                                  : config_.state.standby_dir;
  options.reader.bootstrap_servers = bootstrap_servers;
  options.reader.properties = config_.kafka.consumer_properties;
  options.log = log_;
  auto standby = StandbyTailer::Start(options, metrics_);
  if (!standby.ok()) return standby.status();
  standby_ = std::move(*standby);
  return Status::Ok();
}

Status KafkaPipeline::AppendChangelog(const state::CommitBatch& batch) {
  if (changelog_ == nullptr) return Status::Ok();
  changelog_->AppendRecords(
      batch,
      [this](const std::string& topic, int32_t partition) -> std::optional<int64_t> {
        const connectors::TopicPartition tp{topic, partition};
        if (auto it = pending_offsets_.find(tp); it != pending_offsets_.end()) return it->second;
        if (auto it = stored_offsets_.find(tp); it != stored_offsets_.end()) return it->second;
        return std::nullopt;
      },
      &pending_out_);
  return AppendImpactRecords(batch, store_, *changelog_, instance_id_, &pending_out_);
}

void KafkaPipeline::RestoreAssigned(const connectors::TopicPartition& tp) {
  if (restore_ == nullptr || !fatal_.ok() || restored_partitions_.count(tp.partition) != 0) return;
  // Nothing of this partition is cached or pending (it was not assigned), but commit first so
  // that every cached entry is clean and can be dropped.
  if (Status s = Commit(); !s.ok()) return;
  std::optional<RestoreSeed> seed;
  if (standby_ != nullptr) {
    auto taken = standby_->TakeOver(
        tp.partition, store_->GetOffset(changelog_->topic(), tp.partition).value_or(0));
    if (taken.ok()) {
      seed = std::move(*taken);
    } else {
      log_->Warn("pipeline",
                 "standby copy of a partition unreadable; restoring it from the changelog alone",
                 {{"partition", tp.partition}, {"error", taken.status().ToString()}});
    }
  }
  auto restored = [&] {
    // A long restore is progress, not a stall; /readyz names it.
    Heartbeat::Busy restoring(&heartbeat_, "restoring partition state from the changelog");
    return restore_->Restore(tp.partition, seed.has_value() ? &*seed : nullptr);
  }();
  if (!restored.ok()) {
    fatal_ = restored.status();
    return;
  }
  restored_partitions_.insert(tp.partition);
  if (owners_ != nullptr) pending_out_.push_back(owners_->Announcement(tp.partition));
  metrics_->ChangelogRestored(static_cast<double>(restored->records_read),
                              static_cast<double>(restored->customers_applied));
  metrics_->ChangelogFromStandby(static_cast<double>(restored->records_from_standby));
  if (restored->customers_applied > 0) {
    cache_.DropClean(
        [&](std::string_view id) { return changelog_->PartitionOfCustomer(id) == tp.partition; });
    log_->Info("pipeline", "restored a partition from the changelog",
               {{"partition", tp.partition},
                {"customers", restored->customers_applied},
                {"timers", restored->timers_applied},
                {"records", restored->records_read},
                {"standby_records", restored->records_from_standby}});
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
  for (int32_t p : gone) {
    if (standby_ != nullptr) standby_->Resume(p);
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

std::optional<std::string> KafkaPipeline::AdminPartitionOwner(int32_t partition) {
  if (owners_ == nullptr) return std::nullopt;
  return owners_->OwnerOf(partition);
}

}  // namespace touchstream::engine
