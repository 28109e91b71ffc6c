// ProcessCollector: the standard Prometheus process metrics of this process, read from /proc
// at each scrape: process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds.
//
// Hand-written because prometheus-cpp 1.0.1 (Debian bookworm's prometheus-cpp-dev) has no
// process collector; the names and units are those of the official Go and Python clients, so
// their dashboards work unchanged. Linux only (/proc).
//
// Thread safety: Collect may run on any thread (it holds no state).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace touchstream::engine {

// One reading of /proc/<pid>/stat.
struct ProcStat {
  double cpu_seconds = 0;  // user + system time
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// Parses the text of /proc/<pid>/stat (proc(5): utime, stime, starttime in clock ticks, vsize in
// bytes, rss in pages). `boot_time_seconds` is /proc/stat's btime. InvalidArgument naming the
// field when the text is cut short or a field is not a number.
Result<ProcStat> ParseProcStat(std::string_view stat, int64_t ticks_per_second, int64_t page_bytes,
                               int64_t boot_time_seconds);

// The "btime" (boot time, seconds since the Unix epoch) of the text of /proc/stat.
// InvalidArgument when there is no btime line.
Result<int64_t> ParseBootTime(std::string_view proc_stat);

class ProcessCollector final : public prometheus::Collectable {
 public:
  // The families whose source could be read: a /proc file that cannot be read (or parsed) leaves
  // its metrics out of this scrape rather than failing the scrape.
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace touchstream::engine
