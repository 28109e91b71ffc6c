// state_bench: cost and size of the per-customer state with every state feature of the demo
// config enabled (built-in aggregates, activity, lifecycle, declared windows, RFM, consent,
// CLV summary, and whatever else deploy/config/demo.yaml configures).
//
//   update   EventProcessor::ProcessEvent with no rules loaded, over synthetic journeys held in
//            memory, every state cached (in-memory store): the state-update cost per event,
//            without rules, encoding or RocksDB commits (those are in engine_bench).
//   size     serialized CustomerState bytes per customer after the stream: mean, p50, p99, max.
//   load     --load N: writes N customers to a RocksDB store configured as the demo's (block
//            cache, write-back cache size), cloning the states of the update phase under new
//            ids, then reads 200,000 random customers back. Prints the resident memory every
//            N/5 customers (it must stay flat: memory is bounded by configuration, not by the
//            number of customers), the peak resident memory, and the store's size on disk.
//   cold     after the load, the store is closed and opened again (an empty block cache, as
//            after a restart), and --reads random customers are read from it: every read
//            misses the block cache for its data block, and at 10 million customers most miss
//            it for index and filter partitions too. Whether the files are in the OS page
//            cache is the other half of "cold": --evict-page-cache asks the kernel to drop this
//            store's pages (posix_fadvise DONTNEED on every file, which touches no other
//            file on the machine) before reading, so reads go to the disk.
//   --store DIR keeps the store in DIR (created when missing) instead of a temporary
//            directory, and skips the load when DIR already holds the N customers: build a
//            10-million-customer store once and measure reads against it many times.
//
// Usage: state_bench [--customers N] [--days D] [--repeat R] [--load N] [--reads R]
//                    [--store DIR] [--evict-page-cache] [--block-cache-mb M]
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "connectors/journey_generator.h"
#include "engine/config/config.h"
#include "engine/core/processor.h"
#include "engine/runtime/engine_setup.h"
#include "state/in_memory_store.h"
#include "tests/bench/bench_config.h"
#include "tests/testing/temp_dir.h"

namespace touchstream {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& what, const Status& status) {
  std::cerr << "state_bench: " << what << ": " << status.ToString() << "\n";
  std::exit(1);
}

// A line of /proc/self/status ("VmRSS", "VmHWM") in MiB.
double ProcStatusMiB(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atof(line.c_str() + field.size() + 1) / 1024;
  }
  return 0;
}

