// Erasure is complete (docs/security.md, "Personal data"): after DELETE /customers/<id> on a
// running pipeline (development broker, real RocksDB, changelog on), nothing of the customer
// can be read back: not by GET /customers/<id>, `state export`, `report impact`, the store's
// customers, timers and outbox, nor the changelog, whose latest record for every key of the
// customer (state and timers) is a tombstone.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/time_format.h"
#include "connectors/partition_reader.h"
#include "engine/ops/admin_api.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/task_queue.h"
#include "pipeline_fixture.h"

namespace touchstream::testing {
namespace {

const std::string kBinary = TOUCHSTREAM_BINARY;

class IntegrationErasureTest : public PipelineFixture {
 protected:
  void Produce(const std::vector<std::pair<std::string, std::string>>& messages) {
    auto sink = connectors::KafkaSink::Create({bootstrap_, {}});
    ASSERT_TRUE(sink.ok());
    uint64_t token = 0;
    for (const auto& [key, value] : messages) {
      ASSERT_TRUE((*sink)->Produce("touchstream.events", key, value, {}, ++token).ok());
    }
    std::vector<connectors::DeliveryReport> reports;
    ASSERT_TRUE((*sink)->Flush(10000, &reports).ok());
  }

  // c-1: a first purchase (the welcome offer: a delivery and an impact attribution) and a
  // cart_add now (the abandoned cart's timer, 2 h later, stays armed); c-3: a purchase.
  void ProduceCustomers() {
    config_.rules_paths.push_back(std::string(TOUCHSTREAM_SOURCE_DIR) + "/deploy/rules/journeys");
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    const std::string before = FormatRfc3339Ms(now_ms - 60000);
    const std::string at = FormatRfc3339Ms(now_ms);
    Produce({{"c-1",
              R"({"event_id":"e1","customer_id":"c-1","type":"purchase","ts":")" + before +
                  R"(","properties":{"amount":10.0,"sku":"SECRET-SKU","email":"c1@example.com"}})"},
             {"c-1", R"({"event_id":"e2","customer_id":"c-1","type":"cart_add","ts":")" + at +
                         R"(","properties":{"sku":"SECRET-SKU"}})"},
             {"c-3", R"({"event_id":"e3","customer_id":"c-3","type":"purchase","ts":")" + at +
                         R"(","properties":{"amount":20.0,"sku":"B1"}})"}});
  }

  // The value of the last changelog record of every key.
  std::map<std::string, std::string> LatestChangelogRecords() {
    std::map<std::string, std::string> latest;
    auto reader = connectors::PartitionReader::Create({bootstrap_, {}, 10000});
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return latest;
    const std::string topic = engine::ChangelogTopicOf(config_);
    auto partitions = (*reader)->PartitionCount(topic, 10000);
    EXPECT_TRUE(partitions.ok()) << partitions.status().ToString();
    for (int32_t p = 0; partitions.ok() && p < *partitions; ++p) {
      auto marks = (*reader)->Watermarks(topic, p, 10000);
      EXPECT_TRUE(marks.ok()) << marks.status().ToString();
      if (!marks.ok() || marks->second <= marks->first) continue;
      EXPECT_TRUE((*reader)
                      ->ReadToEnd(topic, p, 0,
                                  [&](const connectors::SourceRecord& record) {
                                    latest[record.key] = record.value;
                                  })
                      .ok());
    }
    return latest;
  }

  // The customer's state key and timer keys (at least one) are all tombstones in `latest`.
  static void ExpectOnlyTombstonesOf(const std::string& customer_id,
                                     const std::map<std::string, std::string>& latest) {
    const std::string timer_prefix = engine::ChangelogTimerKey(customer_id, "");
    int customer_keys = 0;
    int timer_keys = 0;
    for (const auto& [key, value] : latest) {
      if (key == customer_id) {
        ++customer_keys;
      } else if (key.starts_with(timer_prefix)) {
        ++timer_keys;
      } else {
        continue;
      }
      EXPECT_TRUE(value.empty()) << "the changelog still holds a value for key " << key;
    }
    EXPECT_EQ(customer_keys, 1);
    EXPECT_GE(timer_keys, 1);
  }
};

