// The web console's routes without a browser: the embedded pages, the rule list, the counters
// read from the metrics registry (the numbers a /metrics scrape shows), the impact report
// route, and saving a rule file behind admin.console_writes, all or nothing.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "engine/ops/admin_api.h"
#include "engine/ops/admin_auth.h"
#include "engine/ops/console_assets.h"
#include "engine/ops/console_routes.h"
#include "engine/ops/console_stats.h"
#include "engine/ops/metrics.h"
#include "rules/loader.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::engine {
namespace {

constexpr std::string_view kRule = R"(- id: cart
  version: "3"
  description: a nudge after a big cart add
  trigger: {event: cart_add}
  condition: event.properties.value > 1
  holdout: {percent: 20}
  eligibility: {cooldown: 2d}
  conversion: {event: purchase, within: 3d}
  actions:
    - emit: {kind: offer, channel: [push, email]}
)";

constexpr std::string_view kOtherRule = R"(- id: welcome
  trigger: {event: signup}
  actions:
    - emit: {kind: offer, channel: email}
)";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class RulesBackend final : public AdminBackend {
 public:
  Status AdminGetCustomer(std::string_view id, v1::CustomerState* out) override {
    if (id != "c-1") return Status::NotFound("no customers here");
    out->set_customer_id("c-1");
    out->set_last_seen_ms(5000);
    return Status::Ok();
  }
  Result<state::ErasureCounts> AdminEraseCustomer(std::string_view) override {
    return state::ErasureCounts{};
  }
  std::shared_ptr<const rules::RuleSet> AdminRules() override { return rules; }

  std::shared_ptr<const rules::RuleSet> rules;
};

// Handles one request, running the processing thread's side inline.
AdminResponse Call(AdminApi& api, TaskQueue& tasks, AdminRequest request) {
  AdminResponse response;
  api.Handle(request, [&](AdminResponse r) { response = std::move(r); });
  tasks.RunPending();
  return response;
}

std::string HeaderOf(const AdminResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

// Every embedded page is served with its Content-Type, without a token; /console redirects;
// an unknown file is 404 and a POST 405.
TEST(ConsoleTest, ServesTheEmbeddedPages) {
  ASSERT_GE(ConsoleAssets().size(), 11u);
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    AdminResponse page = ServeConsoleAsset("GET", "/console/" + std::string(asset.name));
    EXPECT_EQ(page.status, 200) << asset.name;
    EXPECT_EQ(page.body, asset.bytes) << asset.name;
    EXPECT_FALSE(asset.bytes.empty()) << asset.name;
    EXPECT_EQ(HeaderOf(page, "X-Content-Type-Options"), "nosniff");
  }
  AdminResponse index = ServeConsoleAsset("GET", "/console/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<h1>Touchstream console</h1>"), std::string::npos);
  EXPECT_EQ(ServeConsoleAsset("GET", "/console/console.js").content_type,
            "text/javascript; charset=utf-8");
  EXPECT_EQ(ServeConsoleAsset("GET", "/console/console.css").content_type,
            "text/css; charset=utf-8");
  AdminResponse redirect = ServeConsoleAsset("GET", "/console");
  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(HeaderOf(redirect, "Location"), "/console/");
  AdminResponse missing = ServeConsoleAsset("GET", "/console/../etc/passwd");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body,
            "{\"error\":\"the console has no file '../etc/passwd' (docs/console.md)\"}\n");
  EXPECT_EQ(ServeConsoleAsset("POST", "/console/rules.html").status, 405);
  EXPECT_EQ(RequiredRole("GET", "/console/rules.html"), std::nullopt);
  EXPECT_EQ(RequiredRole("GET", "/console"), std::nullopt);
  EXPECT_EQ(RequiredRole("GET", "/consoles"), AdminRole::kRead);
  EXPECT_EQ(RequiredRole("GET", "/rules/stats"), AdminRole::kRead);
  EXPECT_EQ(RequiredRole("GET", "/impact"), AdminRole::kRead);
  EXPECT_EQ(RequiredRole("POST", "/rules/save"), AdminRole::kAdmin);
}

