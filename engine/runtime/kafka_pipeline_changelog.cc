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
  if (Status s = SetUpStandby(bootstrap_servers); !s.ok()) return s;
  RestoreWorkerOptions worker;
  worker.changelog_topic = topic;
  worker.input_topics = config_.kafka.input_topics;
  worker.partition_of = [writer = changelog_.get()](std::string_view id) {
    return writer->PartitionOfCustomer(id);
  };
  worker.reader.bootstrap_servers = bootstrap_servers;
  worker.reader.properties = config_.kafka.consumer_properties;
  worker.standby = standby_.get();
  worker.log = log_;
  auto started = RestoreWorker::Start(std::move(worker), store_);
  if (!started.ok()) return started.status();
  restore_worker_ = std::move(*started);
  processor_.SetPartitionOfCustomer(
      [writer = changelog_.get()](std::string_view id) { return writer->PartitionOfCustomer(id); });
  // Nothing of a partition being restored is fired or swept until it is installed.
  timers_.set_hold([this](std::string_view id) { return Restoring(id); });
  sweep_.set_hold([this](std::string_view id) { return Restoring(id); });
  return Status::Ok();
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

void KafkaPipeline::BeginRestore(const connectors::TopicPartition& tp) {
  if (restore_worker_ == nullptr || !fatal_.ok() || restored_partitions_.count(tp.partition) != 0)
    return;
  if (restoring_.emplace(tp.partition, NowMono()).second) restore_worker_->Begin(tp.partition);
  metrics_->SetRestoringPartitions(static_cast<double>(restoring_.size()));
}

void KafkaPipeline::InstallRestored() {
  for (FinishedRestore& done : restore_worker_->TakeFinished()) {
    const int32_t partition = done.partition;
    restoring_.erase(partition);
    metrics_->SetRestoringPartitions(static_cast<double>(restoring_.size()));
    if (!done.result.ok()) {
      if (fatal_.ok()) fatal_ = done.result.status();
      continue;
    }
    const RestoreStats& restored = *done.result;
    restored_partitions_.insert(partition);
    if (owners_ != nullptr) pending_out_.push_back(owners_->Announcement(partition));
    metrics_->ChangelogRestored(static_cast<double>(restored.records_read),
                                static_cast<double>(restored.customers_applied));
    metrics_->ChangelogFromStandby(static_cast<double>(restored.records_from_standby));
    // Nothing of the partition was processed while it was restored: its cached entries (read
    // before) are clean, and may be stale.
    cache_.DropClean(
        [&](std::string_view id) { return changelog_->PartitionOfCustomer(id) == partition; });
    if (restored.customers_applied > 0) {
      log_->Info("pipeline", "restored a partition from the changelog",
                 {{"partition", partition},
                  {"customers", restored.customers_applied},
                  {"timers", restored.timers_applied},
                  {"records", restored.records_read},
                  {"standby_records", restored.records_from_standby},
                  {"ms", static_cast<int64_t>(done.seconds * 1000)}});
    }
    // Input of the partition goes on where the restored state accounts for it.
    std::vector<std::pair<connectors::TopicPartition, int64_t>> seeks;
    std::vector<connectors::TopicPartition> resumed;
    for (const auto& tp : assigned_) {
      if (tp.partition != partition) continue;
      resumed.push_back(tp);
      const std::optional<int64_t> offset = store_->GetOffset(tp.topic, partition);
      const auto skipped = skipped_while_restoring_.find(tp);
      if (!offset.has_value()) {
        // Nothing stored: where the assignment started it, from the first record skipped.
        if (skipped != skipped_while_restoring_.end()) seeks.emplace_back(tp, skipped->second);
        continue;
      }
      seeks.emplace_back(tp, *offset);
      // Kafka's committed offset follows the store's from now on (a restored partition with
      // nothing left to read would otherwise show its pre-restore lag for good).
      if (*offset > 0) {
        stored_offsets_[tp] = *offset;
        kafka_offsets_dirty_ = true;
      }
    }
    std::erase_if(skipped_while_restoring_,
                  [&](const auto& skipped) { return skipped.first.partition == partition; });
    if (Status s = source_->Seek(seeks); !s.ok()) {
      if (fatal_.ok()) fatal_ = s;
      continue;
    }
    if (!paused_) {
      if (Status s = source_->Resume(resumed); !s.ok() && fatal_.ok()) fatal_ = s;
    }
    last_record_ = NowMono();  // idleness counts from the resumption
  }
  ResumeAfterRestores();
  if (Status s = timers_.Refresh(); !s.ok() && fatal_.ok()) fatal_ = s;
}

void KafkaPipeline::ResumeAfterRestores() {
  // With no restore left, what remains skipped are partitions stopped at a record of a
  // customer being restored (Process).
  if (!restoring_.empty() || skipped_while_restoring_.empty()) return;
  std::vector<std::pair<connectors::TopicPartition, int64_t>> seeks(
      skipped_while_restoring_.begin(), skipped_while_restoring_.end());
  skipped_while_restoring_.clear();
  if (Status s = source_->Seek(seeks); !s.ok()) {
    if (fatal_.ok()) fatal_ = s;
    return;
  }
  if (paused_) return;  // resumed with the others when the pause ends
  std::vector<connectors::TopicPartition> resumed;
  for (const auto& [tp, offset] : seeks) resumed.push_back(tp);
  if (Status s = source_->Resume(resumed); !s.ok() && fatal_.ok()) fatal_ = s;
  last_record_ = NowMono();
}

bool KafkaPipeline::Restoring(std::string_view customer_id) const {
  return !restoring_.empty() && restoring_.count(changelog_->PartitionOfCustomer(customer_id)) != 0;
}

std::vector<connectors::TopicPartition> KafkaPipeline::Resumable() const {
  std::vector<connectors::TopicPartition> partitions;
  for (const auto& tp : assigned_) {
    if (restoring_.count(tp.partition) == 0 && skipped_while_restoring_.count(tp) == 0)
      partitions.push_back(tp);
  }
  return partitions;
}

void KafkaPipeline::AddRestoreReasons(std::vector<std::string>* reasons) const {
  const int64_t now = NowMono();
  for (const auto& [partition, since] : restoring_) {
    reasons->push_back("restoring partition " + std::to_string(partition) +
                       " from the changelog for " + std::to_string(now - since) + " ms");
  }
}

void KafkaPipeline::StopRestores() {
  // Joined here: a restore in progress stops at its next changelog poll. What it wrote is
  // restored again at the next assignment of its partition (its offsets were not advanced).
  restore_worker_.reset();
  restoring_.clear();
  metrics_->SetRestoringPartitions(0);
  skipped_while_restoring_.clear();
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
  for (int32_t p : gone) {
    restored_partitions_.erase(p);
    // A restore in progress stops before the drop, which then removes what it wrote.
    if (restoring_.erase(p) != 0 && restore_worker_ != nullptr) restore_worker_->Cancel(p);
  }
  metrics_->SetRestoringPartitions(static_cast<double>(restoring_.size()));
  std::erase_if(skipped_while_restoring_,
                [&](const auto& skipped) { return gone.count(skipped.first.partition) != 0; });
  ResumeAfterRestores();
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
  // A partition being restored is not served yet: answered as one not owned.
  if (owned && restoring_.count(partition) == 0) return std::nullopt;
  return partition;
}

std::optional<std::string> KafkaPipeline::AdminPartitionOwner(int32_t partition) {
  if (owners_ == nullptr) return std::nullopt;
  return owners_->OwnerOf(partition);
}

}  // namespace touchstream::engine
