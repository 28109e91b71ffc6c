// GET /healthz and /readyz on a running pipeline (development broker, real RocksDB): not ready
// until the group's first assignment; when the processing thread blocks inside the state store,
// /healthz fails after admin.stall_timeout and recovers when the store answers again.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "connectors/kafka_sink.h"
#include "engine/ops/admin_api.h"
#include "engine/ops/admin_server.h"
#include "engine/runtime/task_queue.h"
#include "external_clients.h"
#include "pipeline_fixture.h"

namespace touchstream::testing {
namespace {

// A store whose customer reads block while the test holds it blocked (a hung disk); every call
// is forwarded to the inner store.
class BlockingStore final : public state::StateStore {
 public:
  explicit BlockingStore(state::StateStore* inner) : inner_(inner) {}

  void Block() {
    std::lock_guard<std::mutex> lock(mu_);
    blocked_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      blocked_ = false;
    }
    released_.notify_all();
  }
  // True once a read is waiting on the block.
  bool waiting() {
    std::lock_guard<std::mutex> lock(mu_);
    return waiting_;
  }

  Status GetCustomer(std::string_view customer_id, v1::CustomerState* out) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      waiting_ = blocked_;
      released_.wait(lock, [this] { return !blocked_; });
      waiting_ = false;
    }
    return inner_->GetCustomer(customer_id, out);
  }
  Status Commit(const state::CommitBatch& batch, std::vector<uint64_t>* sequences) override {
    return inner_->Commit(batch, sequences);
  }
  std::optional<int64_t> GetOffset(std::string_view topic, int32_t partition) override {
    return inner_->GetOffset(topic, partition);
  }
  Status ForEachOutbox(const std::function<void(uint64_t, const v1::OutboxEntry&)>& fn) override {
    return inner_->ForEachOutbox(fn);
  }
  Status ForEachCustomer(const std::function<bool(const v1::CustomerState&)>& fn) override {
    return inner_->ForEachCustomer(fn);
  }
  Status ForEachCustomerFrom(std::string_view first_id,
                             const std::function<bool(const v1::CustomerState&)>& fn) override {
    return inner_->ForEachCustomerFrom(first_id, fn);
  }
  Status DueTimers(int64_t up_to_ms, size_t limit, std::vector<v1::Timer>* out) override {
    return inner_->DueTimers(up_to_ms, limit, out);
  }
  Status ForEachImpactCounts(const std::function<void(const std::string&, const std::string&,
                                                      const v1::ImpactCounts&)>& fn) override {
    return inner_->ForEachImpactCounts(fn);
  }
  Status Flush() override { return inner_->Flush(); }

 private:
  state::StateStore* inner_;
  std::mutex mu_;
  std::condition_variable released_;
  bool blocked_ = false;  // GUARDED_BY(mu_)
  bool waiting_ = false;  // GUARDED_BY(mu_)
};

