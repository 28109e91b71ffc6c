// A real Prometheus against a live engine: the engine pipeline runs in-process on the
// development broker with its metrics on an ephemeral port; Debian's `prometheus` server scrapes
// it every second with the rules of deploy/prometheus/ (a test copy whose `for:` durations are
// 2 s). Events, some malformed, go in through Kafka; the test asks Prometheus' HTTP API for the
// engine's series and their values, and for the dead-letter alert.
// The dashboard test shares the engine: every PromQL expression of deploy/grafana/touchstream.json
// must parse (promtool check rules on a generated rule file) and name only metrics the live
// scrape has. Skipped, saying so, when prometheus or promtool is not installed.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/ops/metrics_server.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/ops/tools.h"
#include "tests/testing/builders.h"

namespace touchstream::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSourceDir = TOUCHSTREAM_SOURCE_DIR;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// Polls `done` every 200 ms until it holds or `timeout` passes; returns its last answer.
bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return true;
}

// The engine pipeline on the development broker, running on its own thread, with its metrics
// served on an ephemeral loopback port.
class LiveEngineTest : public PipelineFixture {
 protected:
  // Changes config_ before the engine starts.
  virtual void Configure() {}

  void SetUp() override {
    PipelineFixture::SetUp();
    if (HasFatalFailure()) return;
    Configure();
    if (HasFatalFailure()) return;
    auto server = engine::MetricsServer::Start("127.0.0.1:0", metrics_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    metrics_server_ = std::move(*server);
    auto store = engine::OpenStore(config_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto rules = engine::LoadRuleSet(config_, std::cerr);
    ASSERT_TRUE(rules.ok()) << rules.status().ToString();
    auto pipeline =
        engine::KafkaPipeline::Create(config_, bootstrap_, store_.get(), &metrics_, &clock_);
    ASSERT_TRUE(pipeline.ok()) << pipeline.status().ToString();
    pipeline_ = std::move(*pipeline);
    pipeline_->UpdateRules(*rules);
    runner_ = std::thread([this] { run_status_ = pipeline_->Run(stop_); });
  }

  void TearDown() override {
    stop_ = true;
    if (runner_.joinable()) runner_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_.ToString();
  }

  std::string MetricsUrl() const {
    return "http://127.0.0.1:" + std::to_string(metrics_server_->port()) + "/metrics";
  }

  // kPurchases first purchases (the welcome offer decides on each) and kMalformed messages that
  // are not JSON, through Kafka.
  static constexpr int kPurchases = 20;
  static constexpr int kMalformed = 5;
  void FeedEvents() {
    const int64_t now_ms = clock_.NowMs();
    std::vector<v1::TouchpointEvent> events;
    for (int i = 0; i < kPurchases; ++i) {
      events.push_back(test::EventBuilder("c-" + std::to_string(i), "purchase", now_ms)
                           .Double("amount", 10 + i)
                           .String("sku", "A1"));
    }
    ProduceEvents(events);
    std::vector<KeyedMessage> malformed;
    for (int i = 0; i < kMalformed; ++i) {
      malformed.push_back({"bad-" + std::to_string(i), "this is not json " + std::to_string(i)});
    }
    KcatProduce(bootstrap_, config_.kafka.input_topics.front(), malformed);
  }

  engine::SystemClock clock_;
  engine::EngineMetrics metrics_;
  std::unique_ptr<engine::MetricsServer> metrics_server_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<engine::KafkaPipeline> pipeline_;
  std::atomic<bool> stop_{false};
  Status run_status_;
  std::thread runner_;
};

// Debian's prometheus server on a free loopback port, scraping `target` every second as job
// "touchstream", evaluating `rules_yaml` every second. Stopped (SIGTERM) when destroyed.
class PrometheusServer {
 public:
  PrometheusServer(const std::string& binary, const fs::path& dir, const std::string& target,
                   const std::string& rules_yaml)
      : port_(FreeLoopbackPort()) {
    WriteFile(dir / "rules.yml", rules_yaml);
    WriteFile(dir / "prometheus.yml",
              "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
              "rule_files: [rules.yml]\n"
              "scrape_configs:\n"
              "  - job_name: touchstream\n"
              "    static_configs: [{targets: ['" +
                  target + "']}]\n");
    log_ = (dir / "prometheus.log").string();
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{binary, "--config.file=" + (dir / "prometheus.yml").string(),
                                 "--storage.tsdb.path=" + (dir / "data").string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--log.level=warn"},
        log_);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  bool running() { return process_->running(); }
  std::string log() const { return ReadFile(log_); }

  // The value of an instant query whose result is one sample; nullopt when the query fails or
  // its result is empty.
  std::optional<double> Query(const std::string& expr) const {
    auto body = HttpGet(Url("/api/v1/query"), expr);
    if (!body) return std::nullopt;
    const json answer = json::parse(*body, nullptr, false);
    if (answer.is_discarded() || answer.value("status", "") != "success") return std::nullopt;
    const json& result = answer["data"]["result"];
    if (!result.is_array() || result.empty()) return std::nullopt;
    return std::stod(result[0]["value"][1].get<std::string>());
  }

  // The state ("pending", "firing") of the alert named `name`, or "" when it is not active.
  std::string AlertState(const std::string& name) const {
    auto body = HttpGet(Url("/api/v1/alerts"));
    if (!body) return "";
    const json answer = json::parse(*body, nullptr, false);
    if (answer.is_discarded()) return "";
    for (const json& alert : answer["data"]["alerts"]) {
      if (alert["labels"].value("alertname", "") == name) return alert.value("state", "");
    }
    return "";
  }

 private:
  int port_;
  std::string log_;
  std::unique_ptr<ChildProcess> process_;
};

// The rules of deploy/prometheus/touchstream.rules.yml with every `for:` cut to 2 s, so that a
// test sees alerts fire in seconds.
std::string RulesWithShortFor() {
  const std::string rules = ReadFile(kSourceDir / "deploy/prometheus/touchstream.rules.yml");
  return std::regex_replace(rules, std::regex(R"(for: \d+m)"), "for: 2s");
}

// Skips (before the engine starts) when `program` is not on PATH; else sets *path.
bool SkipWithout(const std::string& program, std::string* path) {
  const auto found = FindProgram(program);
  if (found) *path = *found;
  return !found;
}

class PrometheusTest : public LiveEngineTest {
 protected:
  void SetUp() override {
    if (SkipWithout("prometheus", &prometheus_)) {
      GTEST_SKIP() << "prometheus not found on PATH: install Debian's prometheus package "
                      "(deploy/setup.sh does)";
    }
    LiveEngineTest::SetUp();
  }
  std::string prometheus_;
};

// Prometheus scrapes the engine, sees the series the events made with their exact values, and
// the dead-letter alert fires.
TEST_F(PrometheusTest, ScrapesTheEngineAndFiresTheDeadLetterAlert) {
  PrometheusServer prometheus(prometheus_, root_,
                              "127.0.0.1:" + std::to_string(metrics_server_->port()),
                              RulesWithShortFor());
  ASSERT_TRUE(WaitFor([&] { return prometheus.Query(R"(up{job="touchstream"})") == 1.0; },
                      std::chrono::seconds(30)))
      << "prometheus never scraped the engine; its log:\n"
      << prometheus.log();
  // The first scrapes saw the always-present rejected counter at 0: its increase counts.
  ASSERT_TRUE(WaitFor(
      [&] {
        return prometheus
            .Query(
                R"(count_over_time(touchstream_events_rejected_total{reason="undecodable"}[1m]) >= 2)")
            .has_value();
      },
      std::chrono::seconds(20)));

  FeedEvents();
  const auto value_is = [&](const std::string& expr, double expected) {
    return WaitFor([&] { return prometheus.Query(expr) == expected; }, std::chrono::seconds(20));
  };
  EXPECT_TRUE(
      value_is(R"(sum(touchstream_events_rejected_total{reason="undecodable"}))", kMalformed));
  EXPECT_TRUE(value_is(R"(sum(touchstream_events_consumed_total{type="purchase"}))", kPurchases));
  EXPECT_TRUE(value_is(R"(sum(touchstream_decisions_total{rule="welcome-offer"}))", kPurchases));
  EXPECT_TRUE(
      value_is(R"(sum(touchstream_rule_decisions_total{rule="welcome-offer"}))", kPurchases));
  EXPECT_TRUE(value_is("touchstream_assigned_partitions", 3));
  EXPECT_TRUE(value_is("touchstream_outbox_depth", 0));
  EXPECT_TRUE(value_is("touchstream_store_healthy", 1));
  EXPECT_TRUE(value_is("touchstream_broker_up", 1));
  EXPECT_TRUE(value_is("sum(touchstream_consumer_lag)", 0));
  // Every partition caught up: its event-time lag is 0 (updated every 5 s).
  EXPECT_TRUE(value_is("count(touchstream_event_time_lag_seconds == 0)", 3));
  EXPECT_TRUE(value_is("touchstream_store_block_cache_capacity_bytes", 64 << 20));
  EXPECT_TRUE(value_is(R"(touchstream_store_estimated_keys{column_family="customers"} >= bool )" +
                           std::to_string(kPurchases),
                       1));
  EXPECT_TRUE(value_is("touchstream_store_write_stopped", 0));
  EXPECT_TRUE(value_is("process_resident_memory_bytes > bool 1e6", 1));
  EXPECT_TRUE(value_is("process_open_fds > bool 0", 1));
  EXPECT_TRUE(value_is("sum(touchstream_actions_produced_total) > bool 0", 1));
  // The recording rules evaluate over the real series.
  EXPECT_TRUE(value_is("instance:touchstream_dead_letter:ratio_rate5m > bool 0.01", 1));

  std::string state;
  EXPECT_TRUE(WaitFor(
      [&] { return (state = prometheus.AlertState("TouchstreamDeadLetterRate")) == "firing"; },
      std::chrono::seconds(30)))
      << "TouchstreamDeadLetterRate is '" << state << "'";
  EXPECT_TRUE(prometheus.running()) << prometheus.log();
}

// Every PromQL expression of the dashboard's panels, with Grafana's variables replaced by what
// they stand for ($__rate_interval by 1m, $instance by "all").
std::vector<std::string> DashboardExpressions(const json& dashboard) {
  std::vector<std::string> exprs;
  std::function<void(const json&)> visit = [&](const json& panels) {
    for (const json& panel : panels) {
      if (panel.contains("panels")) visit(panel["panels"]);
      for (const json& target : panel.value("targets", json::array())) {
        std::string expr = target.value("expr", "");
        expr = std::regex_replace(expr, std::regex(R"(\$__rate_interval)"), "1m");
        expr = std::regex_replace(expr, std::regex(R"(\$\{?instance\}?)"), ".*");
        exprs.push_back(expr);
      }
    }
  };
  visit(dashboard["panels"]);
  return exprs;
}

// The metric names an expression selects: identifiers left once strings, label matchers,
// ranges and grouping clauses are removed, that are neither functions, keywords nor numbers.
std::set<std::string> MetricNames(std::string expr) {
  for (const char* pattern : {R"("(\\.|[^"\\])*")", R"(\{[^}]*\})", R"(\[[^\]]*\])",
                              R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"}) {
    expr = std::regex_replace(expr, std::regex(pattern), " ");
  }
  static const std::set<std::string> kKeywords = {"and", "or",      "unless", "bool", "offset",
                                                  "by",  "without", "inf",    "nan"};
  std::set<std::string> names;
  const std::regex identifier(R"([A-Za-z_:][A-Za-z0-9_:]*)");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), identifier);
       it != std::sregex_iterator(); ++it) {
    const size_t start = it->position(), end = start + it->length();
    if (start > 0 && (std::isdigit(expr[start - 1]) || expr[start - 1] == '.')) continue;  // 1e6
    const size_t next = expr.find_first_not_of(' ', end);
    if (next != std::string::npos && expr[next] == '(') continue;  // a function
    if (kKeywords.count(it->str()) == 0) names.insert(it->str());
  }
  return names;
}

