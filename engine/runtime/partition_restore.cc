#include "engine/runtime/partition_restore.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>

#include "connectors/kafka_record.h"
#include "connectors/partition_reader.h"
#include "engine/runtime/changelog_writer.h"
#include "state/customer_codec.h"

namespace touchstream::engine {

namespace {

// Customers per commit batch while restoring or dropping.
constexpr size_t kBatchCustomers = 1000;

// Deletes the stored timers the state names.
void DeleteTimersOf(const v1::CustomerState& state, state::CommitBatch* batch) {
  for (const auto& [name, fire_ms] : state.timers()) {
    v1::Timer timer;
    timer.set_customer_id(state.customer_id());
    timer.set_name(name);
    timer.set_fire_ms(fire_ms);
    batch->DeleteTimer(timer);
  }
}

// True when `local` applied a later input record of the same topic partition than `restored`.
bool AppliedLater(const v1::CustomerState& local, const v1::CustomerState& restored) {
  const v1::InputPosition& a = local.last_input();
  const v1::InputPosition& b = restored.last_input();
  return local.has_last_input() && restored.has_last_input() && a.topic() == b.topic() &&
         a.partition() == b.partition() && a.offset() > b.offset();
}

// Raises each offset of `into` to the one `from` names for its topic.
void MergeMax(const std::map<std::string, int64_t>& from, std::map<std::string, int64_t>* into) {
  for (const auto& [topic, offset] : from) {
    auto [it, inserted] = into->emplace(topic, offset);
    if (!inserted) it->second = std::max(it->second, offset);
  }
}

}  // namespace

ChangelogRecordInfo ParseChangelogRecord(const connectors::SourceRecord& record) {
  ChangelogRecordInfo info;
  info.batch_id = "record:" + std::to_string(record.offset);
  for (const auto& [name, value] : record.headers) {
    if (name == kChangelogKindHeader) {
      info.timer = value == kChangelogTimerKind;
      info.impact = value == kChangelogImpactKind;
    }
    if (name == kChangelogBatchHeader) {
      const size_t count_at = value.rfind(':');
      if (count_at != std::string::npos) {
        info.batch_id = value.substr(0, count_at);
        info.announced = std::strtoll(value.c_str() + count_at + 1, nullptr, 10);
      }
    }
    if (name.starts_with(kNextOffsetHeaderPrefix)) {
      try {
        info.next_offsets[name.substr(sizeof(kNextOffsetHeaderPrefix) - 1)] = std::stoll(value);
      } catch (const std::exception&) {
        continue;
      }
    }
  }
  return info;
}

void BatchTally::Add(const ChangelogRecordInfo& info) {
  state::StandbyBatch& batch = open_[info.batch_id];
  batch.announced = info.announced;
  ++batch.read;
  MergeMax(info.next_offsets, &batch.next_offsets);
  if (batch.read < batch.announced) return;
  MergeMax(batch.next_offsets, &whole_);
  open_.erase(info.batch_id);
  std::erase_if(open_, [&](const auto& entry) {
    return std::all_of(entry.second.next_offsets.begin(), entry.second.next_offsets.end(),
                       [&](const auto& named) {
                         auto it = whole_.find(named.first);
                         return it != whole_.end() && it->second >= named.second;
                       });
  });
}

PartitionRestore::PartitionRestore(connectors::PartitionReader* reader, state::StateStore* store,
                                   std::string changelog_topic,
                                   std::vector<std::string> input_topics,
                                   std::function<int32_t(std::string_view)> partition_of)
    : reader_(reader),
      store_(store),
      changelog_topic_(std::move(changelog_topic)),
      input_topics_(std::move(input_topics)),
      partition_of_(std::move(partition_of)) {}

Result<RestoreStats> PartitionRestore::Restore(int32_t partition, RestoreSeed* seed,
                                               const std::atomic<bool>* cancel) {
  const auto cancelled = [cancel] {
    return cancel != nullptr && cancel->load(std::memory_order_relaxed);
  };
  const auto cancelled_status = [&] {
    return Status::Unavailable("restore of changelog " + changelog_topic_ + "[" +
                               std::to_string(partition) + "] cancelled");
  };
  RestoreStats stats;
  const std::optional<int64_t> checkpoint = store_->GetOffset(changelog_topic_, partition);
  // Per key the record to restore (nullopt: a tombstone): the customer record that applied the
  // latest input (a member that lost the partition may deliver older states after the new
  // owner's), the timer records by fire_ms.
  std::map<std::string, std::optional<v1::CustomerState>> customers;
  std::map<std::string, std::map<int64_t, std::string>> timers;
  // Input offsets named by the batches read whole (kChangelogBatchHeader).
  BatchTally tally;
  Status decode_error;
  int64_t from = checkpoint.value_or(0);
  if (seed != nullptr && seed->checkpoint > from) {
    // The standby copy folded the changelog up to its checkpoint: its records, then the tail.
    // Its marks count batches as this read does: a batch it holds in part is whole only once
    // the tail brings the rest.
    for (auto& [key, value] : seed->customers) {
      auto& target = customers[key];
      if (!value.has_value()) continue;
      v1::CustomerState restored;
      if (Status s = state::DecodeCustomer(key, *value, &restored); !s.ok()) {
        if (decode_error.ok()) decode_error = s;
        continue;
      }
      target = std::move(restored);
    }
    for (auto& [key, value] : seed->timers) {
      v1::Timer parsed;
      if (value.has_value() && parsed.ParseFromString(*value)) {
        timers[key][parsed.fire_ms()] = std::move(*value);
      }
    }
    stats.records_from_standby = static_cast<int64_t>(seed->customers.size() + seed->timers.size());
    tally = BatchTally(std::move(seed->next_offsets), std::move(seed->open_batches));
    from = seed->checkpoint;
  }
  auto end = reader_->ReadToEnd(
      changelog_topic_, partition, from,
      [&](const connectors::SourceRecord& r) {
        ++stats.records_read;
        const ChangelogRecordInfo info = ParseChangelogRecord(r);
        tally.Add(info);
        if (info.impact) return;  // an instance's counters, read by reports (impact_changelog.h)
        if (info.timer) {
          v1::Timer parsed;
          if (!r.value.empty() && parsed.ParseFromString(r.value)) {
            timers[r.key][parsed.fire_ms()] = r.value;
          }
          return;
        }
        auto& target = customers[r.key];
        if (r.value.empty()) {
          target.reset();
          return;
        }
        v1::CustomerState restored;
        if (Status s = state::DecodeCustomer(r.key, r.value, &restored); !s.ok()) {
          if (decode_error.ok()) decode_error = s;
          return;
        }
        if (target.has_value() && AppliedLater(*target, restored)) return;
        target = std::move(restored);
      },
      cancelled);
  if (cancelled()) return cancelled_status();
  if (!end.ok()) return end.status();
  if (!decode_error.ok()) {
    return Status::Corruption("changelog " + changelog_topic_ + "[" + std::to_string(partition) +
                              "]: " + decode_error.message());
  }
  // Input resumes after the batches read whole only: the states of a batch read in part are
  // restored, and the input they account for is read again (re-applying it is a no-op for the
  // customers that applied it: input_position.h).
  const std::map<std::string, int64_t>& next_offsets = tally.whole();

  // Behind: never restored (or dropped since), or the changelog accounts for more input.
  bool behind = !checkpoint.has_value() || *checkpoint == 0;
  for (const auto& [topic, offset] : next_offsets) {
    const std::optional<int64_t> local = store_->GetOffset(topic, partition);
    if (!local.has_value() || *local < offset) behind = true;
  }
  state::CommitBatch batch;
  size_t in_batch = 0;
  if (behind) {
    for (const auto& [customer_id, restored] : customers) {
      v1::CustomerState local;
      Status found = store_->GetCustomer(customer_id, &local);
      if (!found.ok() && found.code() != Status::Code::kNotFound) return found;
      if (!restored.has_value()) {
        if (found.ok()) DeleteTimersOf(local, &batch);
        batch.DeleteCustomer(customer_id);
      } else {
        // A local state that applied later input than the record (its newer record was not
        // delivered yet) is kept.
        if (found.ok() && AppliedLater(local, *restored)) continue;
        if (found.ok()) DeleteTimersOf(local, &batch);
        batch.PutCustomer(*restored);
        for (const auto& [name, fire_ms] : restored->timers()) {
          auto by_key = timers.find(ChangelogTimerKey(customer_id, name));
          if (by_key == timers.end()) continue;
          auto record = by_key->second.find(fire_ms);
          v1::Timer timer;
          if (record == by_key->second.end() || !timer.ParseFromString(record->second)) continue;
          batch.PutTimer(timer);
          ++stats.timers_applied;
        }
      }
      ++stats.customers_applied;
      if (++in_batch >= kBatchCustomers) {
        if (cancelled()) return cancelled_status();
        if (Status s = store_->Commit(batch, nullptr); !s.ok()) return s;
        batch = state::CommitBatch();
        in_batch = 0;
      }
    }
    // Input resumes where the restored states account for it, never before what the store
    // itself committed (states ahead of it skip what they applied: input_position.h).
    for (const auto& [topic, offset] : next_offsets) {
      batch.PutOffset(topic, partition,
                      std::max(offset, store_->GetOffset(topic, partition).value_or(0)));
    }
  }
  batch.PutOffset(changelog_topic_, partition, *end);
  if (cancelled()) return cancelled_status();
  if (Status s = store_->Commit(batch, nullptr); !s.ok()) return s;
  return stats;
}

Status PartitionRestore::Drop(const std::set<int32_t>& partitions) {
  if (partitions.empty()) return Status::Ok();
  std::vector<v1::CustomerState> dropped;
  Status scan = store_->ForEachCustomer([&](const v1::CustomerState& state) {
    if (partitions.count(partition_of_(state.customer_id())) != 0) dropped.push_back(state);
    return true;
  });
  if (!scan.ok()) return scan;
  state::CommitBatch batch;
  for (size_t i = 0; i < dropped.size(); ++i) {
    DeleteTimersOf(dropped[i], &batch);
    batch.DeleteCustomer(dropped[i].customer_id());
    if ((i + 1) % kBatchCustomers == 0) {
      if (Status s = store_->Commit(batch, nullptr); !s.ok()) return s;
      batch = state::CommitBatch();
    }
  }
  // Offsets cannot be deleted: 0 reads as "restore everything, then start from the changelog".
  for (int32_t partition : partitions) {
    for (const std::string& topic : input_topics_) batch.PutOffset(topic, partition, 0);
    batch.PutOffset(changelog_topic_, partition, 0);
  }
  return store_->Commit(batch, nullptr);
}

}  // namespace touchstream::engine
