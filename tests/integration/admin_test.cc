// The admin HTTP API on a running pipeline (development broker, real RocksDB), driven with
// curl; and the erase event on the input topic.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "base/time_format.h"
#include "connectors/kafka_sink.h"
#include "engine/ops/admin_api.h"
#include "engine/ops/admin_server.h"
#include "engine/runtime/task_queue.h"
#include "external_clients.h"
#include "pipeline_fixture.h"

namespace touchstream::testing {
namespace {

class IntegrationAdminTest : public PipelineFixture {
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

  // "<http status> <body>" of a curl request to the admin server.
  std::string Curl(const std::string& method, const std::string& path) {
    return RunShell("curl -s -m 20 -X " + method +
                    " -w ' %{http_code}' http://127.0.0.1:" + std::to_string(port_) + path);
  }

  int port_ = 0;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// GET/DELETE customers, rules, reload and healthz through HTTP while the pipeline runs; an
// erase_request event erases too; erasures are committed to the store and counted by source.
TEST_F(IntegrationAdminTest, CustomersRulesReloadAndEraseEvent) {
  Produce(
      {{"c-1",
        R"({"event_id":"e1","customer_id":"c-1","type":"purchase","ts":"2026-01-01T10:00:00Z","properties":{"amount":10.0,"sku":"A1"}})"},
       {"c-2",
        R"({"event_id":"e2","customer_id":"c-2","type":"purchase","ts":"2026-01-01T11:00:00Z","properties":{"amount":20.0,"sku":"B1"}})"},
       {"c-3",
        R"({"event_id":"e3","customer_id":"c-3","type":"page_view","ts":"2026-01-01T12:00:00Z"})"}});
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
    int reloads = 0;
    engine::AdminApi api(pipeline->get(), &tasks, [&](std::ostream&) -> Result<size_t> {
      auto reloaded = engine::LoadRuleSet(config_, std::cerr);
      if (!reloaded.ok()) return reloaded.status();
      ++reloads;
      (*pipeline)->UpdateRules(*reloaded);
      return (*reloaded)->size();
    });
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
    auto wait_for_records = [&](int64_t n) {
      for (int i = 0; i < 600 && (*pipeline)->records_processed() < n; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      ASSERT_GE((*pipeline)->records_processed(), n);
    };
    wait_for_records(3);

    EXPECT_EQ(Curl("GET", "/healthz"), "{\"status\":\"ok\"}\n 200");
    EXPECT_EQ(Curl("GET", "/readyz"), "{\"status\":\"ready\"}\n 200");
    // A customer id no event could carry is refused, and the engine goes on.
    EXPECT_TRUE(Contains(Curl("DELETE", "/customers/a%00b"), " 400"));
    EXPECT_EQ(Curl("GET", "/healthz"), "{\"status\":\"ok\"}\n 200");
    const std::string c1 = Curl("GET", "/customers/c-1");
    EXPECT_TRUE(Contains(c1, R"("customer_id":"c-1")")) << c1;
    EXPECT_TRUE(Contains(c1, R"("purchase_count":"1")")) << c1;
    EXPECT_TRUE(Contains(c1, " 200")) << c1;
    const std::string encoded = Curl("GET", "/customers/c%2D1");  // percent-decoded
    EXPECT_TRUE(Contains(encoded, R"("customer_id":"c-1")")) << encoded;
    const std::string erased = Curl("DELETE", "/customers/c-1");
    EXPECT_TRUE(Contains(erased, R"("customer_id":"c-1")")) << erased;
    EXPECT_TRUE(Contains(erased, R"("had_state":true)")) << erased;
    EXPECT_TRUE(Contains(erased, " 200")) << erased;
    EXPECT_TRUE(Contains(Curl("GET", "/customers/c-1"), " 404"));
    EXPECT_TRUE(Contains(Curl("GET", "/customers/nobody"), " 404"));

    const std::string rules_list = Curl("GET", "/rules");
    EXPECT_TRUE(Contains(rules_list, R"("id":"welcome-offer")")) << rules_list;
    EXPECT_TRUE(Contains(rules_list, R"("enabled":true)")) << rules_list;
    EXPECT_TRUE(Contains(rules_list, "deploy/rules/demo/")) << rules_list;
    const std::string reload = Curl("POST", "/rules/reload");
    EXPECT_TRUE(Contains(reload, R"("accepted":true)")) << reload;
    EXPECT_EQ(reloads, 1);
    EXPECT_TRUE(Contains(Curl("GET", "/rules/reload"), " 405"));
    EXPECT_TRUE(Contains(Curl("GET", "/nothing"), " 404"));

    Produce(
        {{"c-2",
          R"({"event_id":"e4","customer_id":"c-2","type":"erase_request","ts":"2026-01-02T10:00:00Z"})"}});
    wait_for_records(4);
    EXPECT_TRUE(Contains(Curl("GET", "/customers/c-2"), " 404"));
    EXPECT_TRUE(Contains(Curl("GET", "/customers/c-3"), " 200"));

    stop = true;
    runner.join();
    ASSERT_TRUE(run_status.ok()) << run_status.ToString();
    tasks.Close();
    EXPECT_EQ(metrics.customers_erased_by_admin(), 1);
    EXPECT_EQ(metrics.customers_erased_by_event(), 1);
  }
  // Committed: the erased customers are gone from the store, the others stay.
  auto store = engine::OpenStore(config_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  v1::CustomerState state;
  EXPECT_EQ((*store)->GetCustomer("c-1", &state).code(), Status::Code::kNotFound);
  EXPECT_EQ((*store)->GetCustomer("c-2", &state).code(), Status::Code::kNotFound);
  EXPECT_TRUE((*store)->GetCustomer("c-3", &state).ok());
}

// `run` expires customers past state.retention by its wall-clock sweep: a customer last seen in
// 2020 is deleted once committed, a customer seen now stays.
TEST_F(IntegrationAdminTest, RunSweepExpiresOldCustomers) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  Produce(
      {{"c-old",
        R"({"event_id":"o1","customer_id":"c-old","type":"page_view","ts":"2020-01-01T00:00:00Z"})"},
       {"c-new", R"({"event_id":"n1","customer_id":"c-new","type":"page_view","ts":")" +
                     FormatRfc3339Ms(now_ms) + R"("})"}});
  engine::EngineConfig config = config_;
  config.state.retention_ms = 400 * state::kMsPerDay;
  config.state.retention_sweep_interval_ms = 50;
  RunPipeline(config);
  auto store = engine::OpenStore(config);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  v1::CustomerState state;
  EXPECT_EQ((*store)->GetCustomer("c-old", &state).code(), Status::Code::kNotFound);
  EXPECT_TRUE((*store)->GetCustomer("c-new", &state).ok());
}

// After the engine stopped (queue closed), requests that need it are answered 503.
TEST_F(IntegrationAdminTest, StoppedEngineAnswers503) {
  engine::TaskQueue tasks;
  tasks.Close();
  engine::AdminApi api(nullptr, &tasks, [](std::ostream&) -> Result<size_t> { return 0; });
  auto server = engine::AdminServer::Start(
      "127.0.0.1:0", [&](const engine::AdminRequest& request, engine::AdminResponder respond) {
        api.Handle(request, std::move(respond));
      });
  ASSERT_TRUE(server.ok());
  port_ = (*server)->port();
  EXPECT_TRUE(Contains(Curl("GET", "/customers/c-1"), " 503"));
  EXPECT_FALSE(engine::AdminServer::Start("127.0.0.1:" + std::to_string(port_), {}).ok());
  EXPECT_EQ(engine::AdminServer::Start("nonsense", {}).status().code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace touchstream::testing
