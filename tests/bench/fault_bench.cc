// fault_bench: the cost of durability and what faults cost (issues 11 and 12), in plain lines.
//
//   sync        end-to-end events/s through the development broker with state.sync_commits
//               true vs false (interleaved runs, medians).
//   changelog   end-to-end events/s with state.changelog true vs false (interleaved, medians),
//               and changelog records and bytes per event.
//   restore     PartitionRestore (engine/runtime) of every changelog partition written by a
//               changelog run into an empty RocksDB store: records/s, MB/s, customers/s, and
//               the time to take over a partition of 100,000 customers at that rate.
//   standby     a StandbyTailer (engine/runtime) copying every partition of the same changelog
//               into a standby store: records/s and MB/s; then the take-over of every partition
//               into an empty RocksDB store from that copy (TakeOver + PartitionRestore reading
//               only the changelog's tail): customers/s, and the time for 100,000 customers at
//               that rate, beside the restore case's figure without a standby.
//   outage      the pipeline with input flowing (--outage-rate events/s), the broker down for
//               --outage-seconds, then up; every second: outbox depth (touchstream_outbox_depth)
//               and VmRSS; prints max and curve summary, then the time to drain.
//
// Usage: fault_bench [--cases sync,changelog,restore,standby,outage] [--customers N] [--days D]
//                    [--repeat R] [--kafka-events N] [--outage-seconds S] [--outage-rate E]
// Asserts nothing: figures only. The cases run one after the other, never concurrently.
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "connectors/codec.h"
#include "connectors/dev_broker.h"
#include "connectors/journey_generator.h"
#include "connectors/kafka_sink.h"
#include "connectors/partition_reader.h"
#include "engine/config/config.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/kafka_pipeline.h"
#include "engine/runtime/partition_restore.h"
#include "engine/runtime/partitioner.h"
#include "engine/runtime/standby_tailer.h"
#include "tests/bench/bench_config.h"
#include "tests/testing/temp_dir.h"

namespace touchstream {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kProgressTimeout{60};
const std::map<std::string, std::string> kGroupSettings = {{"session.timeout.ms", "6000"},
                                                           {"heartbeat.interval.ms", "500"}};

void Fail(const std::string& what, const Status& s) {
  std::cerr << "fault_bench: " << what << ": " << s.ToString() << "\n";
  std::exit(1);
}

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Produces `records` to `topic`; the producer never gives up on a message (an outage may
// last longer than librdkafka's default message timeout).
void ProduceAll(connectors::KafkaSink* sink, const std::string& topic,
                const std::vector<connectors::SourceRecord>& records, uint64_t* token) {
  std::vector<connectors::DeliveryReport> reports;
  for (const auto& r : records) {
    Status s = sink->Produce(topic, r.key, r.value, {}, ++*token);
    if (!s.ok()) Fail("produce", s);
    if (*token % 1000 == 0) {
      reports.clear();
      sink->Poll(0, &reports);
    }
  }
}

std::unique_ptr<connectors::KafkaSink> MakeSink(const std::string& bootstrap) {
  auto sink = connectors::KafkaSink::Create(
      {bootstrap, {{"message.timeout.ms", "0"}}, /*queue_full_wait_ms=*/600000});
  if (!sink.ok()) Fail("producer", sink.status());
  return std::move(*sink);
}

// The resident set of this process in kB (VmRSS), 0 when unreadable.
int64_t RssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

// The current value of touchstream_outbox_depth in `metrics`.
double OutboxDepth(const engine::EngineMetrics& metrics) {
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name == "touchstream_outbox_depth" && !family.metric.empty()) {
      return family.metric.front().gauge.value;
    }
  }
  return 0;
}

