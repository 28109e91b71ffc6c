// The web console in a real browser (issue 17): headless Chromium driven over the DevTools
// protocol against `touchstream run` on its embedded development broker, fed a few demo events.
// The rules page lists the demo rules with the counts /metrics shows and draws one bar per rule
// and arm of the impact report; a broken rule in the editor shows the error text, line and
// column of `touchstream rules check`; saving is refused while admin.console_writes is false;
// a customer lookup shows the values of GET /customers/<id>; the live page fills from /stats.
// A PNG of each page goes to <build dir>/console-screenshots/.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "base/time_format.h"
#include "devtools_client.h"
#include "external_clients.h"
#include "tests/fault/process_harness.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::testing {
namespace {

using std::chrono::seconds;

const std::string kBinary = TOUCHSTREAM_BINARY;
const std::string kSource = TOUCHSTREAM_SOURCE_DIR;
const std::filesystem::path kScreenshots =
    std::filesystem::path(TOUCHSTREAM_BUILD_DIR) / "console-screenshots";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The "fields" of the first JSON log line whose msg starts with `prefix`, waiting up to
// `timeout` for it; null when it never came.
nlohmann::json WaitForLogLine(const std::string& log, const std::string& prefix,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream in(ReadFile(log));
    for (std::string line; std::getline(in, line);) {
      auto object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (object.is_object() && object.value("msg", "").rfind(prefix, 0) == 0) {
        return object["fields"];
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return nullptr;
}

std::string Curl(const std::string& url) {
  return RunShell("curl -s -m 10 '" + url + "'");
}

// touchstream_rules_fired_total by rule, from a /metrics text.
std::map<std::string, double> FiredFromMetrics(const std::string& metrics) {
  std::map<std::string, double> fired;
  static const std::regex line(R"re(^touchstream_rules_fired_total\{rule="([^"]+)"\} (\S+)$)re");
  std::istringstream in(metrics);
  for (std::string text; std::getline(in, text);) {
    std::smatch m;
    if (std::regex_match(text, m, line)) fired[m[1]] = std::stod(m[2]);
  }
  return fired;
}

constexpr std::string_view kBrokenRule = R"(- id: broken
  trigger:
    event: purchase
  condition: customer.aggregates.total_spnd > 100
  actions:
    - emit: {kind: offer, channel: [email]}
)";

TEST(ConsoleBrowserTest, PagesShowTheEnginesNumbers) {
  if (!std::filesystem::exists(kChromiumPath)) {
    GTEST_SKIP() << kChromiumPath << " is not installed (deploy/setup.sh installs chromium)";
  }
  test::TempDir dir("touchstream-console");
  std::filesystem::copy(kSource + "/deploy/rules/demo", dir.path() / "rules");
  std::ofstream(dir.File("engine.yaml"))
      << "kafka: {bootstrap_servers: embedded, group_id: console, embedded_partitions: 1,\n"
      << "        consumer: {session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\"}}\n"
      << "rules: [rules]\n"
      << "state: {dir: state}\n"
      << "metrics: {address: 127.0.0.1:0}\n"
      << "admin: {address: 127.0.0.1:0, stall_timeout: 60s, console_history: history.jsonl}\n"
      << "logging: {format: json, level: info}\n"
      << "clv:\n"
      << "  bg_nbd: {r: 0.242595, alpha: 4.4136, a: 0.792922, b: 2.42591}\n"
      << "  gamma_gamma: {p: 6.24957, q: 3.74422, gamma: 15.4435}\n";
  // The history "Try on history" replays: two customers' first purchases.
  std::ofstream(dir.File("history.jsonl"))
      << R"({"event_id":"h1","customer_id":"h-1","type":"purchase","ts":"2026-01-05T10:00:00Z","properties":{"amount":20.0,"sku":"A1"}})"
      << "\n"
      << R"({"event_id":"h2","customer_id":"h-2","type":"purchase","ts":"2026-01-05T11:00:00Z","properties":{"amount":30.0,"sku":"A1"}})"
      << "\n";
  const std::string log = dir.File("run.log");
  EngineProcess engine({"run", "--config", dir.File("engine.yaml")}, dir.File("run.out"), log);
  ASSERT_GT(engine.pid(), 0);

  // Chromium starts while the engine joins its group.
  auto browser = Chromium::Start(std::chrono::seconds(30));
  ASSERT_TRUE(browser.ok()) << browser.status().ToString();
  Chromium& page = **browser;

  const nlohmann::json admin = WaitForLogLine(log, "admin API on port", seconds(30));
  const nlohmann::json metrics_port = WaitForLogLine(log, "metrics on port", seconds(30));
  const nlohmann::json broker = WaitForLogLine(log, "embedded development broker at", seconds(30));
  ASSERT_FALSE(admin.is_null() || metrics_port.is_null() || broker.is_null()) << ReadFile(log);
  const std::string url = "http://127.0.0.1:" + std::to_string(admin["port"].get<int>());
  const std::string metrics_url =
      "http://127.0.0.1:" + std::to_string(metrics_port["port"].get<int>()) + "/metrics";

  // Demo events: a first purchase for each customer (the welcome offer, a VIP offer for the
  // big spenders), then, once decided, a second purchase for every other customer (a
  // conversion: live decisions are made at the wall clock, so the conversion comes after).
  const std::string bootstrap = broker["bootstrap"].get<std::string>();
  auto event = [](const std::string& customer, int n, const std::string& properties) {
    const std::string when =
        FormatRfc3339Ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
    return KeyedMessage{customer, R"({"event_id":")" + customer + "-" + std::to_string(n) +
                                      R"(","customer_id":")" + customer +
                                      R"(","type":"purchase","ts":")" + when +
                                      R"(","properties":)" + properties + "}"};
  };
  // GET /stats and GET /impact until `done` holds for them (or 30 s passed).
  std::string stats, impact;
  auto wait_until =
      [&](const std::function<bool(const nlohmann::json&, const nlohmann::json&)>& done) {
        const auto deadline = std::chrono::steady_clock::now() + seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
          stats = Curl(url + "/stats");
          impact = Curl(url + "/impact");
          auto s = nlohmann::json::parse(stats, nullptr, false);
          auto i = nlohmann::json::parse(impact, nullptr, false);
          if (s.is_object() && i.is_object() && done(s, i)) return true;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return false;
      };
  std::vector<KeyedMessage> first, second;  // second: stamped once the first is decided
  for (int c = 1; c <= 12; ++c) {
    const std::string id = "c-" + std::to_string(c);
    first.push_back(event(id, 1, R"({"amount":)" + std::to_string(100 * c) + R"(.5,"sku":"A1"})"));
  }
  KcatProduce(bootstrap, "touchstream.events", first);
  ASSERT_TRUE(wait_until([&](const nlohmann::json& s, const nlohmann::json& i) {
    return s.value("events_consumed", 0.0) >= first.size() && !i["rules"].empty();
  })) << stats
      << "\n"
      << impact << "\n"
      << ReadFile(log);
  for (int c = 2; c <= 12; c += 2) {
    second.push_back(event("c-" + std::to_string(c), 2, R"({"amount":40.0,"sku":"B2"})"));
  }
  KcatProduce(bootstrap, "touchstream.events", second);
  const size_t total_events = first.size() + second.size();
  ASSERT_TRUE(wait_until([&](const nlohmann::json& s, const nlohmann::json& i) {
    int64_t converted = 0;
    for (const auto& rule : i["rules"]) {
      for (const auto& [arm, counts] : rule["arms"].items())
        converted += counts.value("converted", 0);
    }
    return s.value("events_consumed", 0.0) >= total_events && converted > 0;
  })) << stats
      << "\n"
      << impact << "\n"
      << ReadFile(log);
  const nlohmann::json impact_json = nlohmann::json::parse(impact, nullptr, false);
  ASSERT_TRUE(impact_json.is_object() && !impact_json["rules"].empty()) << stats << "\n"
                                                                        << impact << "\n"
                                                                        << ReadFile(log);

  // Rules: the demo rules, with the fired counts of /metrics, and one bar per rule and arm.
  ASSERT_TRUE(page.Navigate(url + "/console/rules.html").ok());
  ASSERT_TRUE(page.WaitFor("document.body.dataset.loaded === 'true'", seconds(20)).ok());
  const std::map<std::string, double> fired = FiredFromMetrics(Curl(metrics_url));
  auto rows = page.Evaluate(
      "[...document.querySelectorAll('#rules tbody tr')].map(r => "
      "[r.dataset.rule, r.querySelector('.fired').textContent])");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::map<std::string, std::string> shown;
  for (const auto& row : *rows) shown[row[0]] = row[1];
  for (const std::string rule : {"welcome-offer", "vip-offer"}) {
    ASSERT_TRUE(shown.count(rule)) << rows->dump();
    const double metric = fired.count(rule) ? fired.at(rule) : 0;
    EXPECT_EQ(shown[rule], std::to_string(static_cast<int64_t>(metric))) << rule;
  }
  EXPECT_GT(fired.count("welcome-offer") ? fired.at("welcome-offer") : 0, 0);
  auto bars = page.Evaluate(
      "[...document.querySelectorAll('#rate-chart rect.bar')].map(b => b.dataset.rule + '/' + "
      "b.dataset.arm)");
  ASSERT_TRUE(bars.ok()) << bars.status().ToString();
  nlohmann::json expected_bars = nlohmann::json::array();
  for (const auto& rule : impact_json["rules"]) {
    for (const char* arm : {"treatment", "holdout"}) {
      expected_bars.push_back(rule["rule"].get<std::string>() + "/" + arm);
    }
  }
  EXPECT_EQ(*bars, expected_bars);
  EXPECT_TRUE(page.Screenshot(kScreenshots / "rules.png").ok());

  // Editor: a broken rule shows the text, line and column `rules check` prints; save is
  // refused while admin.console_writes is false.
  ASSERT_TRUE(page.Navigate(url + "/console/editor.html").ok());
  ASSERT_TRUE(page.WaitFor("document.readyState === 'complete'", seconds(20)).ok());
  ASSERT_TRUE(page.Evaluate("document.getElementById('rule-text').value = " +
                            nlohmann::json(std::string(kBrokenRule)).dump() +
                            "; document.getElementById('check').click(); true")
                  .ok());
  ASSERT_TRUE(page.WaitFor("document.body.dataset.checked === '422'", seconds(20)).ok());
  auto error = page.Evaluate(
      "(() => { const li = document.querySelector('#errors li'); return [li.dataset.line, "
      "li.dataset.column, li.querySelector('pre').textContent]; })()");
  ASSERT_TRUE(error.ok()) << error.status().ToString();
  std::ofstream(dir.File("console.yaml")) << kBrokenRule;
  const std::string checked = RunShell("cd '" + dir.path().string() + "' && '" + kBinary +
                                       "' rules check console.yaml 2>&1; true");
  EXPECT_NE(checked.find((*error)[2].get<std::string>()), std::string::npos) << checked << "\nvs\n"
                                                                             << error->dump();
  EXPECT_NE(checked.find("console.yaml:" + (*error)[0].get<std::string>() + ":" +
                         (*error)[1].get<std::string>() + ": error:"),
            std::string::npos)
      << checked;
  EXPECT_EQ((*error)[0], "4");
  EXPECT_TRUE(page.Screenshot(kScreenshots / "editor.png").ok());
  ASSERT_TRUE(page.Evaluate("document.getElementById('save').click(); true").ok());
  ASSERT_TRUE(page.WaitFor("document.body.dataset.saved === '403'", seconds(20)).ok());
  auto refusal = page.Evaluate("document.getElementById('status').textContent");
  ASSERT_TRUE(refusal.ok());
  EXPECT_NE(refusal->get<std::string>().find("admin.console_writes: true"), std::string::npos)
      << refusal->dump();
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() / "rules"), {}), 3);

  // Try on history: welcome.yaml with a welcome offer nobody qualifies for; the diff shows
  // the rule's customers who no longer get it.
  std::string never = ReadFile(dir.path() / "rules" / "welcome.yaml");
  never.replace(never.find("purchase_count == 1"), 19, "purchase_count == 9");
  ASSERT_TRUE(
      page.Evaluate("document.getElementById('rule-text').value = " + nlohmann::json(never).dump() +
                    "; document.getElementById('file-name').value = 'welcome.yaml';"
                    " document.getElementById('try').click(); true")
          .ok());
  ASSERT_TRUE(page.WaitFor("document.body.dataset.tried === '200'", seconds(20)).ok());
  auto diff_row = page.Evaluate(
      "[...document.querySelectorAll('#diff-table tbody tr')].map(r => [r.dataset.rule, "
      "r.children[2].textContent, r.children[4].textContent])");
  ASSERT_TRUE(diff_row.ok()) << diff_row.status().ToString();
  EXPECT_EQ(*diff_row, nlohmann::json::parse(R"([["welcome-offer", "2 → 0", "2"]])"));
  EXPECT_TRUE(page.Screenshot(kScreenshots / "editor-try.png").ok());

  // Customer: the values of GET /customers/<id>.
  const nlohmann::json customer = nlohmann::json::parse(Curl(url + "/customers/c-3"));
  ASSERT_TRUE(page.Navigate(url + "/console/customer.html?id=c-3").ok());
  ASSERT_TRUE(page.WaitFor("document.body.dataset.looked === '200'", seconds(20)).ok());
  auto fields = page.Evaluate(
      "Object.fromEntries([...document.querySelectorAll('[data-field]')].map(d => "
      "[d.dataset.field, d.textContent]))");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  auto text_of = [](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  EXPECT_EQ((*fields)["customer_id"], "c-3");
  EXPECT_EQ((*fields)["aggregates.purchase_count"],
            text_of(customer["aggregates"]["purchase_count"]));
  EXPECT_EQ((*fields)["aggregates.total_spend"], text_of(customer["aggregates"]["total_spend"]));
  EXPECT_EQ((*fields)["aggregates.max_purchase"], text_of(customer["aggregates"]["max_purchase"]));
  EXPECT_EQ((*fields)["lifecycle.stage"], text_of(customer["lifecycle"]["stage"]));
  // The models' values, shown as a percentage / two decimals with the API's value in the title.
  auto models = page.Evaluate(
      "[...document.querySelectorAll('[data-field^=\"models.\"] span')].map(s => s.title)");
  ASSERT_TRUE(models.ok()) << models.status().ToString();
  ASSERT_EQ(models->size(), 4u) << models->dump();
  const nlohmann::json with_models =
      nlohmann::json::parse(Curl(url + "/customers/c-3?models=true"));
  ASSERT_TRUE(with_models["models"].is_object()) << with_models.dump();
  EXPECT_GT(with_models["models"]["p_alive"].get<double>(), 0);
  EXPECT_NEAR(std::stod((*models)[1].get<std::string>()),
              with_models["models"]["p_alive"].get<double>(), 1e-6);
  auto decisions = page.Evaluate("document.querySelectorAll('#decisions tbody tr').length");
  ASSERT_TRUE(decisions.ok());
  EXPECT_EQ(*decisions, customer["delivery"]["decisions"].size());
  EXPECT_TRUE(page.Screenshot(kScreenshots / "customer.png").ok());
  // Explain: the timeline of GET /explain/<id>, from the history file.
  const nlohmann::json explained = nlohmann::json::parse(Curl(url + "/explain/h-1"));
  ASSERT_FALSE(explained["timeline"].empty()) << explained.dump();
  ASSERT_TRUE(page.Evaluate("document.getElementById('customer-id').value = 'h-1'; "
                            "document.querySelector('#explain-form button').click(); true")
                  .ok());
  ASSERT_TRUE(page.WaitFor("document.body.dataset.explained === '200'", seconds(20)).ok());
  auto steps = page.Evaluate(
      "[...document.querySelectorAll('#explain-timeline li')].map(li => li.textContent)");
  ASSERT_TRUE(steps.ok()) << steps.status().ToString();
  ASSERT_EQ(steps->size(), explained["timeline"].size()) << steps->dump();
  for (size_t i = 0; i < steps->size(); ++i) {
    EXPECT_EQ((*steps)[i], explained["timeline"][i]["words"]) << i;
  }
  auto verdict = page.Evaluate("document.getElementById('explain-verdict').textContent");
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(*verdict, explained["verdict"]);
  EXPECT_TRUE(page.Screenshot(kScreenshots / "customer-explain.png").ok());

  // Live: filled from /stats.
  ASSERT_TRUE(page.Navigate(url + "/console/live.html").ok());
  ASSERT_TRUE(page.WaitFor("Number(document.body.dataset.refreshed || 0) >= 1", seconds(20)).ok());
  auto consumed = page.Evaluate("document.getElementById('consumed').textContent");
  ASSERT_TRUE(consumed.ok());
  EXPECT_EQ(*consumed, std::to_string(total_events));
  EXPECT_TRUE(page.Screenshot(kScreenshots / "live.png").ok());

  engine.Terminate(seconds(30));
}

