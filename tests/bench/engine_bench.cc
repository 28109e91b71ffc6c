// engine_bench: throughput and latency of the engine.
//
//   inprocess  EventProcessor + write-back cache + RocksDB over events held in memory
//              (the replay path without file I/O), demo rule pack, N customers; with the
//              delivery policy on and off (runs interleaved).
//   e2e        events already on the development broker -> KafkaPipeline (consumer group,
//              processing, atomic commits, changelog, outbox, idempotent producer) -> output
//              topics, for JSON and protobuf input. Beside it, the same broker with no engine:
//              consume every event (consume only), and consume every event and produce one
//              message per event (consume+produce); the ratio is the median of each repeat's.
//   latency    event -> action latency through the broker: a paced producer records each
//              event's produce time (steady clock, same process) and a consumer of the action
//              topics takes the arrival of the first event-triggered action of each event;
//              p50/p99/p99.9 at fractions of the maximum end-to-end throughput measured in the
//              same run, beside the broker hop (the same consumer reading the input topic), the
//              processing time per record and the commit time (the engine's histograms).
//
// Usage: engine_bench --help. Prints medians of --repeat runs; asserts nothing.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connectors/codec.h"
#include "connectors/dev_broker.h"
#include "connectors/journey_generator.h"
#include "connectors/jsonl.h"
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

// Ends the bench with a message naming what failed (a bench never stops silently).
[[noreturn]] void Fail(const std::string& what, const Status& status = Status::Ok()) {
  std::cerr << "engine_bench: " << what << (status.ok() ? "" : ": " + status.ToString()) << "\n";
  std::exit(1);
}

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

// Producer settings of the bench's own event producer: events placed with the engine's
// kafka.partitioner (as any producer of its input must), and no linger, so that an event's
// produce time is when it leaves for the broker (the engine's linger is what is measured).
std::map<std::string, std::string> EventProducer(const engine::EngineConfig& config) {
  return {{"partitioner", config.kafka.partitioner}, {"linger.ms", "0"}};
}

void ProduceAll(const engine::EngineConfig& config, const std::string& bootstrap,
                const std::string& topic, const std::vector<connectors::SourceRecord>& records) {
  auto sink = connectors::KafkaSink::Create({bootstrap, EventProducer(config)});
  if (!sink.ok()) Fail("event producer", sink.status());
  std::vector<connectors::DeliveryReport> reports;
  uint64_t token = 0;
  for (const auto& r : records) {
    if (Status s = (*sink)->Produce(topic, r.key, r.value, {}, ++token); !s.ok()) {
      Fail("producing the events", s);
    }
    if (token % 1000 == 0) {
      reports.clear();
      (*sink)->Poll(0, &reports);
    }
  }
  if (Status s = (*sink)->Flush(60000, &reports); !s.ok()) Fail("producing the events", s);
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
  if (!source.ok()) Fail("raw broker: consumer", source.status());
  auto sink = connectors::KafkaSink::Create({bootstrap, {}});
  if (!sink.ok()) Fail("raw broker: producer", sink.status());
  std::vector<connectors::DeliveryReport> reports;
  size_t seen = 0;
  Clock::time_point start;
  auto last_progress = Clock::now();
  while (seen < n) {
    if (Clock::now() - last_progress > kProgressTimeout) {
      Fail("raw broker: only " + std::to_string(seen) + " of " + std::to_string(n) +
           " messages arrived");
    }
    auto record = (*source)->Poll(100);
    if (!record.ok()) Fail("raw broker: consume", record.status());
    if (!record->has_value()) continue;
    last_progress = Clock::now();
    if (seen++ == 0) start = Clock::now();
    if (produce) {
      if (Status s = (*sink)->Produce("bench.raw-out", (*record)->key, (*record)->value, {}, seen);
          !s.ok()) {
        Fail("raw broker: produce", s);
      }
    }
    if (seen % 1000 == 0) {
      reports.clear();
      (*sink)->Poll(0, &reports);
    }
  }
  if (Status s = (*sink)->Flush(60000, &reports); !s.ok()) Fail("raw broker: flush", s);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*source)->Close();
  return static_cast<double>(n) / seconds;
}