// GET /rules lists each rule with its trigger, condition, channels and policy settings.
TEST(ConsoleTest, RuleListHasTriggerConditionChannelsAndPolicy) {
  rules::LoadResult loaded = rules::LoadRulesFromString(kRule, "cart.yaml", {});
  ASSERT_TRUE(loaded.ok()) << loaded.errors.front().ToString();
  RulesBackend backend;
  backend.rules = loaded.rule_set;
  TaskQueue tasks;
  AdminApi api(&backend, &tasks, nullptr);
  AdminResponse response = Call(api, tasks, {"GET", "/rules"});
  ASSERT_EQ(response.status, 200);
  nlohmann::json list = nlohmann::json::parse(response.body);
  ASSERT_EQ(list.size(), 1u);
  const nlohmann::json& rule = list[0];
  EXPECT_EQ(rule["id"], "cart");
  EXPECT_EQ(rule["version"], "3");
  EXPECT_EQ(rule["enabled"], true);
  EXPECT_EQ(rule["file"], "cart.yaml");
  EXPECT_EQ(rule["trigger"], "event:cart_add");
  EXPECT_EQ(rule["condition"], "event.properties.value > 1");
  EXPECT_EQ(rule["channels"], nlohmann::json({"push", "email"}));
  EXPECT_EQ(rule["conversion"]["event_type"], "purchase");
  EXPECT_EQ(rule["conversion"]["within_ms"], 3 * 86400000LL);
  EXPECT_EQ(rule["policy"]["holdout_percent"], 20.0);
  EXPECT_EQ(rule["policy"]["cooldown_ms"], 2 * 86400000LL);
}

// GET /rules/stats and GET /stats give the numbers the /metrics text shows, read from the
// same registry.
TEST(ConsoleTest, StatsAreTheMetricsNumbers) {
  EngineMetrics metrics;
  for (int i = 0; i < 3; ++i) metrics.RuleFired("cart");
  metrics.RuleEvaluated("cart");
  metrics.RuleError("welcome");
  metrics.DecisionRecorded("cart", "fired", "fired");
  metrics.DecisionRecorded("cart", "suppressed", "cap:weekly");
  metrics.DecisionRecorded("cart", "suppressed", "stale");
  metrics.DecisionRecorded("welcome", "held_out", "holdout");
  metrics.EventConsumed("purchase");
  metrics.EventConsumed("purchase");
  metrics.EventConsumed("cart_add");
  metrics.EventRejected("bad_json");
  metrics.ActionProduced("email");
  metrics.SetRulesLoaded(2);
  const auto families = metrics.registry()->Collect();
  const std::string scraped = prometheus::TextSerializer().Serialize(families);
  EXPECT_NE(scraped.find("touchstream_rules_fired_total{rule=\"cart\"} 3"), std::string::npos);

  nlohmann::json stats = RuleStatsJson(families);
  EXPECT_EQ(stats["rules"]["cart"]["fired"], 3.0);
  EXPECT_EQ(stats["rules"]["cart"]["evaluated"], 1.0);
  EXPECT_EQ(stats["rules"]["cart"]["errors"], 0.0);
  EXPECT_EQ(stats["rules"]["cart"]["suppressed"], 2.0);
  EXPECT_EQ(stats["rules"]["cart"]["decisions"]["suppressed:cap:weekly"], 1.0);
  EXPECT_EQ(stats["rules"]["welcome"]["errors"], 1.0);
  EXPECT_EQ(stats["rules"]["welcome"]["held_out"], 1.0);

  nlohmann::json live = LiveStatsJson(families);
  EXPECT_EQ(live["events_consumed"], 3.0);
  EXPECT_EQ(live["events_by_type"]["purchase"], 2.0);
  EXPECT_EQ(live["events_rejected"], 1.0);
  EXPECT_EQ(live["actions_by_channel"]["email"], 1.0);
  EXPECT_EQ(live["decisions_by_reason"]["suppressed:stale"], 1.0);
  EXPECT_EQ(live["decisions_by_reason"]["held_out:holdout"], 1.0);
  EXPECT_EQ(live["rules_loaded"], 2.0);

  // Through the API: the same JSON; without a registry 503.
  RulesBackend backend;
  TaskQueue tasks;
  ConsoleOptions console;
  console.registry = metrics.registry().get();
  AdminApi api(&backend, &tasks, nullptr, nullptr, 60000, {}, console);
  AdminResponse routed = Call(api, tasks, {"GET", "/rules/stats"});
  EXPECT_EQ(routed.status, 200);
  EXPECT_EQ(nlohmann::json::parse(routed.body), stats);
  EXPECT_EQ(nlohmann::json::parse(Call(api, tasks, {"GET", "/stats"}).body), live);
  EXPECT_EQ(Call(api, tasks, {"POST", "/stats"}).status, 405);
  AdminApi bare(&backend, &tasks, nullptr);
  EXPECT_EQ(Call(bare, tasks, {"GET", "/rules/stats"}).status, 503);
  EXPECT_EQ(Call(bare, tasks, {"GET", "/impact"}).status, 503);
}

