// The admin API's liveness and readiness routes against a backend whose readiness the test sets.
#include "engine/ops/admin_api.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace touchstream::engine {
namespace {

class FakeBackend final : public AdminBackend {
 public:
  Status AdminGetCustomer(std::string_view, v1::CustomerState*) override {
    return Status::NotFound("no customers here");
  }
  Result<state::ErasureCounts> AdminEraseCustomer(std::string_view) override {
    return state::ErasureCounts{};
  }
  std::shared_ptr<const rules::RuleSet> AdminRules() override { return nullptr; }
  std::vector<std::string> AdminNotReadyReasons() override { return reasons; }

  std::vector<std::string> reasons;
};

class EngineAdminApiTest : public ::testing::Test {
 protected:
  // Handles one request, running the processing thread's side inline.
  AdminResponse Get(const std::string& path) {
    AdminResponse response;
    api_.Handle({"GET", path}, [&](AdminResponse r) { response = std::move(r); });
    tasks_.RunPending();
    return response;
  }

  FakeBackend backend_;
  TaskQueue tasks_;
  AdminApi api_{&backend_, &tasks_, [](std::ostream&) -> Result<size_t> { return size_t{0}; }};
};

TEST_F(EngineAdminApiTest, ReadyUntilTheBackendNamesAReason) {
  AdminResponse ready = Get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "{\"status\":\"ready\"}\n");

  backend_.reasons = {"state store failing for 120 ms: I/O error: disk full",
                      "every Kafka broker down for 3000 ms"};
  AdminResponse not_ready = Get("/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.body,
            "{\"reasons\":[\"state store failing for 120 ms: I/O error: disk full\",\"every Kafka "
            "broker down for 3000 ms\"],\"status\":\"not ready\"}\n");
  // Liveness is not readiness: the processing thread still answers.
  EXPECT_EQ(Get("/healthz").status, 200);
}

// A clock the test moves by hand.
class TestClock final : public Clock {
 public:
  int64_t NowMs() const override { return ms; }
  int64_t MonotonicMs() const override { return ms; }
  int64_t ms = 1000;
};

// With a heartbeat, /healthz is answered without the processing thread: ok while the loop beats,
// 503 "stalled" once it has been silent for the stall timeout, ok again after a beat.
TEST_F(EngineAdminApiTest, HealthzFailsWhenTheLoopStalls) {
  TestClock clock;
  Heartbeat heartbeat(&clock);
  AdminApi api(&backend_, &tasks_, nullptr, &heartbeat, 5000);
  auto get = [&](const std::string& path) {
    AdminResponse response{0, "", ""};
    api.Handle({"GET", path}, [&](AdminResponse r) { response = std::move(r); });
    return response;  // the task queue is not run: a stalled processing thread
  };
  clock.ms += 4999;
  AdminResponse ok = get("/healthz");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{\"last_iteration_ms_ago\":4999,\"status\":\"ok\"}\n");
  clock.ms += 1;
  AdminResponse stalled = get("/healthz");
  EXPECT_EQ(stalled.status, 503);
  EXPECT_EQ(stalled.body,
            "{\"reason\":\"the processing loop has not completed an iteration for 5000 ms "
            "(admin.stall_timeout 5000 ms)\",\"status\":\"stalled\"}\n");
  heartbeat.Beat();
  EXPECT_EQ(get("/healthz").status, 200);
}

// A long step marked busy (a restore) is not a stall, and /readyz names it at once.
TEST_F(EngineAdminApiTest, BusyStepIsAliveButNotReady) {
  TestClock clock;
  Heartbeat heartbeat(&clock);
  AdminApi api(&backend_, &tasks_, nullptr, &heartbeat, 5000);
  auto get = [&](const std::string& path) {
    AdminResponse response{0, "", ""};
    api.Handle({"GET", path}, [&](AdminResponse r) { response = std::move(r); });
    return response;
  };
  {
    Heartbeat::Busy restoring(&heartbeat, "restoring partition state from the changelog");
    clock.ms += 60000;
    EXPECT_EQ(get("/healthz").status, 200);
    AdminResponse not_ready = get("/readyz");
    EXPECT_EQ(not_ready.status, 503);
    EXPECT_EQ(not_ready.body,
              "{\"reasons\":[\"restoring partition state from the changelog\"],\"status\":"
              "\"not ready\"}\n");
  }
  EXPECT_EQ(heartbeat.SilentMs(), 0);  // the end of the step beats
  EXPECT_EQ(heartbeat.Activity(), nullptr);
  clock.ms += 5000;
  EXPECT_EQ(get("/healthz").status, 503);
}

// Once the engine stops (the task queue closed), /readyz says so in its usual shape.
TEST_F(EngineAdminApiTest, ReadyzWhenStopped) {
  tasks_.Close();
  AdminResponse stopped = Get("/readyz");
  EXPECT_EQ(stopped.status, 503);
  EXPECT_EQ(stopped.body,
            "{\"reasons\":[\"the engine is not running\"],\"status\":\"not ready\"}\n");
}

// Found by tests/fuzz/admin_http_fuzz.cc: a customer id that percent-decodes to bytes that are
// not UTF-8 threw from the JSON writer on the processing thread; it is answered, with U+FFFD.
// Reload diagnostics quote rule files, which may hold any bytes: the JSON writer threw on text
// that is not UTF-8 (fuzz finding); it is answered with U+FFFD in its place.
TEST_F(EngineAdminApiTest, TextThatIsNotUtf8IsAnswered) {
  AdminApi api(&backend_, &tasks_, [](std::ostream& diagnostics) -> Result<size_t> {
    diagnostics << "r.yaml:1:7: error: unknown event '\x8D'\n";
    return Status::InvalidArgument("the new rule set has errors");
  });
  AdminResponse refused;
  api.Handle({"POST", "/rules/reload"}, [&](AdminResponse r) { refused = std::move(r); });
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body.find("unknown event '\xEF\xBF\xBD'"), std::string::npos) << refused.body;

  // A customer id that is not UTF-8 never reaches a handler.
  AdminResponse erased;
  api_.Handle({"DELETE", "/customers/%8Dc"}, [&](AdminResponse r) { erased = std::move(r); });
  tasks_.RunPending();
  EXPECT_EQ(erased.status, 400);
  EXPECT_EQ(Get("/customers/%FF").status, 400);
}

}  // namespace
}  // namespace touchstream::engine