// stdout and stderr of `touchstream <args>`, and its exit code.
std::pair<int, std::string> Touchstream(const std::string& args) {
  std::string text;
  FILE* pipe = popen((kBinary + " " + args + " 2>&1").c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// The response of one admin API request, run by the pipeline's processing thread.
engine::AdminResponse Request(engine::AdminApi* api, const std::string& method,
                              const std::string& target) {
  std::promise<engine::AdminResponse> promise;
  std::future<engine::AdminResponse> response = promise.get_future();
  api->Handle({method, target},
              [&promise](engine::AdminResponse r) { promise.set_value(std::move(r)); });
  EXPECT_EQ(response.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  return response.get();
}

// A customer with state, delivery history, an impact attribution and an armed timer is erased
// by the admin API; afterwards no command, route, store scan or changelog read returns any of it.
TEST_F(IntegrationErasureTest, NothingOfAnErasedCustomerCanBeReadBack) {
  ProduceCustomers();
  {
    auto store = engine::OpenStore(config_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto rules = engine::LoadRuleSet(config_, std::cerr);
    ASSERT_TRUE(rules.ok());
    engine::EngineMetrics metrics;
    engine::SystemClock clock;
    auto pipeline =
        engine::KafkaPipeline::Create(config_, bootstrap_, store->get(), &metrics, &clock);
    ASSERT_TRUE(pipeline.ok()) << pipeline.status().ToString();
    (*pipeline)->UpdateRules(*rules);
    engine::TaskQueue tasks;
    engine::AdminApi api(pipeline->get(), &tasks,
                         [](std::ostream&) -> Result<size_t> { return size_t{0}; });
    std::atomic<bool> stop{false};
    engine::PipelineRunOptions options;
    options.tasks = &tasks;
    Status run_status;
    std::thread runner([&] { run_status = (*pipeline)->Run(stop, options); });
    for (int i = 0; i < 600 && (*pipeline)->records_processed() < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_GE((*pipeline)->records_processed(), 3);

    // Before: the customer has everything erasure must remove.
    const engine::AdminResponse found = Request(&api, "GET", "/customers/c-1");
    EXPECT_EQ(found.status, 200);
    for (const char* part :
         {"welcome-offer", "abandoned-cart", "\"delivery\"", "impact_attributions"}) {
      EXPECT_NE(found.body.find(part), std::string::npos) << part << " in " << found.body;
    }
    const engine::AdminResponse erased = Request(&api, "DELETE", "/customers/c-1");
    EXPECT_EQ(erased.status, 200) << erased.body;
    EXPECT_NE(erased.body.find(R"("had_state":true)"), std::string::npos) << erased.body;
    EXPECT_EQ(Request(&api, "GET", "/customers/c-1").status, 404);
    EXPECT_EQ(Request(&api, "GET", "/customers/c-3").status, 200);

    stop = true;
    runner.join();
    ASSERT_TRUE(run_status.ok()) << run_status.ToString();
    tasks.Close();
  }

  // The store: no state, no timer, no outbox entry of c-1.
  {
    auto store = engine::OpenStore(config_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    v1::CustomerState state;
    EXPECT_EQ((*store)->GetCustomer("c-1", &state).code(), Status::Code::kNotFound);
    std::vector<v1::Timer> timers;
    ASSERT_TRUE((*store)->DueTimers(std::numeric_limits<int64_t>::max(), 100000, &timers).ok());
    for (const v1::Timer& timer : timers) EXPECT_NE(timer.customer_id(), "c-1") << timer.name();
    ASSERT_TRUE((*store)
                    ->ForEachOutbox([](uint64_t, const v1::OutboxEntry& entry) {
                      EXPECT_NE(entry.key(), "c-1");
                    })
                    .ok());
  }

  // The commands: `state export`, `state get`, `report impact` (over the same store).
  const std::filesystem::path config_file = root_ / "engine.yaml";
  std::ofstream(config_file) << "kafka: {group_id: " << config_.kafka.group_id << "}\n"
                             << "state: {dir: " << config_.state.dir << "}\n";
  const auto [export_code, exported] = Touchstream("state export --config " + config_file.string());
  EXPECT_EQ(export_code, 0) << exported;
  EXPECT_NE(exported.find("\"c-3\""), std::string::npos) << exported;
  for (const char* part : {"c-1", "SECRET-SKU", "c1@example.com"}) {
    EXPECT_EQ(exported.find(part), std::string::npos) << part << " in " << exported;
  }
  const auto [get_code, got] = Touchstream("state get c-1 --config " + config_file.string());
  EXPECT_NE(get_code, 0) << got;
  EXPECT_EQ(got.find("SECRET-SKU"), std::string::npos) << got;
  const auto [report_code, report] = Touchstream("report impact --config " + config_file.string());
  EXPECT_EQ(report_code, 0) << report;
  EXPECT_NE(report.find("welcome-offer"), std::string::npos) << report;
  EXPECT_EQ(report.find("c-1"), std::string::npos) << report;

  // The changelog: the latest record of c-1's state and of each of its timers is a tombstone.
  const std::map<std::string, std::string> latest = LatestChangelogRecords();
  ExpectOnlyTombstonesOf("c-1", latest);
  ASSERT_TRUE(latest.contains("c-3"));
  EXPECT_FALSE(latest.at("c-3").empty());
}

// `touchstream state erase` on a stopped engine's store with the changelog on writes the
// tombstones of the customer's state and timers, so no later restore brings the customer back;
// with the embedded broker (gone with the engine) it refuses, erasing nothing.
TEST_F(IntegrationErasureTest, StateEraseWritesChangelogTombstones) {
  ProduceCustomers();
  RunPipeline(config_, 3);
  const std::filesystem::path config_file = root_ / "engine.yaml";
  const std::string state_and_rules = "state: {dir: " + config_.state.dir + "}\n";
  std::ofstream(root_ / "embedded.yaml") << "kafka: {group_id: " << config_.kafka.group_id << "}\n"
                                         << state_and_rules;
  const auto [refused_code, refused] =
      Touchstream("state erase c-1 --config " + (root_ / "embedded.yaml").string());
  EXPECT_EQ(refused_code, 1) << refused;
  EXPECT_NE(refused.find("nothing erased"), std::string::npos) << refused;
  const auto [kept_code, kept] =
      Touchstream("state get c-1 --config " + (root_ / "embedded.yaml").string());
  EXPECT_EQ(kept_code, 0) << kept;

  std::ofstream(config_file) << "kafka: {bootstrap_servers: \"" << bootstrap_
                             << "\", group_id: " << config_.kafka.group_id
                             << ", input_topics: [touchstream.events]}\n"
                             << state_and_rules;
  const auto [erase_code, erased] = Touchstream("state erase c-1 --config " + config_file.string());
  EXPECT_EQ(erase_code, 0) << erased;
  EXPECT_NE(erased.find("changelog tombstones"), std::string::npos) << erased;
  ExpectOnlyTombstonesOf("c-1", LatestChangelogRecords());
}

}  // namespace
}  // namespace touchstream::testing
