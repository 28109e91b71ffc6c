// ProcessCollector: parsing /proc/<pid>/stat and /proc/stat, and the live families it serves.
#include "engine/ops/process_metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>

namespace touchstream::engine {
namespace {

// A real line of /proc/<pid>/stat (a process named "a) b c") with utime 250, stime 150,
// starttime 1000 ticks, vsize 123456789 bytes, rss 2048 pages.
constexpr char kStat[] =
    "4242 (a) b c) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 150 0 0 20 0 7 0 1000 123456789 "
    "2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

// Values by family name of one collection.
std::map<std::string, double> Collected() {
  std::map<std::string, double> values;
  for (const auto& family : ProcessCollector().Collect()) {
    EXPECT_EQ(family.metric.size(), 1u) << family.name;
    values[family.name] = family.type == prometheus::MetricType::Counter
                              ? family.metric.front().counter.value
                              : family.metric.front().gauge.value;
  }
  return values;
}

// The fields after the last ')' are read in proc(5)'s positions, in seconds and bytes.
TEST(ProcStatTest, ParsesFieldsAfterTheCommandName) {
  auto stat = ParseProcStat(kStat, /*ticks_per_second=*/100, /*page_bytes=*/4096,
                            /*boot_time_seconds=*/1'700'000'000);
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_DOUBLE_EQ(stat.value().cpu_seconds, 4.0);
  EXPECT_DOUBLE_EQ(stat.value().start_time_seconds, 1'700'000'010.0);
  EXPECT_DOUBLE_EQ(stat.value().virtual_bytes, 123456789.0);
  EXPECT_DOUBLE_EQ(stat.value().resident_bytes, 2048.0 * 4096);
}

// A truncated line or a non-number names the field.
TEST(ProcStatTest, BadTextNamesTheField) {
  auto cut = ParseProcStat("1 (x) S 1 2 3", 100, 4096, 0);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("field 14 (utime) missing"), std::string::npos)
      << cut.status().ToString();
  std::string bad = kStat;
  bad.replace(bad.find(" 250 "), 5, " 2x0 ");
  auto not_number = ParseProcStat(bad, 100, 4096, 0);
  ASSERT_FALSE(not_number.ok());
  EXPECT_NE(not_number.status().message().find("field 14 (utime) is not a number: '2x0'"),
            std::string::npos)
      << not_number.status().ToString();
  EXPECT_FALSE(ParseProcStat("no command name", 100, 4096, 0).ok());
}

// btime is found among /proc/stat's lines; its absence is an error.
TEST(ProcStatTest, BootTime) {
  auto boot = ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1733300000\nprocesses 9\n");
  ASSERT_TRUE(boot.ok());
  EXPECT_EQ(boot.value(), 1733300000);
  EXPECT_FALSE(ParseBootTime("cpu  1 2 3\n").ok());
}

// This process's own figures: every family present and plausible, and opening files shows in
// process_open_fds.
TEST(ProcessCollectorTest, ReadsThisProcess) {
  const auto before = Collected();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds"}) {
    EXPECT_EQ(before.count(name), 1u) << name;
  }
  EXPECT_GT(before.at("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(before.at("process_virtual_memory_bytes"), before.at("process_resident_memory_bytes"));
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(before.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(before.at("process_start_time_seconds"), now - 3600);
  EXPECT_GE(before.at("process_max_fds"), before.at("process_open_fds"));

  int fds[3];
  for (int& fd : fds) fd = open("/proc/self/stat", O_RDONLY);
  const auto after = Collected();
  for (int fd : fds) close(fd);
  EXPECT_EQ(after.at("process_open_fds"), before.at("process_open_fds") + 3);
  EXPECT_GE(after.at("process_cpu_seconds_total"), before.at("process_cpu_seconds_total"));
}

}  // namespace
}  // namespace touchstream::engine
