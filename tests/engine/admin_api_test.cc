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

}  // namespace
}  // namespace touchstream::engine