// The metric names of a Prometheus text exposition (samples, and families from # TYPE lines).
std::set<std::string> ScrapedNames(const std::string& exposition) {
  std::set<std::string> names;
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream fields(line.substr(7));
      std::string name, type;
      fields >> name >> type;
      names.insert(name);
      if (type == "histogram") {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(name + suffix);
      }
    } else if (!line.empty() && line[0] != '#') {
      names.insert(line.substr(0, line.find_first_of("{ ")));
    }
  }
  return names;
}

// The names the rules file records.
std::set<std::string> RecordedNames() {
  std::set<std::string> names;
  const std::string rules = ReadFile(kSourceDir / "deploy/prometheus/touchstream.rules.yml");
  const std::regex record(R"(- record: (\S+))");
  for (auto it = std::sregex_iterator(rules.begin(), rules.end(), record);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

TEST(DashboardExpressionTest, MetricNames) {
  EXPECT_EQ(
      MetricNames(R"x(histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="b(c)"}[1m]))))x"),
      (std::set<std::string>{"a_bucket"}));
  EXPECT_EQ(MetricNames("rate(process_cpu_seconds_total[1m]) > bool 1e6 and on (i) up"),
            (std::set<std::string>{"process_cpu_seconds_total", "up"}));
  EXPECT_EQ(MetricNames("instance:x:rate5m / sum without (a) (y)"),
            (std::set<std::string>{"instance:x:rate5m", "y"}));
}

// The live engine with one more rule, which fails at run time on every purchase (ordering a
// missing property is an evaluation error), so that the rule-error series exist.
class DashboardTest : public LiveEngineTest {
 protected:
  void SetUp() override {
    if (SkipWithout("promtool", &promtool_)) {
      GTEST_SKIP() << "promtool not found on PATH: install Debian's prometheus package "
                      "(deploy/setup.sh does)";
    }
    LiveEngineTest::SetUp();
  }
  void Configure() override {
    const fs::path dir = root_ / "broken-rules";
    fs::create_directories(dir);
    WriteFile(dir / "broken.yaml",
              "- id: broken\n"
              "  description: fails at run time\n"
              "  trigger: {event: purchase}\n"
              "  condition: event.properties.no_such_number > 1\n"
              "  actions:\n"
              "    - emit: {kind: alert, channel: email, template: never}\n");
    config_.rules_paths.push_back(dir.string());
  }
  std::string promtool_;
};

// deploy/grafana/touchstream.json is an importable dashboard: every panel uses the
// ${datasource} variable, every expression parses (promtool) and names only metrics a live
// engine exposes (or the rules record, or `up`).
TEST_F(DashboardTest, QueriesParseAndNameLiveMetrics) {
  const json dashboard =
      json::parse(ReadFile(kSourceDir / "deploy/grafana/touchstream.json"), nullptr, false);
  ASSERT_FALSE(dashboard.is_discarded()) << "deploy/grafana/touchstream.json is not JSON";
  EXPECT_TRUE(dashboard["schemaVersion"].is_number());
  bool has_datasource_variable = false;
  for (const json& variable : dashboard["templating"]["list"]) {
    if (variable["name"] == "datasource" && variable["type"] == "datasource") {
      has_datasource_variable = variable["query"] == "prometheus";
    }
  }
  EXPECT_TRUE(has_datasource_variable) << "no ${datasource} variable of type prometheus";
  std::set<std::string> titles;
  for (const json& panel : dashboard["panels"]) {
    titles.insert(panel.value("title", ""));
    if (panel["type"] == "row") continue;
    EXPECT_EQ(panel["datasource"]["uid"], "${datasource}") << panel["title"];
    for (const json& target : panel["targets"]) {
      EXPECT_EQ(target["datasource"]["uid"], "${datasource}") << panel["title"];
    }
  }
  for (const char* title :
       {"Events processed by type", "Consumer lag (messages)", "Event-time lag (seconds)",
        "Processing latency", "Commit latency", "Actions by channel",
        "Decisions by outcome and reason", "Rule fires by rule", "Rule errors by rule", "Timers",
        "Outbox", "Size on disk", "Memory", "Impact by rule and arm"}) {
    EXPECT_EQ(titles.count(title), 1u) << "no panel '" << title << "'";
  }

  const std::vector<std::string> exprs = DashboardExpressions(dashboard);
  ASSERT_GE(exprs.size(), 20u);
  // Each expression as a recording rule: promtool parses them all.
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  for (size_t i = 0; i < exprs.size(); ++i) {
    rules += "      - record: dashboard:expr_" + std::to_string(i) +
             "\n        expr: " + json(exprs[i]).dump() + "\n";
  }
  WriteFile(root_ / "dashboard.rules.yml", rules);
  CommandResult check =
      RunCommand(promtool_ + " check rules '" + (root_ / "dashboard.rules.yml").string() + "'");
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << rules;

  FeedEvents();
  ASSERT_TRUE(WaitFor([&] { return pipeline_->records_processed() >= kPurchases + kMalformed; },
                      std::chrono::seconds(30)));
  // The lag and store gauges are updated every 5 s.
  std::set<std::string> scraped;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto body = HttpGet(MetricsUrl());
        if (body) scraped = ScrapedNames(*body);
        return scraped.count("touchstream_store_live_sst_bytes") == 1 &&
               scraped.count("touchstream_event_time_lag_seconds") == 1;
      },
      std::chrono::seconds(20)));
  const std::set<std::string> recorded = RecordedNames();
  for (const std::string& expr : exprs) {
    for (const std::string& name : MetricNames(expr)) {
      const bool known = name == "up" || recorded.count(name) == 1 || scraped.count(name) == 1;
      EXPECT_TRUE(known) << "'" << name << "' (in " << expr << ") is not in a live scrape";
    }
  }
}

}  // namespace
}  // namespace touchstream::testing
