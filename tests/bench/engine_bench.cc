// engine_bench: throughput of the engine, in events per second.
//
//   in-process   EventProcessor + write-back cache + RocksDB over events held in memory
//                (the replay path without file I/O), demo rule pack, N customers.
//   end-to-end   events already on the development broker → KafkaPipeline (consumer group,
//                processing, atomic commits, outbox, idempotent producer) → action topics.
//   raw broker   the same broker with no engine: consume every event (consume only), and
//                consume every event and produce one message per event (consume+produce).
//                The engine produces one message per action (~1 in 10 events with the demo
//                pack), so it can outrun consume+produce; consume only is its ceiling.
//
// Usage: engine_bench [--customers N] [--days D] [--repeat R] [--kafka-events N] [--policy-only]
// Prints the median of R runs (R=3 by default), the in-process figure with the delivery policy
// off and the ratio on / off, and the ratios end-to-end / raw broker (skipped with
// --policy-only).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "connectors/codec.h"
#include "connectors/dev_broker.h"
#include "connectors/journey_generator.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "engine/config/config.h"
#include "engine/core/processor.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/kafka_pipeline.h"
#include "tests/bench/bench_config.h"
#include "tests/testing/temp_dir.h"

namespace touchstream {
namespace {

using Clock = std::chrono::steady_clock;

// Events/s of the in-process path over pre-encoded JSON records.
double InProcess(const engine::EngineConfig& base,
                 const std::vector<connectors::SourceRecord>& records, int64_t* actions) {
  engine::EngineConfig config = base;
  // Declared before the store, so RocksDB's background work ends before the directory goes.
  const test::TempDir dir("touchstream-bench-inproc");
  config.state.dir = dir.path().string();
  auto store = engine::OpenStore(config);
  auto rules = engine::LoadRuleSet(config, std::cerr);
  if (!store.ok() || !rules.ok()) std::exit(1);
  engine::EngineMetrics metrics;
  state::CustomerCache cache(store->get(), static_cast<size_t>(config.state.cache_customers));
  engine::EventProcessor processor(config, &cache, &metrics, engine::TimeMode::kStreamTime);
  processor.SetRules(*rules);
  std::vector<v1::OutboxEntry> out;
  *actions = 0;
  const auto start = Clock::now();
  size_t since_commit = 0;
  for (const auto& record : records) {
    if (!processor.ProcessRecord(record, 0, &out).ok()) std::exit(1);
    if (++since_commit == 5000) {
      state::CommitBatch batch;
      cache.FlushDirtyInto(&batch);
      for (const auto& entry : out) batch.AddOutbox(entry);
      *actions += static_cast<int64_t>(out.size());
      out.clear();
      std::vector<uint64_t> sequences;
      if (!(*store)->Commit(batch, &sequences).ok()) std::exit(1);
      since_commit = 0;
    }
  }
  state::CommitBatch batch;
  cache.FlushDirtyInto(&batch);
  *actions += static_cast<int64_t>(out.size());
  if (!(*store)->Commit(batch, nullptr).ok()) std::exit(1);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(records.size()) / seconds;
}

void ProduceAll(const std::string& bootstrap, const std::string& topic,
                const std::vector<connectors::SourceRecord>& records) {
  auto sink = connectors::KafkaSink::Create({bootstrap, {}});
  if (!sink.ok()) std::exit(1);
  std::vector<connectors::DeliveryReport> reports;
  uint64_t token = 0;
  for (const auto& r : records) {
    if (!(*sink)->Produce(topic, r.key, r.value, {}, ++token).ok()) std::exit(1);
    if (token % 1000 == 0) {
      reports.clear();
      (*sink)->Poll(0, &reports);
    }
  }
  if (!(*sink)->Flush(60000, &reports).ok()) std::exit(1);
}

struct NoListener : connectors::PartitionListener {
  std::optional<int64_t> StartOffset(const connectors::TopicPartition&) override { return 0; }
  void OnAssigned(const std::vector<connectors::TopicPartition>&) override {}
  void OnRevoked(const std::vector<connectors::TopicPartition>&, bool) override {}
};

// A run that stops making progress for this long ends the bench with a message, not a hang.
constexpr std::chrono::seconds kProgressTimeout{60};

const std::map<std::string, std::string> kGroupSettings = {{"session.timeout.ms", "6000"},
                                                           {"heartbeat.interval.ms", "500"}};

// Consume N (and produce one message per record when `produce`) with no processing; timed
// from the first record received.
double RawBroker(const std::string& bootstrap, const std::string& topic, size_t n,
                 const std::string& group, bool produce) {
  NoListener listener;
  auto source =
      connectors::KafkaSource::Create({bootstrap, group, {topic}, kGroupSettings}, &listener);
  auto sink = connectors::KafkaSink::Create({bootstrap, {}});
  if (!source.ok() || !sink.ok()) std::exit(1);
  std::vector<connectors::DeliveryReport> reports;
  size_t seen = 0;
  Clock::time_point start;
  auto last_progress = Clock::now();
  while (seen < n) {
    if (Clock::now() - last_progress > kProgressTimeout) {
      std::cerr << "raw broker: only " << seen << " of " << n << " messages arrived\n";
      std::exit(1);
    }
    auto record = (*source)->Poll(100);
    if (!record.ok()) std::exit(1);
    if (!record->has_value()) continue;
    last_progress = Clock::now();
    if (seen++ == 0) start = Clock::now();
    if (produce &&
        !(*sink)->Produce("bench.raw-out", (*record)->key, (*record)->value, {}, seen).ok())
      std::exit(1);
    if (seen % 1000 == 0) {
      reports.clear();
      (*sink)->Poll(0, &reports);
    }
  }
  if (!(*sink)->Flush(60000, &reports).ok()) std::exit(1);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*source)->Close();
  return static_cast<double>(n) / seconds;
}

// The engine through Kafka; timed from the first record to the last delivery report.
double EndToEnd(const engine::EngineConfig& base, const std::string& bootstrap, size_t n, int run) {
  engine::EngineConfig config = base;
  // Declared before the store and the pipeline, so both end before the directory goes.
  const test::TempDir dir("touchstream-bench-e2e");
  config.state.dir = dir.path().string();
  config.kafka.group_id = "e2e-" + std::to_string(run);
  config.kafka.consumer_properties = kGroupSettings;
  auto store = engine::OpenStore(config);
  auto rules = engine::LoadRuleSet(config, std::cerr);
  if (!store.ok() || !rules.ok()) std::exit(1);
  engine::EngineMetrics metrics;
  engine::SystemClock clock;
  auto pipeline = engine::KafkaPipeline::Create(config, bootstrap, store->get(), &metrics, &clock);
  if (!pipeline.ok()) std::exit(1);
  (*pipeline)->UpdateRules(*rules);
  std::atomic<bool> stop{false};
  Clock::time_point first{}, last{};
  size_t stalled_at = 0;
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
        stalled_at = processed;
        stop = true;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  Status s = (*pipeline)->Run(stop);
  watcher.join();
  if (!s.ok()) {
    std::cerr << "end-to-end: the pipeline failed: " << s.ToString() << "\n";
    std::exit(1);
  }
  if (last == Clock::time_point{}) {
    std::cerr << "end-to-end: no progress for " << kProgressTimeout.count() << " s after "
              << stalled_at << " of " << n << " records; stopping\n";
    std::exit(1);
  }
  return static_cast<double>(n) / std::chrono::duration<double>(last - first).count();
}

constexpr const char* kUsage =
    "usage: engine_bench [--customers N] [--days D] [--repeat R] [--kafka-events N] "
    "[--policy-only]\n"
    "  --customers N     customers in the generated journeys (default 100000)\n"
    "  --days D          days of journeys (default 30)\n"
    "  --repeat R        runs per case; the median is printed (default 3)\n"
    "  --kafka-events N  events streamed through the development broker (default 90000)\n"
    "  --policy-only     only the in-process cases (policy on and off)\n";

int Main(int argc, char** argv) {
  connectors::JourneyOptions journeys;
  journeys.customers = 100000;
  journeys.days = 30;
  int repeat = 3;
  bool policy_only = false;
  // The mock cluster keeps a bounded log per partition (~20k messages of this size were seen
  // retained); 90k events over 6 partitions stay within it.
  size_t kafka_events = 90000;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--policy-only") {
      policy_only = true;
      continue;
    }
    const bool known =
        flag == "--customers" || flag == "--days" || flag == "--repeat" || flag == "--kafka-events";
    if (!known || i + 1 >= argc) {
      std::cerr << "engine_bench: " << (known ? "missing value for " : "unknown option ") << flag
                << "\n"
                << kUsage;
      return 2;
    }
    const char* value = argv[++i];
    if (flag == "--customers") journeys.customers = std::atoi(value);
    if (flag == "--days") journeys.days = std::atoi(value);
    if (flag == "--repeat") repeat = std::atoi(value);
    if (flag == "--kafka-events") kafka_events = static_cast<size_t>(std::atoll(value));
  }
  const auto config = bench::DemoConfig();
  const auto events = connectors::GenerateJourneys(journeys);
  std::vector<connectors::SourceRecord> records;
  records.reserve(events.size());
  int64_t offset = 0;
  for (const auto& e : events) {
    records.push_back({"touchstream.events",
                       0,
                       offset++,
                       e.customer_id(),
                       connectors::EncodeEvent(e, connectors::Format::kJson),
                       e.ts_ms(),
                       {}});
  }
  std::cout << "engine_bench: " << events.size() << " events of " << journeys.customers
            << " customers, " << journeys.days << " days, demo rule pack, median of " << repeat
            << " runs\n";

  // The same pack with the delivery policy switched off (policy.enabled: false), runs
  // interleaved with the policy-on runs so that machine noise hits both alike.
  engine::EngineConfig no_policy = config;
  no_policy.policy.enabled = false;
  std::vector<double> in_process, policy_off;
  int64_t actions = 0;
  int64_t actions_off = 0;
  for (int r = 0; r < repeat; ++r) {
    in_process.push_back(InProcess(config, records, &actions));
    policy_off.push_back(InProcess(no_policy, records, &actions_off));
  }
  std::cout << std::fixed << std::setprecision(0) << "  in-process (RocksDB state)   "
            << bench::Median(in_process) << " events/s  (" << actions << " outbox entries)\n"
            << "  in-process, policy off       " << bench::Median(policy_off) << " events/s  ("
            << actions_off << " outbox entries)\n"
            << std::setprecision(2) << "  policy on / policy off       "
            << bench::Median(in_process) / bench::Median(policy_off) << "\n"
            << std::setprecision(0) << std::flush;
  if (policy_only) return 0;

  kafka_events = std::min(kafka_events, records.size());
  const std::vector<connectors::SourceRecord> kafka_records(
      records.begin(), records.begin() + static_cast<long>(kafka_events));
  auto broker = connectors::DevBroker::Start(1, engine::TopicsNamedIn(config));
  if (!broker.ok()) return 1;
  (*broker)->CreateTopic({"bench.raw-out", 6});
  ProduceAll((*broker)->bootstrap_servers(), "touchstream.events", kafka_records);
  std::vector<double> e2e, raw, consume_only;
  for (int r = 0; r < repeat; ++r) {
    const std::string bootstrap = (*broker)->bootstrap_servers();
    consume_only.push_back(RawBroker(bootstrap, "touchstream.events", kafka_events,
                                     "consume-" + std::to_string(r), false));
    raw.push_back(
        RawBroker(bootstrap, "touchstream.events", kafka_events, "raw-" + std::to_string(r), true));
    e2e.push_back(EndToEnd(config, (*broker)->bootstrap_servers(), kafka_events, r));
  }
  std::cout << "  end-to-end (dev broker)      " << bench::Median(e2e) << " events/s  ("
            << kafka_events << " events)\n"
            << "  raw broker, consume only     " << bench::Median(consume_only) << " msgs/s\n"
            << "  raw broker, consume+produce  " << bench::Median(raw)
            << " msgs/s  (one message out per message in)\n"
            << std::setprecision(2) << "  end-to-end / consume only    "
            << bench::Median(e2e) / bench::Median(consume_only) << "\n"
            << "  end-to-end / consume+produce " << bench::Median(e2e) / bench::Median(raw) << "\n";
  return 0;
}

}  // namespace
}  // namespace touchstream

int main(int argc, char** argv) {
  return touchstream::Main(argc, argv);
}