// A KafkaPipeline over a fresh store in a temporary directory, as `run` makes it. The
// development broker does not answer CreateTopics: the group's changelog topic is made here.
class BenchEngine {
 public:
  BenchEngine(const engine::EngineConfig& base, connectors::DevBroker* broker,
              const std::string& group, const std::vector<std::string>& input_topics)
      : dir_("touchstream-bench-engine"), config_(base) {
    config_.state.dir = dir_.path().string();
    config_.kafka.group_id = group;
    config_.kafka.input_topics = input_topics;
    for (const auto& [key, value] : kGroupSettings) config_.kafka.consumer_properties[key] = value;
    if (config_.state.changelog) {
      Status created = broker->CreateTopic(
          {engine::ChangelogTopicOf(config_), config_.kafka.embedded_partitions});
      if (!created.ok()) Fail("changelog topic", created);
    }
    auto store = engine::OpenStore(config_);
    if (!store.ok()) Fail("state store", store.status());
    store_ = std::move(*store);
    auto rules = engine::LoadRuleSet(config_, std::cerr);
    if (!rules.ok()) Fail("rules", rules.status());
    auto pipeline = engine::KafkaPipeline::Create(config_, broker->bootstrap_servers(),
                                                  store_.get(), &metrics_, &clock_);
    if (!pipeline.ok()) Fail("creating the pipeline", pipeline.status());
    pipeline_ = std::move(*pipeline);
    pipeline_->UpdateRules(*rules);
  }

  engine::KafkaPipeline& pipeline() { return *pipeline_; }
  const engine::EngineMetrics& metrics() const { return metrics_; }

 private:
  // Declared first: the store and the pipeline close before the directory goes.
  const test::TempDir dir_;
  engine::EngineConfig config_;
  std::unique_ptr<state::StateStore> store_;
  engine::EngineMetrics metrics_;
  engine::SystemClock clock_;
  std::unique_ptr<engine::KafkaPipeline> pipeline_;
};