// GET /impact answers the report the engine writes, on the processing thread; its error is
// the route's.
TEST(ConsoleTest, ImpactRouteServesTheReport) {
  RulesBackend backend;
  TaskQueue tasks;
  ConsoleOptions console;
  bool fail = false;
  console.impact_report = [&fail](std::ostream& out) {
    if (fail) return Status::IOError("disk gone");
    out << "{\"rules\":[]}\n";
    return Status::Ok();
  };
  AdminApi api(&backend, &tasks, nullptr, nullptr, 60000, {}, console);
  AdminResponse pending;
  api.Handle({"GET", "/impact"}, [&](AdminResponse r) { pending = std::move(r); });
  EXPECT_EQ(pending.status, 200);
  EXPECT_TRUE(pending.body.empty());  // not answered before the processing thread ran it
  EXPECT_EQ(tasks.RunPending(), 1u);
  EXPECT_EQ(pending.body, "{\"rules\":[]}\n");
  fail = true;
  AdminResponse failed = Call(api, tasks, {"GET", "/impact"});
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body, "{\"error\":\"disk gone\"}\n");
}

class ConsoleSaveTest : public ::testing::Test {
 protected:
  // POST /rules/save?file=<file> with `text` through the API.
  AdminResponse Save(const std::string& file, std::string_view text) {
    AdminApi api(&backend_, &tasks_, reload_, nullptr, 60000, {}, console_);
    return Call(api, tasks_, {"POST", "/rules/save?file=" + file, "", std::string(text)});
  }

  test::TempDir dir_{"console-save"};
  RulesBackend backend_;
  TaskQueue tasks_;
  ConsoleOptions console_;
  int reloads_ = 0;
  // Reloads the folder as the engine does: all or nothing.
  AdminApi::ReloadRules reload_ = [this](std::ostream& diagnostics) -> Result<size_t> {
    ++reloads_;
    rules::LoadResult loaded = rules::LoadRules({dir_.path().string()}, {});
    for (const auto& d : loaded.errors) diagnostics << d.ToString() << "\n";
    if (!loaded.ok()) return Status::InvalidArgument("the rules have errors");
    return loaded.rule_set->size();
  };
};

// With admin.console_writes false (the default) a save is refused with 403 and writes nothing.
TEST_F(ConsoleSaveTest, RefusedUnlessConsoleWritesIsOn) {
  console_.rules_folder = dir_.path().string();
  AdminResponse refused = Save("cart.yaml", kRule);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body,
            "{\"error\":\"saving rules from the console is off: set admin.console_writes: true "
            "in the engine config to allow it (docs/console.md)\",\"saved\":false}\n");
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "cart.yaml"));
  EXPECT_EQ(reloads_, 0);
}

// A good file is written into the rules folder and the rules reloaded.
TEST_F(ConsoleSaveTest, WritesAndReloads) {
  console_.writes = true;
  console_.rules_folder = dir_.path().string();
  AdminResponse saved = Save("cart.yaml", kRule);
  ASSERT_EQ(saved.status, 200) << saved.body;
  nlohmann::json body = nlohmann::json::parse(saved.body);
  EXPECT_EQ(body["saved"], true);
  EXPECT_EQ(body["rules"], 1);
  EXPECT_EQ(body["file"], (dir_.path() / "cart.yaml").string());
  EXPECT_EQ(ReadFile(dir_.path() / "cart.yaml"), kRule);
  EXPECT_EQ(reloads_, 1);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path()), {}), 1);
}

// A file with errors is refused with the errors of /rules/check, and nothing is written;
// a bad file name is refused; without a rules folder 409.
TEST_F(ConsoleSaveTest, RefusesBrokenTextBadNamesAndNoFolder) {
  console_.writes = true;
  AdminResponse no_folder = Save("cart.yaml", kRule);
  EXPECT_EQ(no_folder.status, 409);
  console_.rules_folder = dir_.path().string();
  AdminResponse broken = Save(
      "cart.yaml",
      "- id: cart\n  trigger: {event: cart_add}\n  condition: customer.nope > 1\n  actions: []\n");
  EXPECT_EQ(broken.status, 422);
  nlohmann::json body = nlohmann::json::parse(broken.body);
  ASSERT_FALSE(body["errors"].empty());
  EXPECT_EQ(body["errors"][0]["line"], 3);
  for (const std::string name : {"../cart.yaml", "cart.txt", ".hidden.yaml", "", "a%2Fb.yaml"}) {
    AdminResponse refused = Save(name, kRule);
    EXPECT_EQ(refused.status, 400) << name;
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path()), {}), 0);
  EXPECT_EQ(reloads_, 0);
}

