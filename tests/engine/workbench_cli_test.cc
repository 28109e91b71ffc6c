// `touchstream replay --diff-rules` and `touchstream explain` run as processes: a candidate
// pack with an error is refused whole with file:line:col and exit 1; --json prints one object.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/testing/temp_dir.h"

namespace touchstream::engine {
namespace {

struct Output {
  int exit_code;
  std::string out;  // stdout only
};

// Runs the binary with `args`; stderr goes to `err_path`.
Output Touchstream(const std::string& args, const std::string& err_path) {
  std::string text;
  FILE* pipe =
      popen((std::string(TOUCHSTREAM_BINARY) + " " + args + " 2>" + err_path).c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class WorkbenchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "touchstream.yaml") << "rules: [rules.yaml]\n";
    std::ofstream(dir_ / "rules.yaml") << R"Y(- id: hello
  version: "1"
  trigger: {event: login}
  actions: [{emit: {kind: nudge, channel: email, template: "Hello"}}]
)Y";
    std::ofstream(dir_ / "events.jsonl")
        << R"({"event_id":"e1","customer_id":"c1","type":"login","ts":"2026-01-01T10:00:00Z"})"
        << "\n";
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  test::TempDir temp_dir_{"touchstream-workbench-cli"};
  const std::filesystem::path dir_ = temp_dir_.path();
};

// A candidate with an unknown field is refused as a whole, naming file:line:col (the column
// of the member access), exit 1.
TEST_F(WorkbenchCliTest, BrokenCandidateRefusedWithPosition) {
  std::ofstream(dir_ / "bad.yaml") << R"Y(- id: hello
  trigger: {event: login}
  condition: customer.no_such_field > 1
  actions: [{emit: {kind: nudge, channel: email, template: "Hello"}}]
)Y";
  const Output run = Touchstream("replay --config " + Path("touchstream.yaml") + " --events " +
                                     Path("events.jsonl") + " --diff-rules " + Path("bad.yaml"),
                                 Path("err.txt"));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  const std::string err = Read(Path("err.txt"));
  EXPECT_NE(err.find(Path("bad.yaml") + ":3:23: error"), std::string::npos) << err;
  EXPECT_NE(err.find("the candidate rules are refused"), std::string::npos) << err;
}

// --json prints the diff and the explanation as one JSON object each.
TEST_F(WorkbenchCliTest, JsonOutputs) {
  std::ofstream(dir_ / "new.yaml") << R"Y(- id: hello
  version: "2"
  trigger: {event: login}
  actions: [{emit: {kind: nudge, channel: sms, template: "Hi"}}]
)Y";
  const Output diff =
      Touchstream("replay --config " + Path("touchstream.yaml") + " --events " +
                      Path("events.jsonl") + " --diff-rules " + Path("new.yaml") + " --json",
                  Path("err.txt"));
  ASSERT_EQ(diff.exit_code, 0) << Read(Path("err.txt"));
  const auto d = nlohmann::json::parse(diff.out);
  EXPECT_EQ(d["rules"][0]["status"], "changed");
  EXPECT_EQ(d["rules"][0]["sample"][0]["after"]["channel"], "sms");
  const Output explain = Touchstream("explain --config " + Path("touchstream.yaml") + " --events " +
                                         Path("events.jsonl") + " c1 hello --json",
                                     Path("err.txt"));
  ASSERT_EQ(explain.exit_code, 0) << Read(Path("err.txt"));
  const auto e = nlohmann::json::parse(explain.out);
  EXPECT_EQ(e["verdict"], "c1 got 1 message from hello: hello on email at 2026-01-01T10:00:00Z");
}

}  // namespace
}  // namespace touchstream::engine