class IntegrationLivenessTest : public PipelineFixture {
 protected:
  void Produce(const std::string& key, const std::string& value) {
    auto sink = connectors::KafkaSink::Create({bootstrap_, {}});
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Produce("touchstream.events", key, value, {}, 1).ok());
    std::vector<connectors::DeliveryReport> reports;
    ASSERT_TRUE((*sink)->Flush(10000, &reports).ok());
  }

  // "<body> <http status>" of GET path on the admin server.
  std::string Get(const std::string& path) {
    return RunShell("curl -s -m 20 -w ' %{http_code}' http://127.0.0.1:" + std::to_string(port_) +
                    path);
  }

  int port_ = 0;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(IntegrationLivenessTest, HealthzFailsWhileTheProcessingThreadIsStuck) {
  auto rocksdb = engine::OpenStore(config_);
  ASSERT_TRUE(rocksdb.ok()) << rocksdb.status().ToString();
  BlockingStore store(rocksdb->get());
  auto rules = engine::LoadRuleSet(config_, std::cerr);
  ASSERT_TRUE(rules.ok());
  engine::EngineMetrics metrics;
  engine::SystemClock clock;
  auto pipeline = engine::KafkaPipeline::Create(config_, bootstrap_, &store, &metrics, &clock);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status().ToString();
  (*pipeline)->UpdateRules(*rules);
  engine::TaskQueue tasks;
  engine::AdminApi api(pipeline->get(), &tasks, nullptr, &(*pipeline)->heartbeat(),
                       /*stall_timeout_ms=*/1000);
  auto server = engine::AdminServer::Start(
      "127.0.0.1:0", [&](const engine::AdminRequest& request, engine::AdminResponder respond) {
        api.Handle(request, std::move(respond));
      });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  port_ = (*server)->port();

  std::atomic<bool> stop{false};
  engine::PipelineRunOptions options;
  options.tasks = &tasks;
  Status run_status;
  std::thread runner([&] { run_status = (*pipeline)->Run(stop, options); });
  // The first join of the group takes seconds: until its assignment arrives, not ready.
  std::string joining;
  for (int i = 0; i < 40 && !Contains(joining, "waiting for the first partition assignment"); ++i) {
    joining = Get("/readyz");
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(joining,
            "{\"reasons\":[\"waiting for the first partition assignment of consumer group "
            "touchstream-demo\"],\"status\":\"not ready\"}\n 503");
  const std::string event =
      R"({"event_id":"e1","customer_id":"c-1","type":"page_view","ts":"2026-01-01T10:00:00Z"})";
  Produce("c-1", event);
  for (int i = 0; i < 600 && (*pipeline)->records_processed() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ((*pipeline)->records_processed(), 1);
  EXPECT_TRUE(Contains(Get("/healthz"), "\"status\":\"ok\"")) << Get("/healthz");
  EXPECT_EQ(Get("/readyz"), "{\"status\":\"ready\"}\n 200");

  // The next event's state read hangs: the loop stops iterating.
  store.Block();
  Produce(
      "c-2",
      R"({"event_id":"e2","customer_id":"c-2","type":"page_view","ts":"2026-01-01T11:00:00Z"})");
  for (int i = 0; i < 600 && !store.waiting(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(store.waiting());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const std::string stalled = Get("/healthz");
  EXPECT_TRUE(Contains(stalled, "\"status\":\"stalled\"")) << stalled;
  EXPECT_TRUE(Contains(stalled, "(admin.stall_timeout 1000 ms)")) << stalled;
  EXPECT_TRUE(Contains(stalled, " 503")) << stalled;

  // The store answers again: the loop goes on and the probe passes.
  store.Release();
  for (int i = 0; i < 600 && (*pipeline)->records_processed() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ((*pipeline)->records_processed(), 2);
  const std::string alive = Get("/healthz");
  EXPECT_TRUE(Contains(alive, " 200")) << alive;

  stop = true;
  runner.join();
  EXPECT_TRUE(run_status.ok()) << run_status.ToString();
  tasks.Close();
}

// More instances than input partitions: the one left without a partition still receives the
// group's (empty) assignment and becomes ready, so that a rollout does not wait for it forever.
TEST_F(IntegrationLivenessTest, InstanceWithoutPartitionsBecomesReady) {
  engine::EngineConfig config = config_;
  config.kafka.input_topics = {"solo"};
  config.kafka.group_id = "solo-group";
  ASSERT_TRUE(broker_->CreateTopic({"solo", 1}).ok());
  ASSERT_TRUE(broker_->CreateTopic({engine::ChangelogTopicOf(config), 1}).ok());
  struct Instance {
    std::unique_ptr<state::StateStore> store;
    engine::EngineMetrics metrics;
    std::ostringstream log_text;
    std::unique_ptr<engine::Logger> log;
    std::unique_ptr<engine::KafkaPipeline> pipeline;
    engine::TaskQueue tasks;
    std::thread runner;
    Status status;
  };
  engine::SystemClock clock;
  std::atomic<bool> stop{false};
  std::vector<engine::EngineConfig> configs(2, config);
  std::vector<std::unique_ptr<Instance>> instances;
  for (int i = 0; i < 2; ++i) {
    configs[i].state.dir = (root_ / ("solo-state-" + std::to_string(i))).string();
    auto instance = std::make_unique<Instance>();
    auto store = engine::OpenStore(configs[i]);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    instance->store = std::move(*store);
    instance->log = std::make_unique<engine::Logger>(&instance->log_text, engine::LogFormat::kText,
                                                     engine::LogLevel::kInfo);
    auto pipeline = engine::KafkaPipeline::Create(configs[i], bootstrap_, instance->store.get(),
                                                  &instance->metrics, &clock, instance->log.get());
    ASSERT_TRUE(pipeline.ok()) << pipeline.status().ToString();
    instance->pipeline = std::move(*pipeline);
    Instance* raw = instance.get();
    raw->runner = std::thread([raw, &stop] {
      engine::PipelineRunOptions options;
      options.tasks = &raw->tasks;
      raw->status = raw->pipeline->Run(stop, options);
    });
    instances.push_back(std::move(instance));
  }
  // The readiness reasons of each instance, asked on its processing thread.
  auto reasons_of = [](Instance* instance) {
    std::promise<std::vector<std::string>> promise;
    auto answer = promise.get_future();
    instance->tasks.Post([&] { promise.set_value(instance->pipeline->AdminNotReadyReasons()); });
    return answer.get();
  };
  bool both_ready = false;
  for (int i = 0; i < 300 && !both_ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    both_ready = reasons_of(instances[0].get()).empty() && reasons_of(instances[1].get()).empty();
  }
  EXPECT_TRUE(both_ready) << "instance 0: "
                          << ::testing::PrintToString(reasons_of(instances[0].get()))
                          << ", instance 1: "
                          << ::testing::PrintToString(reasons_of(instances[1].get()));
  stop = true;
  for (auto& instance : instances) {
    instance->runner.join();
    instance->tasks.Close();
    EXPECT_TRUE(instance->status.ok()) << instance->status.ToString();
  }
  // One instance owns the partition, the other none; both logged their assignment.
  const std::string a = instances[0]->log_text.str(), b = instances[1]->log_text.str();
  EXPECT_TRUE(Contains(a, "partitions assigned partitions=solo:0 owned=1") !=
              Contains(b, "partitions assigned partitions=solo:0 owned=1"))
      << a << "\n"
      << b;
}

}  // namespace
}  // namespace touchstream::testing
