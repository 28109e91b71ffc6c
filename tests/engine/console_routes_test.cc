// POST /rules/check: posted rule text is compiled, never loaded, and its errors come back with
// line, column and the text `touchstream rules check` prints.
#include "engine/ops/console_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "engine/ops/admin_api.h"
#include "engine/ops/admin_auth.h"

namespace touchstream::engine {
namespace {

constexpr std::string_view kGoodRule = R"(- id: cart
  trigger: {event: cart_add}
  condition: event.properties.value > 1
  actions:
    - emit: {kind: offer, channel: email}
)";

constexpr std::string_view kBrokenRule = R"(- id: cart
  trigger: {event: cart_add}
  condition: event.properties.value > 1 && customer.aggregates.total_spnd > 100
  actions:
    - emit: {kind: offer, channel: email}
)";

class NoEngine final : public AdminBackend {
 public:
  Status AdminGetCustomer(std::string_view, v1::CustomerState*) override {
    return Status::NotFound("no customers here");
  }
  Result<state::ErasureCounts> AdminEraseCustomer(std::string_view) override {
    return state::ErasureCounts{};
  }
  std::shared_ptr<const rules::RuleSet> AdminRules() override { return nullptr; }
};

// A rule file that compiles answers 200 with its rule count.
TEST(ConsoleRoutesTest, CheckAcceptsAGoodFile) {
  AdminResponse response = CheckRuleText(kGoodRule, rules::RuleEnvironment());
  EXPECT_EQ(response.status, 200);
  nlohmann::json body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["ok"], true);
  EXPECT_EQ(body["rules"], 1);
}

// A broken file answers 422 with each error's line, column and the `rules check` text.
TEST(ConsoleRoutesTest, CheckReportsErrorsAsRulesCheckPrintsThem) {
  AdminResponse response = CheckRuleText(kBrokenRule, rules::RuleEnvironment());
  EXPECT_EQ(response.status, 422);
  nlohmann::json body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["ok"], false);
  ASSERT_EQ(body["errors"].size(), 1u);
  EXPECT_EQ(body["errors"][0]["line"], 3);
  EXPECT_EQ(body["errors"][0]["column"], 64);
  EXPECT_EQ(body["errors"][0]["text"],
            "console.yaml:3:64: error: unknown field 'customer.aggregates.total_spnd' (did you "
            "mean 'total_spend'?)\n"
            "  condition: event.properties.value > 1 && customer.aggregates.total_spnd > 100\n"
            "                                                               ^");
}

// A body over the limit is refused before it is parsed.
TEST(ConsoleRoutesTest, CheckRefusesAnOversizedFile) {
  std::string huge(kMaxConsoleRuleBytes + 1, '#');
  EXPECT_EQ(CheckRuleText(huge, rules::RuleEnvironment()).status, 413);
}

// The route is served by the admin API, answers without the processing thread, wants POST,
// and needs only the read role.
TEST(ConsoleRoutesTest, AdminApiRoutesCheck) {
  NoEngine backend;
  TaskQueue tasks;
  AdminApi api(&backend, &tasks, nullptr);
  AdminResponse response;
  api.Handle({"POST", "/rules/check", "", std::string(kBrokenRule)},
             [&](AdminResponse r) { response = std::move(r); });
  EXPECT_EQ(response.status, 422);
  api.Handle({"GET", "/rules/check"}, [&](AdminResponse r) { response = std::move(r); });
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(RequiredRole("POST", "/rules/check"), AdminRole::kRead);
  EXPECT_EQ(RequiredRole("POST", "/rules/reload"), AdminRole::kAdmin);
}

}  // namespace
}  // namespace touchstream::engine