// All or nothing: when the engine refuses the new set (here a rule id already in another
// file), the file's previous content is put back, or a new file removed, and the answer is 422.
TEST_F(ConsoleSaveTest, RefusedReloadPutsTheFolderBack) {
  console_.writes = true;
  console_.rules_folder = dir_.path().string();
  std::ofstream(dir_.path() / "a.yaml") << kRule;
  std::ofstream(dir_.path() / "b.yaml") << kOtherRule;
  AdminResponse duplicate = Save("c.yaml", kRule);
  EXPECT_EQ(duplicate.status, 422) << duplicate.body;
  nlohmann::json body = nlohmann::json::parse(duplicate.body);
  EXPECT_EQ(body["saved"], false);
  EXPECT_NE(body["diagnostics"].get<std::string>().find("cart"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "c.yaml"));

  AdminResponse replaced = Save("b.yaml", kRule);  // b.yaml would hold a second "cart"
  EXPECT_EQ(replaced.status, 422);
  EXPECT_EQ(ReadFile(dir_.path() / "b.yaml"), kOtherRule);
  EXPECT_EQ(reloads_, 2);
}

// Models that answer with the time they were read at, and NaN for P(alive).
class FakeModels final : public rules::CustomerModels {
 public:
  double Value(rules::ModelField field, const v1::CustomerState&, int64_t now_ms) const override {
    if (field == rules::ModelField::kProbabilityAlive) return std::nan("");
    return static_cast<double>(now_ms) + static_cast<int>(field);
  }
};

class FixedClock final : public Clock {
 public:
  int64_t NowMs() const override { return 9000; }
  int64_t MonotonicMs() const override { return 9000; }
};

// GET /customers/<id>?models=true adds the models' values at the engine's clock (null where a
// value is not defined, "models": null without models); without the query the state is as
// before.
TEST(ConsoleTest, CustomerWithModels) {
  RulesBackend backend;
  TaskQueue tasks;
  FixedClock clock;
  ConsoleOptions console;
  console.models = std::make_shared<FakeModels>();
  console.clock = &clock;
  AdminApi api(&backend, &tasks, nullptr, nullptr, 60000, {}, console);
  const nlohmann::json plain =
      nlohmann::json::parse(Call(api, tasks, {"GET", "/customers/c-1"}).body);
  EXPECT_FALSE(plain.contains("models"));
  nlohmann::json with =
      nlohmann::json::parse(Call(api, tasks, {"GET", "/customers/c-1?models=true"}).body);
  EXPECT_EQ(with["models"]["p_alive"], nullptr);
  EXPECT_EQ(with["models"]["expected_purchases"], 9001.0);
  EXPECT_EQ(with["models"]["expected_spend"], 9002.0);
  EXPECT_EQ(with["models"]["predicted_clv"], 9003.0);
  with.erase("models");
  EXPECT_EQ(with, plain);
  AdminApi bare(&backend, &tasks, nullptr);
  EXPECT_EQ(nlohmann::json::parse(
                Call(bare, tasks, {"GET", "/customers/c-1?models=true"}).body)["models"],
            nullptr);
}