// Events/s of KafkaPipeline over the first n events of the input topic, in a fresh group and
// store; timed from the first record processed to the n-th.
double EndToEnd(const engine::EngineConfig& base, connectors::DevBroker* broker, size_t n,
                const std::string& group) {
  engine::EngineConfig config = base;
  const test::TempDir dir("touchstream-fault-bench");
  config.state.dir = dir.path().string();
  config.kafka.group_id = group;
  config.kafka.consumer_properties = kGroupSettings;
  // The development broker does not answer CreateTopics: the group's changelog is made here.
  if (config.state.changelog) {
    Status created =
        broker->CreateTopic({engine::ChangelogTopicOf(config), config.kafka.embedded_partitions});
    if (!created.ok()) Fail("changelog topic", created);
  }
  const std::string bootstrap = broker->bootstrap_servers();
  auto store = engine::OpenStore(config);
  auto rules = engine::LoadRuleSet(config, std::cerr);
  if (!store.ok()) Fail("store", store.status());
  if (!rules.ok()) Fail("rules", rules.status());
  engine::EngineMetrics metrics;
  engine::SystemClock clock;
  auto pipeline = engine::KafkaPipeline::Create(config, bootstrap, store->get(), &metrics, &clock);
  if (!pipeline.ok()) Fail("pipeline", pipeline.status());
  (*pipeline)->UpdateRules(*rules);
  std::atomic<bool> stop{false};
  Clock::time_point first{}, last{};
  std::thread watcher([&] {
    size_t seen = 0;
    auto last_progress = Clock::now();
    while (!stop) {
      const auto processed = static_cast<size_t>((*pipeline)->records_processed());
      if (processed > 0 && first == Clock::time_point{}) first = Clock::now();
      if (processed != seen) {
        seen = processed;
        last_progress = Clock::now();
      }
      if (processed >= n) {
        last = Clock::now();
        stop = true;
      } else if (Clock::now() - last_progress > kProgressTimeout) {
        stop = true;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  Status s = (*pipeline)->Run(stop);
  watcher.join();
  if (!s.ok()) Fail("pipeline run", s);
  if (last == Clock::time_point{}) Fail("end-to-end", Status::Unavailable("no progress for 60 s"));
  return static_cast<double>(n) / Seconds(first, last);
}

struct ChangelogSize {
  int64_t records = 0;
  int64_t bytes = 0;
};

// Records and key+value bytes of every partition of `topic`.
ChangelogSize MeasureChangelog(connectors::PartitionReader* reader, const std::string& topic) {
  auto partitions = reader->PartitionCount(topic, 10000);
  if (!partitions.ok()) Fail("changelog partitions", partitions.status());
  ChangelogSize size;
  for (int32_t p = 0; p < *partitions; ++p) {
    auto end = reader->ReadToEnd(topic, p, 0, [&](const connectors::SourceRecord& r) {
      ++size.records;
      size.bytes += static_cast<int64_t>(r.key.size() + r.value.size());
    });
    if (!end.ok()) Fail("changelog read", end.status());
  }
  return size;
}

// Restores every partition of the changelog of `group` into an empty store; prints figures.
void Restore(const engine::EngineConfig& base, const std::string& bootstrap,
             const std::string& group, const ChangelogSize& size) {
  engine::EngineConfig config = base;
  const test::TempDir dir("touchstream-fault-bench-restore");
  config.state.dir = dir.path().string();
  config.kafka.group_id = group;
  auto store = engine::OpenStore(config);
  if (!store.ok()) Fail("store", store.status());
  auto reader = connectors::PartitionReader::Create({bootstrap, {}, 30000});
  if (!reader.ok()) Fail("reader", reader.status());
  const std::string topic = engine::ChangelogTopicOf(config);
  auto partitions = (*reader)->PartitionCount(topic, 10000);
  if (!partitions.ok()) Fail("changelog partitions", partitions.status());
  const engine::Partitioner partitioner = engine::ParsePartitioner(config.kafka.partitioner)
                                              .value_or(engine::Partitioner::kConsistentRandom);
  const int32_t count = *partitions;
  engine::PartitionRestore restore(
      reader->get(), store->get(), topic, config.kafka.input_topics,
      [&](std::string_view id) { return engine::PartitionOf(partitioner, id, count); });
  engine::RestoreStats total;
  double seconds = 0;
  double slowest_partition_s = 0;
  int64_t slowest_customers = 0;
  for (int32_t p = 0; p < count; ++p) {
    const auto start = Clock::now();
    auto stats = restore.Restore(p);
    const double s = Seconds(start, Clock::now());
    if (!stats.ok()) Fail("restore", stats.status());
    seconds += s;
    if (s > slowest_partition_s) {
      slowest_partition_s = s;
      slowest_customers = stats->customers_applied;
    }
    total.records_read += stats->records_read;
    total.customers_applied += stats->customers_applied;
    total.timers_applied += stats->timers_applied;
  }
  const double customers_per_s = static_cast<double>(total.customers_applied) / seconds;
  std::cout << std::fixed << std::setprecision(0) << "  restore: " << total.records_read
            << " changelog records, " << total.customers_applied << " customers, "
            << total.timers_applied << " timers, " << count << " partitions in "
            << std::setprecision(2) << seconds << " s\n"
            << std::setprecision(0) << "  restore records/s            "
            << static_cast<double>(total.records_read) / seconds << "\n"
            << std::setprecision(1) << "  restore MB/s                 "
            << static_cast<double>(size.bytes) / 1e6 / seconds << "  (key+value bytes read)\n"
            << std::setprecision(0) << "  restore customers/s          " << customers_per_s << "\n"
            << std::setprecision(2) << "  slowest partition            " << slowest_partition_s
            << " s for " << slowest_customers << " customers\n"
            << std::setprecision(1) << "  take-over of 100,000 customers (at customers/s) "
            << 100000.0 / customers_per_s << " s\n";
}

// The sum of the values of metric `name` with label `label` = `value` (all when label is empty).
double MetricSum(const engine::EngineMetrics& metrics, const std::string& name,
                 const std::string& label = "", const std::string& value = "") {
  double sum = 0;
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = label.empty();
      for (const auto& pair : metric.label) match |= pair.name == label && pair.value == value;
      if (match) sum += metric.gauge.value + metric.counter.value;
    }
  }
  return sum;
}

// Copies every partition of the changelog of `group` with a StandbyTailer, then takes each over
// into an empty store from that copy; prints figures.
void Standby(const engine::EngineConfig& base, const std::string& bootstrap,
             const std::string& group, const ChangelogSize& size) {
  engine::EngineConfig config = base;
  const test::TempDir dir("touchstream-fault-bench-standby");
  config.state.dir = (dir.path() / "state").string();
  config.kafka.group_id = group;
  auto reader = connectors::PartitionReader::Create({bootstrap, {}, 30000});
  if (!reader.ok()) Fail("reader", reader.status());
  const std::string topic = engine::ChangelogTopicOf(config);
  auto partitions = (*reader)->PartitionCount(topic, 10000);
  if (!partitions.ok()) Fail("changelog partitions", partitions.status());
  const int32_t count = *partitions;
  std::map<int32_t, int64_t> ends;
  for (int32_t p = 0; p < count; ++p) {
    auto marks = (*reader)->Watermarks(topic, p, 10000);
    if (!marks.ok()) Fail("watermarks", marks.status());
    ends[p] = marks->second;
  }
  engine::EngineMetrics metrics;
  engine::StandbyTailerOptions options;
  options.changelog_topic = topic;
  for (int32_t p = 0; p < count; ++p) options.partitions.insert(p);
  options.dir = (dir.path() / "standby").string();
  options.reader = {bootstrap, {}, 30000};
  engine::Logger log(&std::cerr, engine::LogFormat::kText, engine::LogLevel::kInfo);
  options.log = &log;
  const auto copy_start = Clock::now();
  auto tailer = engine::StandbyTailer::Start(options, &metrics);
  if (!tailer.ok()) Fail("standby tailer", tailer.status());
  const auto caught_up = [&] {
    for (const auto& [p, end] : ends) {
      if (MetricSum(metrics, "touchstream_standby_checkpoint", "partition", std::to_string(p)) <
          static_cast<double>(end)) {
        return false;
      }
    }
    return true;
  };
  while (!caught_up()) {
    if (Clock::now() - copy_start > std::chrono::seconds(300)) {
      Fail("standby", Status::Unavailable("copy not caught up in 300 s"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double copy_s = Seconds(copy_start, Clock::now());
  const double copied = MetricSum(metrics, "touchstream_standby_records_total");

  auto store = engine::OpenStore(config);
  if (!store.ok()) Fail("store", store.status());
  const engine::Partitioner partitioner = engine::ParsePartitioner(config.kafka.partitioner)
                                              .value_or(engine::Partitioner::kConsistentRandom);
  engine::PartitionRestore restore(
      reader->get(), store->get(), topic, config.kafka.input_topics,
      [&](std::string_view id) { return engine::PartitionOf(partitioner, id, count); });
  engine::RestoreStats total;
  double seconds = 0;
  for (int32_t p = 0; p < count; ++p) {
    const auto start = Clock::now();
    auto seed = (*tailer)->TakeOver(p, 0);
    if (!seed.ok()) Fail("take over", seed.status());
    auto stats = restore.Restore(p, seed->has_value() ? &**seed : nullptr);
    seconds += Seconds(start, Clock::now());
    if (!stats.ok()) Fail("restore", stats.status());
    total.records_read += stats->records_read;
    total.records_from_standby += stats->records_from_standby;
    total.customers_applied += stats->customers_applied;
  }
  const double customers_per_s = static_cast<double>(total.customers_applied) / seconds;
  std::cout << std::fixed << std::setprecision(0) << "  standby copy: " << copied
            << " changelog records of " << count << " partitions in " << std::setprecision(2)
            << copy_s << " s (from the tailer's start, consumer start-up included)\n"
            << std::setprecision(0) << "  standby apply records/s      " << copied / copy_s << "\n"
            << std::setprecision(1) << "  standby apply MB/s           "
            << static_cast<double>(size.bytes) / 1e6 / copy_s << "  (key+value bytes)\n"
            << std::setprecision(0) << "  take-over with standby: " << total.customers_applied
            << " customers from " << total.records_from_standby << " copied keys and "
            << total.records_read << " changelog records (the tail), " << count << " partitions in "
            << std::setprecision(2) << seconds << " s\n"
            << std::setprecision(0) << "  take-over customers/s        " << customers_per_s << "\n"
            << std::setprecision(1) << "  take-over of 100,000 customers with a standby (at "
            << "customers/s) " << 100000.0 / customers_per_s << " s\n";
}

// The outage scenario; prints a line per 10 s of samples and the summary.
void Outage(const engine::EngineConfig& base, const std::vector<connectors::SourceRecord>& records,
            int outage_seconds, int rate) {
  engine::EngineConfig config = base;
  config.kafka.group_id = "outage";
  auto broker = connectors::DevBroker::Start(1, engine::TopicsNamedIn(config));
  if (!broker.ok()) Fail("broker", broker.status());
  const std::string bootstrap = (*broker)->bootstrap_servers();
  const test::TempDir dir("touchstream-fault-bench-outage");
  config.state.dir = dir.path().string();
  config.kafka.consumer_properties = kGroupSettings;
  auto store = engine::OpenStore(config);
  auto rules = engine::LoadRuleSet(config, std::cerr);
  if (!store.ok()) Fail("store", store.status());
  if (!rules.ok()) Fail("rules", rules.status());
  engine::EngineMetrics metrics;
  engine::SystemClock clock;
  auto pipeline = engine::KafkaPipeline::Create(config, bootstrap, store->get(), &metrics, &clock);
  if (!pipeline.ok()) Fail("pipeline", pipeline.status());
  (*pipeline)->UpdateRules(*rules);

  std::atomic<bool> stop{false};
  std::atomic<bool> stop_feed{false};
  std::atomic<int64_t> fed{0};
  // Feeds `rate` events per second in 100 ms slices, cycling through the records.
  std::thread feeder([&] {
    auto sink = MakeSink(bootstrap);
    uint64_t token = 0;
    size_t next = 0;
    const size_t slice = std::max<size_t>(1, static_cast<size_t>(rate) / 10);
    auto tick = Clock::now();
    std::vector<connectors::DeliveryReport> reports;
    while (!stop_feed) {
      std::vector<connectors::SourceRecord> batch;
      for (size_t i = 0; i < slice; ++i) batch.push_back(records[next++ % records.size()]);
      ProduceAll(sink.get(), "touchstream.events", batch, &token);
      fed += static_cast<int64_t>(slice);
      reports.clear();
      sink->Poll(0, &reports);
      tick += std::chrono::milliseconds(100);
      std::this_thread::sleep_until(tick);
    }
    reports.clear();
    if (!sink->Flush(600000, &reports).ok()) std::cerr << "fault_bench: feeder flush failed\n";
  });

  struct Sample {
    double t;
    double depth;
    int64_t rss_kb;
    int64_t processed;
  };
  std::vector<Sample> samples;
  double up_at = -1, down_at = -1, drained_at = -1;
  int64_t fed_at_up = 0;
  double depth_before = 0;
  std::thread controller([&] {
    const auto start = Clock::now();
    constexpr int kWarmupSeconds = 15;
    for (int second = 1;; ++second) {
      std::this_thread::sleep_until(start + std::chrono::seconds(second));
      const double t = Seconds(start, Clock::now());
      samples.push_back({t, OutboxDepth(metrics), RssKb(), (*pipeline)->records_processed()});
      const Sample& now = samples.back();
      if (second <= kWarmupSeconds) depth_before = std::max(depth_before, now.depth);
      if (second == kWarmupSeconds) {
        rd_kafka_mock_broker_set_down((*broker)->mock_cluster(), 1);
        down_at = t;
      } else if (second == kWarmupSeconds + outage_seconds) {
        rd_kafka_mock_broker_set_up((*broker)->mock_cluster(), 1);
        up_at = t;
        fed_at_up = fed;
      } else if (up_at >= 0 && now.processed >= fed_at_up && now.depth <= depth_before) {
        drained_at = t;
        break;
      } else if (up_at >= 0 && t - up_at > 600) {
        break;
      }
    }
    stop_feed = true;
    stop = true;
  });
  Status s = (*pipeline)->Run(stop);
  controller.join();
  feeder.join();
  if (!s.ok()) Fail("pipeline run", s);

  std::cout << "  outage: " << rate << " events/s in, broker down at t=" << std::setprecision(0)
            << down_at << " s for " << outage_seconds << " s\n"
            << "  t(s)  outbox_depth  VmRSS(MB)  processed\n";
  double max_depth = 0;
  int64_t max_rss = 0, rss_before = 0, rss_end = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& x = samples[i];
    max_depth = std::max(max_depth, x.depth);
    max_rss = std::max(max_rss, x.rss_kb);
    if (x.t < down_at) rss_before = x.rss_kb;
    rss_end = x.rss_kb;
    if (i % 10 == 9 || i + 1 == samples.size()) {
      std::cout << "  " << std::setw(4) << std::setprecision(0) << x.t << "  " << std::setw(12)
                << x.depth << "  " << std::setw(9) << std::setprecision(1) << x.rss_kb / 1024.0
                << "  " << std::setw(9) << x.processed << "\n";
    }
  }
  std::cout << std::setprecision(0) << "  outbox depth: before " << depth_before << ", max "
            << max_depth << "\n"
            << std::setprecision(1) << "  VmRSS: before outage " << rss_before / 1024.0
            << " MB, max " << max_rss / 1024.0 << " MB, at end " << rss_end / 1024.0 << " MB\n";
  if (drained_at >= 0) {
    std::cout << "  drain after broker up: " << drained_at - up_at
              << " s (all input fed until then processed, outbox back to its pre-outage max)\n";
  } else {
    std::cout << "  drain after broker up: not drained within 600 s\n";
  }
}

constexpr const char* kUsage =
    "usage: fault_bench [--cases LIST] [--customers N] [--days D] [--repeat R] [--kafka-events N]\n"
    "                   [--outage-seconds S] [--outage-rate E]\n"
    "  --cases LIST        comma-separated of sync,changelog,restore,standby,outage (default all)\n"
    "  --customers N       customers in the generated journeys (default 20000)\n"
    "  --days D            days of journeys (default 30)\n"
    "  --repeat R          runs per end-to-end case; the median is printed (default 3)\n"
    "  --kafka-events N    events on the development broker per run (default 60000)\n"
    "  --outage-seconds S  broker down time in the outage case (default 300)\n"
    "  --outage-rate E     input events per second during the outage case (default 500)\n";

int Main(int argc, char** argv) {
  connectors::JourneyOptions journeys;
  journeys.customers = 20000;
  journeys.days = 30;
  int repeat = 3;
  size_t kafka_events = 60000;
  int outage_seconds = 300;
  int outage_rate = 500;
  std::string cases = "sync,changelog,restore,standby,outage";
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    const bool known = flag == "--cases" || flag == "--customers" || flag == "--days" ||
                       flag == "--repeat" || flag == "--kafka-events" ||
                       flag == "--outage-seconds" || flag == "--outage-rate";
    if (!known || i + 1 >= argc) {
      std::cerr << "fault_bench: " << (known ? "missing value for " : "unknown option ") << flag
                << "\n"
                << kUsage;
      return 2;
    }
    const char* value = argv[++i];
    if (flag == "--cases") cases = value;
    if (flag == "--customers") journeys.customers = std::atoi(value);
    if (flag == "--days") journeys.days = std::atoi(value);
    if (flag == "--repeat") repeat = std::max(1, std::atoi(value));
    if (flag == "--kafka-events") kafka_events = static_cast<size_t>(std::atoll(value));
    if (flag == "--outage-seconds") outage_seconds = std::max(1, std::atoi(value));
    if (flag == "--outage-rate") outage_rate = std::max(10, std::atoi(value));
  }
  const auto wants = [&](const std::string& name) {
    std::stringstream list(cases);
    std::string item;
    while (std::getline(list, item, ',')) {
      if (item == name) return true;
    }
    return false;
  };
  const auto config = bench::DemoConfig();
  const auto events = connectors::GenerateJourneys(journeys);
  std::vector<connectors::SourceRecord> records;
  records.reserve(events.size());
  for (const auto& e : events) {
    records.push_back({"touchstream.events",
                       0,
                       0,
                       e.customer_id(),
                       connectors::EncodeEvent(e, connectors::Format::kJson),
                       e.ts_ms(),
                       {}});
  }
  kafka_events = std::min(kafka_events, records.size());
  const std::vector<connectors::SourceRecord> kafka_records(
      records.begin(), records.begin() + static_cast<long>(kafka_events));
  std::cout << "fault_bench: " << kafka_events << " of " << events.size() << " events of "
            << journeys.customers << " customers, " << journeys.days
            << " days, demo config, median of " << repeat << " runs\n"
            << std::fixed;

  if (wants("sync") || wants("changelog") || wants("restore") || wants("standby")) {
    auto broker = connectors::DevBroker::Start(1, engine::TopicsNamedIn(config));
    if (!broker.ok()) Fail("broker", broker.status());
    const std::string bootstrap = (*broker)->bootstrap_servers();
    {
      auto sink = MakeSink(bootstrap);
      uint64_t token = 0;
      ProduceAll(sink.get(), "touchstream.events", kafka_records, &token);
      std::vector<connectors::DeliveryReport> reports;
      if (!sink->Flush(60000, &reports).ok()) Fail("produce", Status::Unavailable("flush"));
    }
    int group = 0;
    const auto run = [&](const engine::EngineConfig& c) {
      return EndToEnd(c, broker->get(), kafka_events, "fault-" + std::to_string(group++));
    };
    if (wants("sync")) {
      engine::EngineConfig on = config, off = config;
      on.state.sync_commits = true;
      off.state.sync_commits = false;
      std::vector<double> a, b;
      for (int r = 0; r < repeat; ++r) {
        a.push_back(run(on));
        b.push_back(run(off));
      }
      std::cout << std::setprecision(0) << "  sync_commits true            " << bench::Median(a)
                << " events/s  (changelog " << (config.state.changelog ? "on" : "off") << ")\n"
                << "  sync_commits false           " << bench::Median(b) << " events/s\n"
                << std::setprecision(2) << "  true / false                 "
                << bench::Median(a) / bench::Median(b) << "\n"
                << std::flush;
    }
    if (wants("changelog") || wants("restore") || wants("standby")) {
      engine::EngineConfig on = config, off = config;
      on.state.changelog = true;
      off.state.changelog = false;
      std::vector<double> a, b;
      std::string last_on_group;
      for (int r = 0; r < repeat; ++r) {
        last_on_group = "fault-" + std::to_string(group);
        a.push_back(run(on));
        if (wants("changelog")) b.push_back(run(off));
      }
      auto reader = connectors::PartitionReader::Create({bootstrap, {}, 30000});
      if (!reader.ok()) Fail("reader", reader.status());
      engine::EngineConfig named = on;
      named.kafka.group_id = last_on_group;
      const ChangelogSize size = MeasureChangelog(reader->get(), engine::ChangelogTopicOf(named));
      if (wants("changelog")) {
        std::cout << std::setprecision(0) << "  changelog on                 " << bench::Median(a)
                  << " events/s  (sync_commits " << (config.state.sync_commits ? "true" : "false")
                  << ")\n"
                  << "  changelog off                " << bench::Median(b) << " events/s\n"
                  << std::setprecision(2) << "  on / off                     "
                  << bench::Median(a) / bench::Median(b) << "\n"
                  << "  changelog records per event  "
                  << static_cast<double>(size.records) / static_cast<double>(kafka_events) << "  ("
                  << size.records << " records retained by the broker)\n"
                  << std::setprecision(0) << "  changelog bytes per event    "
                  << static_cast<double>(size.bytes) / static_cast<double>(kafka_events)
                  << "  (key+value; " << static_cast<double>(size.bytes) / size.records
                  << " per record)\n"
                  << std::flush;
      }
      if (wants("restore")) Restore(on, bootstrap, last_on_group, size);
      if (wants("standby")) Standby(on, bootstrap, last_on_group, size);
    }
  }
  if (wants("outage")) Outage(config, records, outage_seconds, outage_rate);
  return 0;
}

}  // namespace
}  // namespace touchstream

int main(int argc, char** argv) {
  return touchstream::Main(argc, argv);
}
