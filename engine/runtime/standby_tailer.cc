#include "engine/runtime/standby_tailer.h"

#include <chrono>
#include <utility>
#include <vector>

#include "engine/runtime/changelog_writer.h"

namespace touchstream::engine {

namespace {
constexpr int kPollMs = 100;
constexpr auto kRetryPause = std::chrono::seconds(1);
// Key prefixes in the standby store: the kind of changelog record.
constexpr char kCustomerPrefix = 'c';
constexpr char kTimerPrefix = 't';
}  // namespace

Result<std::unique_ptr<StandbyTailer>> StandbyTailer::Start(const StandbyTailerOptions& options,
                                                            EngineMetrics* metrics) {
  std::unique_ptr<StandbyTailer> tailer(new StandbyTailer(options, metrics));
  auto store = state::StandbyStore::Open(options.dir);
  if (!store.ok()) return store.status();
  tailer->store_ = std::move(*store);
  auto reader = connectors::PartitionReader::Create(options.reader);
  if (!reader.ok()) return reader.status();
  tailer->reader_ = std::move(*reader);
  for (int32_t partition : options.partitions) {
    auto mark = tailer->store_->GetMark(partition);
    if (!mark.ok()) return mark.status();
    tailer->marks_[partition] = mark->value_or(state::StandbyMark{});
    tailer->copied_.insert(partition);
    prometheus::Gauge* gauge = metrics->StandbyCheckpoint(partition);
    gauge->Set(static_cast<double>(tailer->marks_[partition].checkpoint));
    tailer->checkpoint_gauges_[partition] = gauge;
  }
  tailer->thread_ = std::thread([t = tailer.get()] { t->Loop(); });
  return tailer;
}

StandbyTailer::~StandbyTailer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::optional<RestoreSeed>> StandbyTailer::TakeOver(int32_t partition, int64_t above) {
  state::StandbyMark mark;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (copied_.erase(partition) == 0) {
      // Not a standby partition, or already taken over.
      if (options_.partitions.count(partition) == 0) return std::optional<RestoreSeed>();
    } else {
      refollow_ = true;
      checkpoint_gauges_.at(partition)->Set(-1);
    }
    mark = marks_.at(partition);
  }
  wake_.notify_all();
  // No round writes this partition any more: its copy is read as it stands.
  if (mark.checkpoint <= above) return std::optional<RestoreSeed>();
  RestoreSeed seed;
  seed.checkpoint = mark.checkpoint;
  seed.next_offsets = mark.next_offsets;
  seed.open_batches = mark.open_batches;
  Status read = store_->ForEach(
      partition, [&](std::string_view key, const std::optional<std::string>& value) {
        if (key.empty()) return;
        auto& target = key.front() == kTimerPrefix ? seed.timers : seed.customers;
        target.emplace(std::string(key.substr(1)), value);
      });
  if (!read.ok()) return read;
  return std::optional<RestoreSeed>(std::move(seed));
}

void StandbyTailer::Resume(int32_t partition) {
  if (options_.partitions.count(partition) == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!copied_.insert(partition).second) return;
    refollow_ = true;
    checkpoint_gauges_.at(partition)->Set(static_cast<double>(marks_.at(partition).checkpoint));
  }
  wake_.notify_all();
}

void StandbyTailer::Loop() {
  bool failing = false;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Nothing to copy: wait for a Resume (or the end) instead of polling.
      wake_.wait(lock, [&] { return stop_ || !copied_.empty() || refollow_; });
      if (stop_) break;
    }
    Status s = Round();
    if (s.ok()) {
      if (failing) options_.log->Info("standby", "standby copy works again");
      failing = false;
      continue;
    }
    if (!failing) {
      options_.log->Warn(
          "standby", "standby copy failed; retrying",
          {{"error", s.ToString()}, {"retry_s", std::chrono::seconds(kRetryPause).count()}});
    }
    failing = true;
    std::unique_lock<std::mutex> lock(mu_);
    refollow_ = true;  // re-read from the marks: what failed is read again
    wake_.wait_for(lock, kRetryPause, [&] { return stop_; });
    if (stop_) break;
  }
  reader_->Follow(options_.changelog_topic, {});
}

Status StandbyTailer::Round() {
  std::map<int32_t, int64_t> follow;
  bool refollow = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (refollow_) {
      for (int32_t partition : copied_) follow[partition] = marks_.at(partition).checkpoint;
      refollow = true;
      refollow_ = false;
    }
  }
  if (refollow) {
    if (Status s = reader_->Follow(options_.changelog_topic, follow); !s.ok()) return s;
    if (follow.empty()) return Status::Ok();
  }
  std::vector<connectors::SourceRecord> records;
  auto polled = reader_->PollRecords(
      kPollMs, kMaxRoundRecords, [&](const connectors::SourceRecord& r) { records.push_back(r); });
  if (!polled.ok()) return polled.status();
  if (records.empty()) return Status::Ok();

  std::lock_guard<std::mutex> lock(mu_);
  std::vector<state::StandbyEntry> entries;
  std::map<int32_t, state::StandbyMark> marks;
  for (const connectors::SourceRecord& r : records) {
    // Taken over since it was polled, or read again after a re-follow: skipped.
    if (copied_.count(r.partition) == 0) continue;
    auto [it, first] = marks.try_emplace(r.partition, marks_.at(r.partition));
    state::StandbyMark& mark = it->second;
    if (r.offset < mark.checkpoint) continue;
    const ChangelogRecordInfo info = ParseChangelogRecord(r);
    // Input offsets count as a restore counts them: from the batches copied whole only.
    BatchTally tally(std::move(mark.next_offsets), std::move(mark.open_batches));
    tally.Add(info);
    mark.next_offsets = tally.whole();
    mark.open_batches = tally.open();
    mark.checkpoint = r.offset + 1;
    if (info.impact) continue;  // not part of any customer's state
    const char prefix = info.timer ? kTimerPrefix : kCustomerPrefix;
    entries.push_back({r.partition, prefix + r.key,
                       r.value.empty() ? std::nullopt : std::optional<std::string>(r.value)});
  }
  if (marks.empty()) return Status::Ok();
  if (Status s = store_->Apply(entries, marks); !s.ok()) return s;
  for (auto& [partition, mark] : marks) {
    checkpoint_gauges_.at(partition)->Set(static_cast<double>(mark.checkpoint));
    marks_[partition] = std::move(mark);
  }
  metrics_->StandbyApplied(static_cast<double>(entries.size()));
  return Status::Ok();
}

}  // namespace touchstream::engine
