#include "engine/runtime/owner_directory.h"

#include <chrono>
#include <vector>

namespace touchstream::engine {

namespace {
constexpr int kPollMs = 100;
// Announcement keys: this prefix and the partition number.
constexpr char kKeyPrefix[] = "partition:";
constexpr size_t kMaxRoundRecords = 1000;
constexpr auto kRetryPause = std::chrono::seconds(1);
}  // namespace

Result<std::unique_ptr<OwnerDirectory>> OwnerDirectory::Start(
    const OwnerDirectoryOptions& options) {
  std::unique_ptr<OwnerDirectory> directory(new OwnerDirectory(options));
  auto reader = connectors::PartitionReader::Create(options.reader);
  if (!reader.ok()) return reader.status();
  directory->reader_ = std::move(*reader);
  if (Status s = directory->reader_->Follow(options.topic, {{0, 0}}); !s.ok()) return s;
  directory->thread_ = std::thread([d = directory.get()] { d->Loop(); });
  return directory;
}

OwnerDirectory::~OwnerDirectory() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

v1::OutboxEntry OwnerDirectory::Announcement(int32_t partition) const {
  v1::OutboxEntry entry;
  entry.set_topic(options_.topic);
  entry.set_partition(0);
  entry.set_key(kKeyPrefix + std::to_string(partition));
  entry.set_value(options_.self_address);
  return entry;
}

std::optional<std::string> OwnerDirectory::OwnerOf(int32_t partition) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = owners_.find(partition);
  if (it == owners_.end() || it->second == options_.self_address) return std::nullopt;
  return it->second;
}

void OwnerDirectory::Loop() {
  bool failing = false;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    std::vector<std::pair<int32_t, std::string>> seen;
    auto polled =
        reader_->PollRecords(kPollMs, kMaxRoundRecords, [&](const connectors::SourceRecord& r) {
          try {
            if (!r.key.starts_with(kKeyPrefix)) return;
            seen.emplace_back(std::stoi(r.key.substr(sizeof(kKeyPrefix) - 1)), r.value);
          } catch (const std::exception&) {
            // Not an announcement: ignored.
          }
        });
    if (!polled.ok()) {
      if (!failing) {
        options_.log->Warn("owners",
                           "reading the owners topic failed; owners' addresses may be stale",
                           {{"topic", options_.topic}, {"error", polled.status().ToString()}});
      }
      failing = true;
      std::this_thread::sleep_for(kRetryPause);
      continue;
    }
    failing = false;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [partition, address] : seen) {
      if (address.empty()) {
        owners_.erase(partition);
      } else {
        owners_[partition] = std::move(address);
      }
    }
  }
  reader_->Follow(options_.topic, {});
}

}  // namespace touchstream::engine