// `touchstream demo` serves the console once it has printed its results, with the engine still
// running: the pages, the live counters, and the impact of the event-time replay it printed.
TEST(ConsoleDemoTest, TheDemoServesTheConsoleAfterItsResults) {
  test::TempDir dir("touchstream-demo-console");
  std::string config = ReadFile(kSource + "/deploy/config/demo.yaml");
  const auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = config.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    config.replace(at, from.size(), to);
  };
  replace("rules: [../rules/demo, ../rules/journeys]",
          "rules: [" + kSource + "/deploy/rules/demo, " + kSource + "/deploy/rules/journeys]");
  replace("  address: 0.0.0.0:9464", "  address: \"\"");
  replace("  address: 127.0.0.1:9465", "  address: 127.0.0.1:0");
  std::ofstream(dir.File("engine.yaml")) << config;
  const std::string out = dir.File("demo.out");
  EngineProcess demo({"demo", "--config", dir.File("engine.yaml"), "--customers", "80", "--days",
                      "20", "--serve-seconds", "0"},
                     out, dir.File("demo.err"));
  ASSERT_GT(demo.pid(), 0);
  const auto deadline = std::chrono::steady_clock::now() + seconds(120);
  while (ReadFile(out).find("stay up") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string printed = ReadFile(out);
  std::smatch port;
  ASSERT_TRUE(std::regex_search(printed, port,
                                std::regex(R"(Web console: http://127\.0\.0\.1:(\d+)/console/)")))
      << printed << ReadFile(dir.File("demo.err"));
  ASSERT_NE(printed.find("stay up"), std::string::npos)
      << printed << ReadFile(dir.File("demo.err"));
  const std::string url = "http://127.0.0.1:" + port[1].str();

  EXPECT_NE(Curl(url + "/console/rules.html").find("<html"), std::string::npos);
  // The engine still runs: its counters answer, with every message of the demo consumed (the
  // three malformed ones rejected).
  const auto stats = nlohmann::json::parse(Curl(url + "/stats"), nullptr, false);
  ASSERT_TRUE(stats.is_object());
  std::smatch processed;
  ASSERT_TRUE(std::regex_search(printed, processed, std::regex(R"((\d+) messages processed)")));
  EXPECT_EQ(stats.value("events_consumed", 0.0) + stats.value("events_rejected", 0.0),
            std::stod(processed[1].str()))
      << stats.dump();
  // The impact chart's numbers are the table the demo printed, rule by rule and arm by arm.
  const auto impact = nlohmann::json::parse(Curl(url + "/impact"), nullptr, false);
  ASSERT_TRUE(impact.is_object() && !impact["rules"].empty()) << impact.dump();
  for (const auto& rule : impact["rules"]) {
    for (const auto& [arm, counts] : rule["arms"].items()) {
      char line[128];
      std::snprintf(line, sizeof(line), "%-24s %-9s %10lld %10lld %10lld",
                    rule.value("rule", "").c_str(), arm.c_str(),
                    static_cast<long long>(counts.value("decisions", 0)),
                    static_cast<long long>(counts.value("sent", 0)),
                    static_cast<long long>(counts.value("converted", 0)));
      EXPECT_NE(printed.find(line), std::string::npos) << line << "\n" << printed;
    }
  }
  // Explain on the customer page replays the demo's journeys for one customer.
  const auto explained = nlohmann::json::parse(Curl(url + "/explain/c-1"), nullptr, false);
  ASSERT_TRUE(explained.is_object()) << explained.dump();
  EXPECT_EQ(explained.value("customer_id", ""), "c-1");
  EXPECT_FALSE(explained["timeline"].empty()) << explained.dump();
  EXPECT_FALSE(explained.value("verdict", "").empty()) << explained.dump();
  EXPECT_EQ(demo.Terminate(seconds(30)), 0) << ReadFile(dir.File("demo.err"));
}

}  // namespace
}  // namespace touchstream::testing