// POST /rules/try: the candidate is the rules on disk with the named file replaced (or added)
// by the posted text, the "before" set the rules on disk; a duplicate id or an error is 422
// and nothing is replayed; without a history 409.
TEST_F(ConsoleSaveTest, TryOnHistoryDiffsTheCandidateAgainstTheRulesOnDisk) {
  console_.rules_folder = dir_.path().string();
  console_.rules_paths = {dir_.path().string()};
  std::ofstream(dir_.path() / "a.yaml") << kRule;
  std::ofstream(dir_.path() / "b.yaml") << kOtherRule;
  auto try_file = [&](const std::string& file, std::string_view text) {
    AdminApi api(&backend_, &tasks_, reload_, nullptr, 60000, {}, console_);
    return Call(api, tasks_, {"POST", "/rules/try?file=" + file, "", std::string(text)});
  };
  AdminResponse no_history = try_file("a.yaml", kOtherRule);
  EXPECT_EQ(no_history.status, 409);
  EXPECT_NE(no_history.body.find("admin.console_history"), std::string::npos);

  std::vector<std::string> before_ids, after_ids;
  console_.replay_diff = [&](std::shared_ptr<const rules::RuleSet> before,
                             std::shared_ptr<const rules::RuleSet> after) -> Result<std::string> {
    before_ids.clear();
    after_ids.clear();
    for (const rules::Rule& r : before->rules()) before_ids.push_back(r.id);
    for (const rules::Rule& r : after->rules()) after_ids.push_back(r.id);
    return std::string("{\"rules\":[]}");
  };
  std::string renamed(kRule);
  renamed.replace(renamed.find("id: cart"), 8, "id: cart-2");
  AdminResponse replaced = try_file("a.yaml", renamed);
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(replaced.body, "{\"rules\":[]}\n");
  EXPECT_EQ(before_ids, (std::vector<std::string>{"cart", "welcome"}));
  EXPECT_EQ(after_ids, (std::vector<std::string>{"welcome", "cart-2"}));

  before_ids.clear();
  AdminResponse duplicate = try_file("c.yaml", kRule);  // "cart" is in a.yaml already
  EXPECT_EQ(duplicate.status, 422);
  EXPECT_NE(duplicate.body.find("duplicate rule id 'cart'"), std::string::npos) << duplicate.body;
  EXPECT_TRUE(before_ids.empty());
  EXPECT_EQ(try_file("c.txt", kRule).status, 400);
  EXPECT_EQ(RequiredRole("POST", "/rules/try"), AdminRole::kRead);
  // Nothing was written.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path()), {}), 2);
  EXPECT_EQ(reloads_, 0);
}

// GET /explain/<id> hands the rules on disk, the customer and the rule to the history's
// explainer and answers its JSON; 409 without a history, 404 for a rule the explainer does not
// know.
TEST_F(ConsoleSaveTest, ExplainRunsOnTheHistoryWithTheRulesOnDisk) {
  console_.rules_paths = {dir_.path().string()};
  std::ofstream(dir_.path() / "a.yaml") << kRule;
  auto explain = [&](const std::string& target) {
    AdminApi api(&backend_, &tasks_, reload_, nullptr, 60000, {}, console_);
    return Call(api, tasks_, {"GET", target});
  };
  AdminResponse no_history = explain("/explain/c-1");
  EXPECT_EQ(no_history.status, 409);
  EXPECT_NE(no_history.body.find("admin.console_history"), std::string::npos);

  std::vector<std::string> asked;
  console_.explain = [&](std::shared_ptr<const rules::RuleSet> rules, const std::string& customer,
                         const std::string& rule) -> Result<std::string> {
    asked = {customer, rule, std::to_string(rules->size())};
    if (!rule.empty() && rules->Find(rule) == nullptr) {
      return Status::NotFound("no rule '" + rule + "'");
    }
    return std::string(R"({"customer_id":")") + customer + R"(","timeline":[]})";
  };
  AdminResponse every_rule = explain("/explain/c%201");
  ASSERT_EQ(every_rule.status, 200) << every_rule.body;
  EXPECT_EQ(every_rule.body, "{\"customer_id\":\"c 1\",\"timeline\":[]}\n");
  EXPECT_EQ(asked, (std::vector<std::string>{"c 1", "", "1"}));
  EXPECT_EQ(explain("/explain/c-1?rule=cart").status, 200);
  EXPECT_EQ(asked, (std::vector<std::string>{"c-1", "cart", "1"}));
  AdminResponse unknown = explain("/explain/c-1?rule=nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, "{\"error\":\"no rule 'nope'\"}\n");
  EXPECT_EQ(RequiredRole("GET", "/explain/c-1"), AdminRole::kRead);
}

// FirstRulesFolder skips files and missing paths.
TEST(ConsoleTest, FirstRulesFolderIsTheFirstFolder) {
  test::TempDir dir("console-folder");
  std::ofstream(dir.path() / "one.yaml") << kRule;
  std::filesystem::create_directory(dir.path() / "pack");
  EXPECT_EQ(FirstRulesFolder({dir.File("one.yaml"), dir.File("missing"), dir.File("pack")}),
            dir.File("pack"));
  EXPECT_EQ(FirstRulesFolder({dir.File("one.yaml")}), "");
}

}  // namespace
}  // namespace touchstream::engine
