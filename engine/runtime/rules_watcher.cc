#include "engine/runtime/rules_watcher.h"

#include <algorithm>
#include <filesystem>

namespace touchstream::engine {

namespace {

void AddEntry(const std::filesystem::path& path, std::string* out) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  const auto mtime = std::filesystem::last_write_time(path, ec);
  *out += path.string() + "|" + std::to_string(ec ? 0 : size) + "|" +
          std::to_string(ec ? 0 : mtime.time_since_epoch().count()) + "\n";
}

}  // namespace

RulesWatcher::RulesWatcher(std::vector<std::string> paths, std::chrono::milliseconds interval,
                           std::function<void()> on_change)
    : paths_(std::move(paths)), interval_(interval), on_change_(std::move(on_change)) {
  thread_ = std::thread([this] { Loop(); });
}

RulesWatcher::~RulesWatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string RulesWatcher::Fingerprint(const std::vector<std::string>& paths) {
  std::string out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec)) {
      AddEntry(p, &out);
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(p, ec)) {
      const std::string ext = entry.path().extension().string();
      if (ext == ".yaml" || ext == ".yml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) AddEntry(f, &out);
  }
  return out;
}

void RulesWatcher::Loop() {
  std::string last = Fingerprint(paths_);
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    std::string now = Fingerprint(paths_);
    if (now != last) {
      last = std::move(now);
      on_change_();
    }
    lock.lock();
  }
}

}  // namespace touchstream::engine
