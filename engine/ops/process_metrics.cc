#include "engine/ops/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace touchstream::engine {

namespace {

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

bool ParseInt(std::string_view text, int64_t* out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<ProcStat> ParseProcStat(std::string_view stat, int64_t ticks_per_second, int64_t page_bytes,
                               int64_t boot_time_seconds) {
  // Field 2, the command name, is in parentheses and may hold spaces and ')': the fields
  // after it start after the LAST ')'. Field n (1-based, proc(5)) is fields[n - 3] then.
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos) {
    return Status::InvalidArgument("/proc/self/stat: no ')' closing the command name");
  }
  std::vector<std::string_view> fields;
  for (size_t at = close + 1; at < stat.size();) {
    while (at < stat.size() && (stat[at] == ' ' || stat[at] == '\n')) ++at;
    const size_t end = stat.find_first_of(" \n", at);
    const size_t stop = end == std::string_view::npos ? stat.size() : end;
    if (stop > at) fields.push_back(stat.substr(at, stop - at));
    at = stop;
  }
  const auto field = [&](int n, const char* name, int64_t* out) -> Status {
    if (static_cast<size_t>(n - 3) >= fields.size()) {
      return Status::InvalidArgument("/proc/self/stat: field " + std::to_string(n) + " (" + name +
                                     ") missing: only " + std::to_string(fields.size() + 2) +
                                     " fields");
    }
    if (!ParseInt(fields[n - 3], out)) {
      return Status::InvalidArgument("/proc/self/stat: field " + std::to_string(n) + " (" + name +
                                     ") is not a number: '" + std::string(fields[n - 3]) + "'");
    }
    return Status::Ok();
  };
  int64_t utime = 0, stime = 0, start_ticks = 0, vsize = 0, rss_pages = 0;
  for (Status s : {field(14, "utime", &utime), field(15, "stime", &stime),
                   field(22, "starttime", &start_ticks), field(23, "vsize", &vsize),
                   field(24, "rss", &rss_pages)}) {
    if (!s.ok()) return s;
  }
  ProcStat out;
  const auto ticks = static_cast<double>(ticks_per_second);
  out.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  out.start_time_seconds =
      static_cast<double>(boot_time_seconds) + static_cast<double>(start_ticks) / ticks;
  out.virtual_bytes = static_cast<double>(vsize);
  out.resident_bytes = static_cast<double>(rss_pages) * static_cast<double>(page_bytes);
  return out;
}

Result<int64_t> ParseBootTime(std::string_view proc_stat) {
  for (size_t at = 0; at < proc_stat.size();) {
    const size_t end = std::min(proc_stat.find('\n', at), proc_stat.size());
    std::string_view line = proc_stat.substr(at, end - at);
    int64_t seconds = 0;
    if (line.starts_with("btime ") && ParseInt(line.substr(6), &seconds)) return seconds;
    at = end + 1;
  }
  return Status::InvalidArgument("/proc/stat: no 'btime' line");
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  const std::optional<std::string> stat = ReadFile("/proc/self/stat");
  const std::optional<std::string> proc_stat = ReadFile("/proc/stat");
  if (stat && proc_stat) {
    Result<int64_t> boot = ParseBootTime(*proc_stat);
    Result<ProcStat> parsed =
        boot.ok() ? ParseProcStat(*stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot.value())
                  : Result<ProcStat>(boot.status());
    if (parsed.ok()) {
      const ProcStat& p = parsed.value();
      families.push_back(Family("process_cpu_seconds_total",
                                "Total user and system CPU time spent in seconds.",
                                MetricType::Counter, p.cpu_seconds));
      families.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes.",
                                MetricType::Gauge, p.resident_bytes));
      families.push_back(Family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                                MetricType::Gauge, p.virtual_bytes));
      families.push_back(Family("process_start_time_seconds",
                                "Start time of the process since unix epoch in seconds.",
                                MetricType::Gauge, p.start_time_seconds));
    }
  }
  // Counts the directory's own descriptor too, open while it is read (as the Go client does).
  std::error_code error;
  double open_fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++open_fds;
  }
  if (!error) {
    families.push_back(Family("process_open_fds", "Number of open file descriptors.",
                              MetricType::Gauge, open_fds));
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    families.push_back(Family("process_max_fds", "Maximum number of open file descriptors.",
                              MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  return families;
}

}  // namespace touchstream::engine
