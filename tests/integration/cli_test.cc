// The `touchstream` binary as a user runs it: rules check, replay, broker + run + SIGTERM,
// state get. Each test starts the processes it needs and stops them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/time_format.h"
#include "external_clients.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::testing {
namespace {

const std::string kBinary = TOUCHSTREAM_BINARY;
const std::string kSource = TOUCHSTREAM_SOURCE_DIR;

struct Output {
  int exit_code;
  std::string text;  // stdout and stderr
};

Output Touchstream(const std::string& args) {
  std::string text;
  FILE* pipe = popen((kBinary + " " + args + " 2>&1").c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// A child process with its stdout in a file; SIGTERM on destruction if still running.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::filesystem::path& out) {
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) Stop();
  }
  // SIGTERM, then the exit code.
  int Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits until `path` contains `needle` (at most 20 s).
std::string WaitFor(const std::filesystem::path& path, const std::string& needle) {
  for (int i = 0; i < 400; ++i) {
    std::string text = ReadFile(path);
    if (text.find(needle) != std::string::npos) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "timed out waiting for '" << needle << "' in " << path << ":\n"
                << ReadFile(path);
  return "";
}

class IntegrationCliTest : public ::testing::Test {
 protected:
  test::TempDir temp_dir_{"touchstream-cli"};
  const std::filesystem::path dir_ = temp_dir_.path();
};

// The demo rule pack is valid; a rule with a typo is refused with file:line:col and a caret.
TEST_F(IntegrationCliTest, RulesCheck) {
  auto ok = Touchstream("rules check --config " + kSource + "/deploy/config/demo.yaml " + kSource +
                        "/deploy/rules/demo");
  EXPECT_EQ(ok.exit_code, 0) << ok.text;
  EXPECT_NE(ok.text.find("4 rules OK"), std::string::npos) << ok.text;

  std::ofstream(dir_ / "bad.yaml")
      << "- id: typo\n  trigger: {event: purchase}\n"
         "  condition: customer.aggregates.total_spnd > 10.0\n"
         "  actions: [{emit: {kind: offer, channel: email, template: x}}]\n";
  auto bad = Touchstream("rules check " + (dir_ / "bad.yaml").string());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.text.find("bad.yaml:3:34: error: unknown field 'customer.aggregates.total_spnd'"),
            std::string::npos)
      << bad.text;
  EXPECT_NE(bad.text.find("did you mean 'total_spend'"), std::string::npos) << bad.text;
}

// --help lists every command, the state subcommands included.
TEST_F(IntegrationCliTest, HelpListsEveryCommand) {
  auto help = Touchstream("--help");
  EXPECT_EQ(help.exit_code, 0) << help.text;
  for (const char* command :
       {"run --config", "demo", "broker", "replay --config", "state get", "state export",
        "state erase", "rules check", "clv fit", "report impact", "deliver --config", "version"}) {
    EXPECT_NE(help.text.find(std::string("\n  ") + command), std::string::npos)
        << command << " in " << help.text;
  }
}

// deliver refuses a channel the config does not list, naming the configured ones, and the
// embedded broker (it needs the engine's).
TEST_F(IntegrationCliTest, DeliverNamesAnUnknownChannel) {
  std::ofstream(dir_ / "deliver.yaml")
      << "kafka: {bootstrap_servers: '127.0.0.1:1'}\n"
         "deliver:\n  channels:\n    email: {url: 'http://127.0.0.1:1/x'}\n";
  auto unknown =
      Touchstream("deliver --config " + (dir_ / "deliver.yaml").string() + " --channel fax");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.text;
  EXPECT_NE(unknown.text.find("no channel 'fax' (configured: email)"), std::string::npos)
      << unknown.text;
  auto embedded =
      Touchstream("deliver --config " + kSource + "/deploy/config/demo.yaml --channel email");
  EXPECT_EQ(embedded.exit_code, 1) << embedded.text;
  EXPECT_NE(embedded.text.find("'embedded'"), std::string::npos) << embedded.text;
}

// Replay over a file writes the expected actions and reports the bad line.
TEST_F(IntegrationCliTest, Replay) {
  std::ofstream(dir_ / "events.jsonl")
      << R"({"event_id":"e1","customer_id":"c-1","type":"purchase","ts":"2026-01-01T10:00:00Z","properties":{"amount":10.0,"sku":"A1"}})"
      << "\nnot json\n"
      << R"({"event_id":"e2","customer_id":"c-2","type":"nps_response","ts":"2026-01-01T11:00:00Z","properties":{"score":2}})"
      << "\n";
  auto out = Touchstream("replay --config " + kSource + "/deploy/config/demo.yaml --events " +
                         (dir_ / "events.jsonl").string() + " --actions-out " +
                         (dir_ / "actions.jsonl").string());
  EXPECT_EQ(out.exit_code, 0) << out.text;
  EXPECT_NE(out.text.find("events.jsonl:2: undecodable"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("replayed 2 events and 0 timers: 2 actions, 1 rejected lines"),
            std::string::npos)
      << out.text;
  const std::string actions = ReadFile(dir_ / "actions.jsonl");
  EXPECT_NE(actions.find(R"("rule_id":"welcome-offer")"), std::string::npos) << actions;
  EXPECT_NE(actions.find(R"("message":"Detractor: c-2 answered NPS 2")"), std::string::npos)
      << actions;
}

// `report impact` reads the impact counters `replay --state-dir` left in the store.
TEST_F(IntegrationCliTest, ReplayThenReportImpact) {
  std::filesystem::create_directories(dir_ / "rules");
  std::ofstream(dir_ / "rules" / "nudge.yaml")
      << "- id: nudge\n  trigger: {event: cart_add}\n"
      << "  actions: [{emit: {kind: nudge, channel: push, template: hi}}]\n"
      << "  conversion: {event: purchase, within: 1d, value: event.properties.amount}\n";
  std::ofstream(dir_ / "engine.yaml") << "rules: [rules]\nstate: {dir: state}\n";
  std::ofstream(dir_ / "events.jsonl")
      << R"({"event_id":"e1","customer_id":"c-1","type":"cart_add","ts":"2026-01-01T10:00:00Z"})"
      << "\n"
      << R"({"event_id":"e2","customer_id":"c-1","type":"purchase","ts":"2026-01-01T12:00:00Z","properties":{"amount":25}})"
      << "\n"
      << R"({"event_id":"e3","customer_id":"c-2","type":"cart_add","ts":"2026-01-01T13:00:00Z"})"
      << "\n";
  const std::string config = (dir_ / "engine.yaml").string();
  auto replay =
      Touchstream("replay --config " + config + " --events " + (dir_ / "events.jsonl").string() +
                  " --actions-out " + (dir_ / "actions.jsonl").string() + " --state-dir " +
                  (dir_ / "replayed").string());
  ASSERT_EQ(replay.exit_code, 0) << replay.text;
  auto report = Touchstream("report impact --config " + config + " --state-dir " +
                            (dir_ / "replayed").string());
  EXPECT_EQ(report.exit_code, 0) << report.text;
  EXPECT_EQ(report.text,
            "rule                     arm        decisions       sent  converted     rate        "
            "  value\n"
            "nudge                    treatment          2          2          1   50.00%         "
            " 25.00\n"
            "nudge                    holdout            0          0          0        -         "
            "  0.00\n"
            "  lift: n/a (needs decisions in both arms)\n");
  auto json = Touchstream("report impact --json --config " + config + " --state-dir " +
                          (dir_ / "replayed").string());
  EXPECT_NE(json.text.find(R"("treatment":{"decisions":2,"sent":2,"converted":1,)"),
            std::string::npos)
      << json.text;
  EXPECT_EQ(Touchstream("report nope --config " + config).exit_code, 2);
}

// A bad config stops start-up with the file, line and key.
TEST_F(IntegrationCliTest, BadConfigNamesFileLineAndKey) {
  std::ofstream(dir_ / "engine.yaml") << "kafka:\n  group_id: g\nstate:\n  dri: /tmp/x\n";
  auto out = Touchstream("run --config " + (dir_ / "engine.yaml").string());
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.text.find("engine.yaml:4:3: error: state.dri: unknown key"), std::string::npos)
      << out.text;
}

// broker and run as separate processes: events produced with kcat become actions read with
// kcat; SIGTERM stops the engine cleanly (exit 0) and `state get` shows the customer.
TEST_F(IntegrationCliTest, BrokerRunSigtermStateGet) {
  Child broker(
      {kBinary, "broker", "--config", kSource + "/deploy/config/demo.yaml", "--partitions", "2"},
      dir_ / "broker.out");
  const std::string bootstrap_line = WaitFor(dir_ / "broker.out", "\n");
  const std::string bootstrap = bootstrap_line.substr(0, bootstrap_line.find('\n'));
  ASSERT_EQ(bootstrap.rfind("127.0.0.1:", 0), 0u) << bootstrap_line;

  std::string config = ReadFile(kSource + "/deploy/config/demo.yaml");
  config.replace(config.find("bootstrap_servers: embedded"), 27, "bootstrap_servers: " + bootstrap);
  const std::string rules_line = "rules: [../rules/demo, ../rules/journeys]";
  config.replace(
      config.find(rules_line), rules_line.size(),
      "rules: [" + kSource + "/deploy/rules/demo, " + kSource + "/deploy/rules/journeys]");
  config.replace(config.find("dir: /tmp/touchstream-demo-state"), 32,
                 "dir: " + (dir_ / "state").string());
  config.replace(config.find("address: 0.0.0.0:9464"), 21, "address: 127.0.0.1:0");
  config.replace(config.find("address: 127.0.0.1:9465"), 23, "address: 127.0.0.1:0");
  config.replace(config.find("retention: 400d"), 15, "retention: 0");
  std::ofstream(dir_ / "engine.yaml") << config;

  KcatProduce(
      bootstrap, "touchstream.events",
      {{"c-1",
        R"({"customer_id":"c-1","type":"purchase","ts":"2026-01-01T10:00:00Z","properties":{"amount":25.0,"sku":"A1"}})"}});
  {
    Child engine({kBinary, "run", "--config", (dir_ / "engine.yaml").string()}, dir_ / "run.out");
    std::vector<KeyedMessage> actions;
    for (int i = 0; i < 100 && actions.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      actions = KcatConsumeAll(bootstrap, "touchstream.actions.email");
    }
    ASSERT_EQ(actions.size(), 1u) << ReadFile(dir_ / "run.out");
    EXPECT_EQ(actions[0].key, "c-1");
    EXPECT_NE(actions[0].value.find("Thanks for your first order (A1)!"), std::string::npos);
    EXPECT_EQ(engine.Stop(), 0) << ReadFile(dir_ / "run.out");
  }
  EXPECT_NE(ReadFile(dir_ / "run.out").find("stopped after 1 events"), std::string::npos)
      << ReadFile(dir_ / "run.out");
  auto state = Touchstream("state get --config " + (dir_ / "engine.yaml").string() + " c-1");
  EXPECT_EQ(state.exit_code, 0) << state.text;
  EXPECT_NE(state.text.find(R"("purchase_count": "1")"), std::string::npos) << state.text;
  auto exported = Touchstream("state export --config " + (dir_ / "engine.yaml").string());
  EXPECT_EQ(exported.exit_code, 0) << exported.text;
  EXPECT_NE(exported.text.find(R"({"schema_version":1,"customer_id":"c-1")"), std::string::npos)
      << exported.text;
  EXPECT_NE(exported.text.find("exported 1 customers"), std::string::npos) << exported.text;
  auto erased = Touchstream("state erase --config " + (dir_ / "engine.yaml").string() + " c-1");
  EXPECT_EQ(erased.exit_code, 0) << erased.text;
  EXPECT_NE(erased.text.find("erased customer 'c-1': state"), std::string::npos) << erased.text;
  auto gone = Touchstream("state get --config " + (dir_ / "engine.yaml").string() + " c-1");
  EXPECT_EQ(gone.exit_code, 1) << gone.text;
  EXPECT_NE(gone.text.find("no state for customer 'c-1'"), std::string::npos) << gone.text;
  EXPECT_EQ(broker.Stop(), 0);
}

// `run` fires timers by processing time (an abandoned cart from three hours ago is reminded
// at once), and reloads its rules when a rule file changes: a broken file is refused as a
// whole while the running rules keep serving, a fixed one is taken.
TEST_F(IntegrationCliTest, RunFiresTimersAndReloadsChangedRules) {
  Child broker({kBinary, "broker", "--config", kSource + "/deploy/config/demo.yaml"},
               dir_ / "broker.out");
  const std::string bootstrap_line = WaitFor(dir_ / "broker.out", "\n");
  const std::string bootstrap = bootstrap_line.substr(0, bootstrap_line.find('\n'));
  std::filesystem::create_directories(dir_ / "rules");
  const std::string cart_rule = R"Y(
- id: abandoned-cart
  trigger: {event: cart_add, not_followed_by: {event: purchase, within: 2h}}
  actions: [{emit: {kind: nudge, channel: push, template: "Still want {{ event.properties.sku }}?"}}]
)Y";
  std::ofstream(dir_ / "rules" / "cart.yaml") << cart_rule;
  std::ofstream(dir_ / "engine.yaml")
      << "kafka:\n  bootstrap_servers: " << bootstrap
      << "\n  group_id: reload-test\n  consumer: {session.timeout.ms: \"6000\"}\n"
      << "output: {default_topic: touchstream.actions, format: json}\n"
      << "state: {dir: " << (dir_ / "state").string()
      << ", changelog_topic: touchstream-demo.changelog}\n"
      << "processing: {rules_watch_interval_ms: 200, timer_interval_ms: 200}\n"
      << "rules: [" << (dir_ / "rules").string() << "]\n"
      << "metrics: {address: \"\"}\n"
      << "admin: {address: \"\"}\n";
  const auto three_hours_ago = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() -
                               3 * 3600 * 1000;
  KcatProduce(bootstrap, "touchstream.events",
              {{"c-1", R"({"customer_id":"c-1","type":"cart_add","ts":")" +
                           FormatRfc3339Ms(three_hours_ago) + R"(","properties":{"sku":"A1"}})"}});
  Child engine({kBinary, "run", "--config", (dir_ / "engine.yaml").string()}, dir_ / "run.out");
  std::vector<KeyedMessage> actions;
  for (int i = 0; i < 100 && actions.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    actions = KcatConsumeAll(bootstrap, "touchstream.actions");
  }
  ASSERT_EQ(actions.size(), 1u) << ReadFile(dir_ / "run.out");
  EXPECT_NE(actions[0].value.find("Still want A1?"), std::string::npos) << actions[0].value;
  EXPECT_NE(actions[0].value.find(R"("trigger":"absence:cart_add!purchase@timer")"),
            std::string::npos)
      << actions[0].value;

  std::ofstream(dir_ / "rules" / "broken.yaml")
      << "- id: broken\n  trigger: {event: purchase}\n  condition: customer.aggregates.spend_9d > "
         "1\n"
      << "  actions: [{emit: {kind: offer, channel: email}}]\n";
  WaitFor(dir_ / "run.out", "reload refused");
  std::filesystem::remove(dir_ / "rules" / "broken.yaml");
  std::ofstream(dir_ / "rules" / "welcome.yaml")
      << "- id: welcome\n  trigger: {event: signup}\n"
      << "  actions: [{emit: {kind: offer, channel: email, template: hi}}]\n";
  WaitFor(dir_ / "run.out", "reloaded 2 rules");
  EXPECT_EQ(engine.Stop(), 0) << ReadFile(dir_ / "run.out");
  EXPECT_EQ(broker.Stop(), 0);
}

}  // namespace
}  // namespace touchstream::testing