double DirectoryMiB(const std::filesystem::path& dir) {
  uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

// CPU time of the calling thread, in nanoseconds: unlike wall time, not inflated by other
// processes on a shared machine.
double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

struct PassCost {
  double wall_ns = 0;  // per event
  double cpu_ns = 0;   // per event, processing thread CPU time
};

// One pass of every event through a fresh processor; cost per event. Leaves the final states
// in *states when given.
PassCost UpdatePass(const engine::EngineConfig& config,
                    const std::vector<v1::TouchpointEvent>& events, int customers,
                    std::vector<v1::CustomerState>* states) {
  auto store = state::NewInMemoryStore();
  state::CustomerCache cache(store.get(), static_cast<size_t>(customers) + 1);
  engine::EngineMetrics metrics;
  engine::EventProcessor processor(config, &cache, &metrics, engine::TimeMode::kStreamTime);
  std::vector<v1::OutboxEntry> out;
  const auto start = Clock::now();
  const double cpu_start = ThreadCpuNs();
  for (const auto& event : events) {
    Status s = processor.ProcessEvent(event, 0, &out);
    if (!s.ok()) Fail("process", s);
  }
  const double cpu_ns = ThreadCpuNs() - cpu_start;
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (states != nullptr) {
    for (int i = 0; i < customers; ++i) {
      v1::CustomerState state;
      if (cache.Get("c-" + std::to_string(i), &state).ok()) states->push_back(std::move(state));
    }
  }
  const auto n = static_cast<double>(events.size());
  return {ns / n, cpu_ns / n};
}

void PrintSizes(const std::vector<v1::CustomerState>& states) {
  std::vector<size_t> sizes;
  sizes.reserve(states.size());
  double total = 0;
  for (const auto& s : states) {
    sizes.push_back(s.ByteSizeLong());
    total += static_cast<double>(sizes.back());
  }
  std::sort(sizes.begin(), sizes.end());
  auto at = [&](double q) { return sizes[static_cast<size_t>(q * (sizes.size() - 1))]; };
  std::cout << std::setprecision(0) << "  state size (serialized)  mean " << total / sizes.size()
            << " B, p50 " << at(0.5) << " B, p99 " << at(0.99) << " B, max " << sizes.back()
            << " B per customer\n";
}

// Drops the pages of every file under `dir` from the OS page cache (clean pages only: the
// store is flushed and closed first).
void EvictPageCache(const std::filesystem::path& dir) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

struct LoadOptions {
  int64_t customers = 0;
  int reads = 200000;
  std::optional<std::filesystem::path> store_dir;  // a temporary directory when unset
  bool evict_page_cache = false;
  int64_t block_cache_mb = 0;  // the demo config's when 0
};

// Writes `customers` states cloned from `base` under ids "load-<n>" through the RocksDB store
// in commit batches (unless the store already holds them), then reopens the store and reads
// random ones back.
void Load(const engine::EngineConfig& base, const std::vector<v1::CustomerState>& states,
          const LoadOptions& options) {
  engine::EngineConfig config = base;
  const int64_t customers = options.customers;
  // Declared before the store, so RocksDB's background work ends before the directory goes.
  std::optional<test::TempDir> scratch;
  if (!options.store_dir) scratch.emplace("touchstream-state-bench");
  const std::filesystem::path dir = options.store_dir ? *options.store_dir : scratch->path();
  config.state.dir = dir.string();
  if (options.block_cache_mb > 0) config.state.block_cache_bytes = options.block_cache_mb << 20;
  std::cout << std::setprecision(0) << "  load: " << customers << " customers in " << dir.string()
            << ", block cache " << config.state.block_cache_bytes / (1 << 20)
            << " MiB, write-back cache " << config.state.cache_customers
            << " customers; resident memory before " << ProcStatusMiB("VmRSS") << " MiB\n";
  {
    auto store = engine::OpenStore(config);
    if (!store.ok()) Fail("open store", store.status());
    v1::CustomerState last;
    if ((*store)->GetCustomer("load-" + std::to_string(customers - 1), &last).ok()) {
      std::cout << "    the store holds them already: not loading\n";
    } else {
      state::CustomerCache cache(store->get(), static_cast<size_t>(config.state.cache_customers));
      constexpr int64_t kBatch = 5000;
      const int64_t report_every = std::max<int64_t>(customers / 5, 1);
      const auto start = Clock::now();
      for (int64_t n = 0; n < customers; ++n) {
        const std::string id = "load-" + std::to_string(n);
        auto state = cache.GetForUpdate(id);
        if (!state.ok()) Fail("load customer", state.status());
        **state = states[static_cast<size_t>(n) % states.size()];
        (*state)->set_customer_id(id);
        if ((n + 1) % kBatch == 0 || n + 1 == customers) {
          state::CommitBatch batch;
          cache.FlushDirtyInto(&batch);
          Status s = (*store)->Commit(batch, nullptr);
          if (!s.ok()) Fail("commit", s);
        }
        if ((n + 1) % report_every == 0) {
          const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
          std::cout << "    " << std::setw(9) << n + 1 << " written  " << std::setw(7)
                    << static_cast<double>(n + 1) / seconds << " customers/s  resident "
                    << ProcStatusMiB("VmRSS") << " MiB  disk " << DirectoryMiB(dir) << " MiB\n"
                    << std::flush;
        }
      }
      Status flushed = (*store)->Flush();
      if (!flushed.ok()) Fail("flush", flushed);
    }
  }
  if (options.evict_page_cache) EvictPageCache(dir);
  auto store = engine::OpenStore(config);
  if (!store.ok()) Fail("reopen store", store.status());
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> pick(0, customers - 1);
  const auto read_start = Clock::now();
  const double read_cpu_start = ThreadCpuNs();
  v1::CustomerState state;
  for (int i = 0; i < options.reads; ++i) {
    Status s = (*store)->GetCustomer("load-" + std::to_string(pick(random)), &state);
    if (!s.ok()) Fail("read back", s);
  }
  const double read_cpu_seconds = (ThreadCpuNs() - read_cpu_start) / 1e9;
  const double read_seconds = std::chrono::duration<double>(Clock::now() - read_start).count();
  std::cout << "    " << options.reads << " random reads, reopened store"
            << (options.evict_page_cache ? ", store evicted from the OS page cache" : "") << ": "
            << options.reads / read_seconds << " customers/s wall ("
            << read_seconds * 1e6 / options.reads << " us per read; "
            << read_cpu_seconds * 1e6 / options.reads << " us CPU of the reading thread, "
            << options.reads / read_cpu_seconds << " customers/s of its CPU time); resident "
            << ProcStatusMiB("VmRSS") << " MiB, peak " << ProcStatusMiB("VmHWM") << " MiB; disk "
            << DirectoryMiB(dir) << " MiB (" << std::setprecision(1)
            << DirectoryMiB(dir) * 1024 * 1024 / static_cast<double>(customers)
            << " B per customer)\n";
}

int Main(int argc, char** argv) {
  connectors::JourneyOptions journeys;
  journeys.customers = 100000;
  journeys.days = 90;
  int repeat = 3;
  LoadOptions load;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--evict-page-cache") {
      load.evict_page_cache = true;
      continue;
    }
    if (i + 1 == argc) break;
    if (flag == "--customers") journeys.customers = std::atoi(argv[i + 1]);
    if (flag == "--days") journeys.days = std::atoi(argv[i + 1]);
    if (flag == "--repeat") repeat = std::atoi(argv[i + 1]);
    if (flag == "--load") load.customers = std::atoll(argv[i + 1]);
    if (flag == "--reads") load.reads = std::atoi(argv[i + 1]);
    if (flag == "--store") load.store_dir = argv[i + 1];
    if (flag == "--block-cache-mb") load.block_cache_mb = std::atoll(argv[i + 1]);
    ++i;
  }
  const engine::EngineConfig config = bench::DemoConfig();
  std::vector<v1::CustomerState> states;
  {
    const auto events = connectors::GenerateJourneys(journeys);
    std::cout << "state_bench: " << events.size() << " events of " << journeys.customers
              << " customers over " << journeys.days << " days, demo config, no rules, median of "
              << repeat << " runs\n";
    std::vector<double> wall, cpu;
    for (int r = 0; r < repeat; ++r) {
      const PassCost cost =
          UpdatePass(config, events, journeys.customers, r == 0 ? &states : nullptr);
      wall.push_back(cost.wall_ns);
      cpu.push_back(cost.cpu_ns);
    }
    std::cout << std::fixed << std::setprecision(0) << "  state update             "
              << bench::Median(cpu) << " ns/event CPU (" << bench::Median(wall)
              << " ns/event wall)\n";
  }
  PrintSizes(states);
  malloc_trim(0);  // return the freed event stream to the system before measuring the load
  if (load.customers > 0) Load(config, states, load);
  return 0;
}

}  // namespace
}  // namespace touchstream

int main(int argc, char** argv) {
  return touchstream::Main(argc, argv);
}