// The engine through Kafka over the first n events of `topic`; timed from the first record to
// the n-th.
double EndToEnd(const engine::EngineConfig& base, connectors::DevBroker* broker,
                const std::string& topic, size_t n, const std::string& group) {
  BenchEngine engine(base, broker, group, {topic});
  engine::KafkaPipeline& pipeline = engine.pipeline();
  std::atomic<bool> stop{false};
  Clock::time_point first{}, last{};
  size_t stalled_at = 0;
  std::thread watcher([&] {
    size_t seen = 0;
    auto last_progress = Clock::now();
    while (!stop) {
      const auto processed = static_cast<size_t>(pipeline.records_processed());
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
  Status s = pipeline.Run(stop);
  watcher.join();
  if (!s.ok()) Fail("end-to-end: the pipeline failed", s);
  if (last == Clock::time_point{}) {
    Fail("end-to-end: no progress for " + std::to_string(kProgressTimeout.count()) + " s after " +
         std::to_string(stalled_at) + " of " + std::to_string(n) + " records");
  }
  return static_cast<double>(n) / std::chrono::duration<double>(last - first).count();
}

// Sum and count of a histogram of `metrics` (0, 0 when absent).
std::pair<double, double> HistogramSumCount(const engine::EngineMetrics& metrics,
                                            const std::string& name) {
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != name) continue;
    double sum = 0, count = 0;
    for (const auto& metric : family.metric) {
      sum += metric.histogram.sample_sum;
      count += static_cast<double>(metric.histogram.sample_count);
    }
    return {sum, count};
  }
  return {0, 0};
}

// The q-quantile (0..1) of a sample, by the nearest rank; 0 for an empty sample.
double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// The value of "field":"..." in a flat JSON object; empty when absent.
std::string_view JsonString(std::string_view json, std::string_view field) {
  const std::string needle = "\"" + std::string(field) + "\":\"";
  const size_t at = json.find(needle);
  if (at == std::string_view::npos) return {};
  const size_t begin = at + needle.size();
  const size_t end = json.find('"', begin);
  return end == std::string_view::npos ? std::string_view() : json.substr(begin, end - begin);
}

// Whether an action's trigger (rules::TriggerName) is a timer's: its latency is not an event's.
bool FiredByTimer(std::string_view trigger) {
  for (std::string_view prefix : {"absence:", "inactivity:", "schedule:", "date:", "calendar:"}) {
    if (trigger.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

struct LatencyRun {
  double target_rate = 0;
  double achieved_rate = 0;
  size_t events = 0;
  // Milliseconds from an event's produce to the arrival of its first action (event-triggered
  // actions only), and to the event's own arrival at a plain consumer (the broker hop).
  std::vector<double> action_ms;
  std::vector<double> hop_ms;
  // Means, from the engine's histograms: per record processed, per commit.
  double processing_ms = 0;
  double commit_ms = 0;
  double commits_per_s = 0;
};

// Streams events live at `rate` events/s for `seconds` into the engine (event times restamped
// to the wall clock, ids made unique per pass over `events`), and measures event -> action
// latency at a consumer of the action topics in the same process.
LatencyRun MeasureLatency(const engine::EngineConfig& config,
                          const std::vector<v1::TouchpointEvent>& events, double rate,
                          double seconds, const std::string& label) {
  auto broker = connectors::DevBroker::Start(1, engine::TopicsNamedIn(config));
  if (!broker.ok()) Fail("development broker", broker.status());
  const std::string input = config.kafka.input_topics.front();
  BenchEngine engine(config, broker->get(), "latency-" + label, {input});
  std::atomic<bool> stop_engine{false};
  Status engine_status;
  std::thread engine_thread([&] { engine_status = engine.pipeline().Run(stop_engine); });

  std::vector<std::string> output_topics = {config.output.default_topic,
                                            config.output.alerts_topic};
  for (const auto& [channel, topic] : config.output.channel_topics) output_topics.push_back(topic);
  std::vector<std::string> read_topics = {input};
  for (const auto& topic : output_topics) {
    if (!topic.empty()) read_topics.push_back(topic);
  }
  NoListener listener;
  // The reader is tuned like the engine's consumer (kafka.consumer).
  std::map<std::string, std::string> reader_settings = config.kafka.consumer_properties;
  reader_settings.emplace("fetch.wait.max.ms", "10");
  for (const auto& [key, value] : kGroupSettings) reader_settings[key] = value;
  auto reader = connectors::KafkaSource::Create(
      {(*broker)->bootstrap_servers(), "latency-reader-" + label, read_topics, reader_settings},
      &listener);
  if (!reader.ok()) Fail("latency: reader", reader.status());

  // Produce times (steady clock) of the measured events, by event id; filled by the producer,
  // read by the reader thread.
  std::mutex mu;
  std::unordered_map<std::string, Clock::time_point> sent;
  std::unordered_map<std::string, bool> answered;
  LatencyRun run;
  run.target_rate = rate;
  std::atomic<bool> stop_reader{false};
  std::atomic<int64_t> warmup_seen{0};
  std::thread reader_thread([&] {
    while (!stop_reader) {
      auto record = (*reader)->Poll(20);
      if (!record.ok()) Fail("latency: read", record.status());
      if (!record->has_value()) continue;
      const auto arrived = Clock::now();
      const connectors::SourceRecord& r = **record;
      const bool is_input = r.topic == input;
      const std::string id(JsonString(r.value, is_input ? "event_id" : "trigger_event_id"));
      if (!is_input && FiredByTimer(JsonString(r.value, "trigger"))) continue;
      std::lock_guard<std::mutex> lock(mu);
      auto it = sent.find(id);
      if (it == sent.end()) {
        if (is_input) ++warmup_seen;
        continue;
      }
      const double ms = std::chrono::duration<double, std::milli>(arrived - it->second).count();
      if (is_input) {
        run.hop_ms.push_back(ms);
      } else if (!answered[id]) {
        answered[id] = true;
        run.action_ms.push_back(ms);
      }
    }
  });

  auto sink =
      connectors::KafkaSink::Create({(*broker)->bootstrap_servers(), EventProducer(config)});
  if (!sink.ok()) Fail("latency: event producer", sink.status());
  std::vector<connectors::DeliveryReport> reports;
  uint64_t token = 0;
  size_t next = 0;
  // Produces the next event, restamped to now; measured ones are recorded in `sent` first.
  auto produce_next = [&](bool measured) {
    v1::TouchpointEvent event = events[next % events.size()];
    event.set_event_id(event.event_id() + "-" + label + "-" + std::to_string(next / events.size()));
    ++next;
    event.set_ts_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
    const std::string value = connectors::EncodeEvent(event, connectors::Format::kJson);
    if (measured) {
      std::lock_guard<std::mutex> lock(mu);
      sent.emplace(event.event_id(), Clock::now());
    }
    if (Status s = (*sink)->Produce(input, event.customer_id(), value, {}, ++token); !s.ok()) {
      Fail("latency: produce", s);
    }
    reports.clear();
    (*sink)->Poll(0, &reports);
  };

  // Warm-up: the engine and the reader are assigned and reading before the measured stream.
  constexpr int kWarmup = 200;
  for (int i = 0; i < kWarmup; ++i) produce_next(false);
  const auto warmup_start = Clock::now();
  while (engine.pipeline().records_processed() < kWarmup || warmup_seen < kWarmup) {
    if (Clock::now() - warmup_start > kProgressTimeout) Fail("latency: warm-up made no progress");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto processing_before =
      HistogramSumCount(engine.metrics(), "touchstream_processing_latency_seconds");
  const auto commit_before =
      HistogramSumCount(engine.metrics(), "touchstream_commit_latency_seconds");

  // Paced: event i leaves at start + i / rate.
  const auto start = Clock::now();
  const auto total = static_cast<size_t>(rate * seconds);
  for (size_t i = 0; i < total;) {
    const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(static_cast<double>(i) / rate));
    if (Clock::now() < due) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    produce_next(true);
    ++i;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  run.events = total;
  run.achieved_rate = static_cast<double>(total) / elapsed;
  // Until every event came back through the hop reader and the engine went through them all.
  const auto drain_start = Clock::now();
  while (Clock::now() - drain_start < std::chrono::seconds(20)) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (run.hop_ms.size() >= total &&
          engine.pipeline().records_processed() >= static_cast<int64_t>(total + kWarmup)) {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The last actions: a few commit intervals and lingers.
  std::this_thread::sleep_for(std::chrono::milliseconds(
      500 + 3 * static_cast<int64_t>(config.processing.commit_interval_ms)));
  const double measured_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto processing_after =
      HistogramSumCount(engine.metrics(), "touchstream_processing_latency_seconds");
  const auto commit_after =
      HistogramSumCount(engine.metrics(), "touchstream_commit_latency_seconds");
  const double records = processing_after.second - processing_before.second;
  const double commits = commit_after.second - commit_before.second;
  run.processing_ms =
      records > 0 ? 1000 * (processing_after.first - processing_before.first) / records : 0;
  run.commit_ms = commits > 0 ? 1000 * (commit_after.first - commit_before.first) / commits : 0;
  run.commits_per_s = commits / measured_seconds;

  stop_reader = true;
  reader_thread.join();
  (*reader)->Close();
  stop_engine = true;
  engine_thread.join();
  if (!engine_status.ok()) Fail("latency: the pipeline failed", engine_status);
  (*sink)->Flush(10000, &reports);
  return run;
}

constexpr const char* kUsage =
    "usage: engine_bench [--cases LIST] [--customers N] [--days D] [--repeat R]\n"
    "                    [--kafka-events N] [--formats LIST] [--loads LIST] [--latency-seconds S]\n"
    "                    [--commit-interval-ms MS] [--linger-ms MS] [--policy-only]\n"
    "  --cases LIST            inprocess, e2e, latency, comma-separated (default inprocess,e2e);\n"
    "                          none: only generate (with --events-out)\n"
    "  --customers N           customers in the generated journeys (default 100000)\n"
    "  --days D                days of journeys (default 30)\n"
    "  --repeat R              runs per case; the median is printed (default 3)\n"
    "  --kafka-events N        events streamed through the development broker (default 90000)\n"
    "  --formats LIST          input formats of the e2e case: json, protobuf (default both)\n"
    "  --loads LIST            latency: fractions of the measured maximum (default "
    "0.25,0.5,0.9)\n"
    "  --latency-seconds S     latency: seconds of paced input per load (default 5)\n"
    "  --commit-interval-ms MS processing.commit_interval_ms for the Kafka cases (default: the\n"
    "                          demo config's)\n"
    "  --linger-ms MS          the engine producer's linger.ms for the Kafka cases (default: the\n"
    "                          engine's, 1)\n"
    "  --fetch-wait-ms MS      fetch.wait.max.ms of the engine's consumer and of the bench's\n"
    "                          action reader (default: the engine's, 10; the reader: 10)\n"
    "  --policy-only           the same as --cases inprocess\n"
    "  --events-out FILE       also write the generated events to FILE as JSON Lines (the\n"
    "                          input of `touchstream replay`)\n";

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(list);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

int Main(int argc, char** argv) {
  connectors::JourneyOptions journeys;
  journeys.customers = 100000;
  journeys.days = 30;
  int repeat = 3;
  std::vector<std::string> cases = {"inprocess", "e2e"};
  std::vector<std::string> formats = {"json", "protobuf"};
  std::vector<double> loads = {0.25, 0.5, 0.9};
  double latency_seconds = 5;
  int64_t commit_interval_ms = -1;
  int64_t linger_ms = -1;
  std::string events_out;
  int64_t fetch_wait_ms = -1;
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
      cases = {"inprocess"};
      continue;
    }
    const bool known = flag == "--customers" || flag == "--days" || flag == "--repeat" ||
                       flag == "--kafka-events" || flag == "--cases" || flag == "--formats" ||
                       flag == "--loads" || flag == "--latency-seconds" ||
                       flag == "--commit-interval-ms" || flag == "--linger-ms" ||
                       flag == "--events-out" || flag == "--fetch-wait-ms";
    if (!known || i + 1 >= argc) {
      std::cerr << "engine_bench: " << (known ? "missing value for " : "unknown option ") << flag
                << "\n"
                << kUsage;
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--customers") journeys.customers = std::atoi(value.c_str());
    if (flag == "--days") journeys.days = std::atoi(value.c_str());
    if (flag == "--repeat") repeat = std::max(1, std::atoi(value.c_str()));
    if (flag == "--kafka-events") kafka_events = static_cast<size_t>(std::atoll(value.c_str()));
    if (flag == "--cases") cases = SplitList(value);
    if (flag == "--formats") formats = SplitList(value);
    if (flag == "--latency-seconds") latency_seconds = std::atof(value.c_str());
    if (flag == "--commit-interval-ms") commit_interval_ms = std::atoll(value.c_str());
    if (flag == "--linger-ms") linger_ms = std::atoll(value.c_str());
    if (flag == "--events-out") events_out = value;
    if (flag == "--fetch-wait-ms") fetch_wait_ms = std::atoll(value.c_str());
    if (flag == "--loads") {
      loads.clear();
      for (const std::string& load : SplitList(value)) loads.push_back(std::atof(load.c_str()));
    }
  }
  for (const std::string& c : cases) {
    if (c == "none") continue;
    if (c != "inprocess" && c != "e2e" && c != "latency") {
      std::cerr << "engine_bench: unknown case '" << c << "' in --cases\n" << kUsage;
      return 2;
    }
  }
  for (const std::string& f : formats) {
    if (f != "json" && f != "protobuf") {
      std::cerr << "engine_bench: unknown format '" << f << "' in --formats\n" << kUsage;
      return 2;
    }
  }
  auto config = bench::DemoConfig();
  if (commit_interval_ms >= 0) config.processing.commit_interval_ms = commit_interval_ms;
  if (linger_ms >= 0) config.kafka.producer_properties["linger.ms"] = std::to_string(linger_ms);
  if (fetch_wait_ms >= 0) {
    config.kafka.consumer_properties["fetch.wait.max.ms"] = std::to_string(fetch_wait_ms);
  }
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
  if (!events_out.empty()) {
    auto writer = connectors::JsonlWriter::Open(events_out);
    if (!writer.ok()) Fail("--events-out", writer.status());
    for (const auto& record : records) {
      if (Status s = (*writer)->Write(record.value); !s.ok()) Fail("--events-out", s);
    }
    if (Status s = (*writer)->Flush(); !s.ok()) Fail("--events-out", s);
  }
  std::cout << "engine_bench: " << events.size() << " events of " << journeys.customers
            << " customers, " << journeys.days << " days, demo rule pack, median of " << repeat
            << " runs\n";

  if (Has(cases, "inprocess")) {
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
              << std::flush;
  }

  std::cout << std::fixed << std::setprecision(0);
  if (Has(cases, "e2e")) {
    kafka_events = std::min(kafka_events, records.size());
    auto broker = connectors::DevBroker::Start(1, engine::TopicsNamedIn(config));
    if (!broker.ok()) Fail("development broker", broker.status());
    (*broker)->CreateTopic({"bench.raw-out", config.kafka.embedded_partitions});
    for (const std::string& format : formats) {
      const std::string topic = "bench.events." + format;
      (*broker)->CreateTopic({topic, config.kafka.embedded_partitions});
      std::vector<connectors::SourceRecord> encoded(
          records.begin(), records.begin() + static_cast<long>(kafka_events));
      if (format == "protobuf") {
        for (size_t i = 0; i < encoded.size(); ++i) {
          encoded[i].value = connectors::EncodeEvent(events[i], connectors::Format::kProtobuf);
        }
      }
      ProduceAll(config, (*broker)->bootstrap_servers(), topic, encoded);
    }
    for (const std::string& format : formats) {
      const std::string topic = "bench.events." + format;
      std::vector<double> e2e, raw, consume_only;
      // Interleaved: each repeat measures the three cases one after the other.
      for (int r = 0; r < repeat; ++r) {
        const std::string bootstrap = (*broker)->bootstrap_servers();
        const std::string run = format + "-" + std::to_string(r);
        consume_only.push_back(RawBroker(bootstrap, topic, kafka_events, "consume-" + run, false));
        raw.push_back(RawBroker(bootstrap, topic, kafka_events, "raw-" + run, true));
        e2e.push_back(EndToEnd(config, broker->get(), topic, kafka_events, "e2e-" + run));
      }
      std::vector<double> ratios;
      for (int r = 0; r < repeat; ++r) ratios.push_back(e2e[r] / raw[r]);
      std::cout << "  " << format << " input (" << kafka_events << " events)\n"
                << "    end-to-end (dev broker)      " << bench::Median(e2e) << " events/s\n"
                << "    raw broker, consume only     " << bench::Median(consume_only) << " msgs/s\n"
                << "    raw broker, consume+produce  " << bench::Median(raw)
                << " msgs/s  (one message out per message in)\n"
                << std::setprecision(2) << "    end-to-end / consume only    "
                << bench::Median(e2e) / bench::Median(consume_only) << "\n"
                << "    end-to-end / consume+produce " << bench::Median(ratios)
                << "  (median of the ratios of each run)\n"
                << std::setprecision(0) << std::flush;
    }
  }

  if (Has(cases, "latency")) {
    kafka_events = std::min(kafka_events, records.size());
    // The maximum: the end-to-end rate over pre-produced events, median of the repeats.
    std::vector<double> max_runs;
    {
      auto broker = connectors::DevBroker::Start(1, engine::TopicsNamedIn(config));
      if (!broker.ok()) Fail("development broker", broker.status());
      const std::string topic = config.kafka.input_topics.front();
      ProduceAll(config, (*broker)->bootstrap_servers(), topic,
                 {records.begin(), records.begin() + static_cast<long>(kafka_events)});
      for (int r = 0; r < repeat; ++r) {
        max_runs.push_back(
            EndToEnd(config, broker->get(), topic, kafka_events, "max-" + std::to_string(r)));
      }
    }
    const double max_rate = bench::Median(max_runs);
    std::cout << "  latency: commit_interval_ms " << config.processing.commit_interval_ms
              << ", engine linger.ms "
              << (config.kafka.producer_properties.count("linger.ms") != 0
                      ? config.kafka.producer_properties.at("linger.ms")
                      : std::string("default (1)"))
              << "; maximum end to end " << max_rate << " events/s (JSON)\n"
              << "    load   events/s  events  actions   p50 ms   p99 ms  p99.9 ms | hop p50"
                 "  hop p99  process  commit  commits/s\n"
              << std::flush;
    for (size_t i = 0; i < loads.size(); ++i) {
      const LatencyRun run =
          MeasureLatency(config, events, loads[i] * max_rate, latency_seconds, std::to_string(i));
      std::cout << std::setprecision(2) << "    " << std::setw(4) << loads[i]
                << std::setprecision(0) << std::setw(10) << run.achieved_rate << std::setw(8)
                << run.events << std::setw(9) << run.action_ms.size() << std::setprecision(1)
                << std::setw(9) << Quantile(run.action_ms, 0.5) << std::setw(9)
                << Quantile(run.action_ms, 0.99) << std::setw(10) << Quantile(run.action_ms, 0.999)
                << " |" << std::setw(8) << Quantile(run.hop_ms, 0.5) << std::setw(9)
                << Quantile(run.hop_ms, 0.99) << std::setprecision(3) << std::setw(9)
                << run.processing_ms << std::setw(8) << run.commit_ms << std::setprecision(0)
                << std::setw(11) << run.commits_per_s << "\n"
                << std::flush;
    }
  }
  return 0;
}

}  // namespace
}  // namespace touchstream

int main(int argc, char** argv) {
  return touchstream::Main(argc, argv);
}
