// `touchstream clv fit` as a user runs it: a generated JSON Lines purchase history, the table
// and --json outputs, a bad line reported with file:line, usage errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "state/clv_fit.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::engine {
namespace {

struct Output {
  int exit_code;
  std::string text;  // stdout and stderr
};

Output Touchstream(const std::string& args) {
  std::string text;
  FILE* pipe = popen((std::string(TOUCHSTREAM_BINARY) + " " + args + " 2>&1").c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

class EngineClvCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 400 customers first buying in January 2026, each buying again every few weeks for a
    // while, with a page view mixed in (skipped by the fit).
    std::mt19937_64 rng(3);
    std::ofstream out(dir_ / "events.jsonl");
    // The same purchases as CDNOW lines under a column-header line (as in the lifetimes copy).
    std::ofstream cdnow(dir_ / "transactions.txt");
    cdnow << "customer_id date quantity amount\n";
    for (int c = 0; c < 400; ++c) {
      int64_t day = std::uniform_int_distribution<int64_t>(0, 30)(rng);
      const int purchases = std::uniform_int_distribution<int>(1, 8)(rng);
      for (int i = 0; i < purchases; ++i) {
        const double amount = std::uniform_real_distribution<double>(5, 80)(rng);
        out << R"({"customer_id":"c-)" << c << R"(","type":"purchase","ts":")"
            << state::FormatIsoDay(20454 + day) << R"(T12:00:00Z","properties":{"amount":)"
            << amount << "}}\n";
        std::string compact_day = state::FormatIsoDay(20454 + day);
        std::erase(compact_day, '-');
        cdnow << "c-" << c << " " << compact_day << " 1 " << amount << "\n";
        out << R"({"customer_id":"c-)" << c << R"(","type":"page_view","ts":")"
            << state::FormatIsoDay(20454 + day) << R"(T11:00:00Z"})"
            << "\n";
        day += std::uniform_int_distribution<int64_t>(3, 60)(rng);
      }
    }
  }
  test::TempDir temp_dir_{"clv_cli_test"};
  const std::filesystem::path dir_ = temp_dir_.path();
};

// The table names both models, the holdout comparison and a config block to paste.
TEST_F(EngineClvCliTest, FitPrintsTablesAndConfigBlock) {
  const Output out = Touchstream("clv fit --transactions " + (dir_ / "events.jsonl").string() +
                                 " --format jsonl --calibration-end 2026-06-30"
                                 " --holdout-end 2026-12-31");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  EXPECT_NE(out.text.find("400 customers first bought 2026-01-01"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("BG/NBD       r = "), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("Gamma-Gamma  p = "), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("Holdout 2026-07-01 .. 2026-12-31"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("  7+ "), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("clv:\n  bg_nbd: {r: "), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("  gamma_gamma: {p: "), std::string::npos) << out.text;
}

// --format cdnow reads the same purchases, skipping the column-header first line.
TEST_F(EngineClvCliTest, FitReadsCdnowWithAColumnHeader) {
  const Output out = Touchstream("clv fit --transactions " + (dir_ / "transactions.txt").string() +
                                 " --format cdnow --calibration-end 2026-06-30"
                                 " --holdout-end 2026-12-31");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  EXPECT_NE(out.text.find("400 customers first bought 2026-01-01"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("BG/NBD       r = "), std::string::npos) << out.text;
}

// --json prints one object with every figure.
TEST_F(EngineClvCliTest, FitPrintsJson) {
  const Output out = Touchstream("clv fit --transactions " + (dir_ / "events.jsonl").string() +
                                 " --calibration-end 2026-06-30 --holdout-end 2026-12-31 --json");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  ASSERT_FALSE(out.text.empty());
  EXPECT_EQ(out.text.front(), '{');
  EXPECT_EQ(out.text.find('\n'), out.text.size() - 1) << "one line";
  for (const char* key : {"\"customers\":400", "\"bg_nbd\":{\"r\":", "\"alpha\":", "\"b\":",
                          "\"gamma_gamma\":{\"p\":", "\"gamma\":", "\"log_likelihood\":",
                          "\"holdout\":{\"end\":\"2026-12-31\"", "\"by_x\":[{\"x\":\"0\""}) {
    EXPECT_NE(out.text.find(key), std::string::npos) << key << " in " << out.text;
  }
}

// A bad line stops the fit with the file and line; bad options are usage errors (exit 2).
TEST_F(EngineClvCliTest, ErrorsAndUsage) {
  {
    std::ofstream out(dir_ / "bad.jsonl");
    out << R"({"customer_id":"c-1","type":"purchase","ts":"2026-01-01"})"
        << "\n";
    out << R"({"customer_id":"c-1","type":"purchase","ts":"soon"})"
        << "\n";
  }
  const std::string bad = (dir_ / "bad.jsonl").string();
  Output out = Touchstream("clv fit --transactions " + bad + " --calibration-end 2026-06-30");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.text.find(bad + ":2: field 'ts'"), std::string::npos) << out.text;

  out = Touchstream("clv fit --transactions " + bad + " --calibration-end 2026-13-01");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.text.find("--calibration-end"), std::string::npos) << out.text;
  out = Touchstream("clv fit --transactions " + bad + " --format csv --calibration-end 2026-01-01");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.text.find("cdnow or jsonl"), std::string::npos) << out.text;
  out = Touchstream("clv fit --calibration-end 2026-01-01");
  EXPECT_EQ(out.exit_code, 2);
  out = Touchstream("clv predict");
  EXPECT_EQ(out.exit_code, 2);
  out = Touchstream("clv fit --help");
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_NE(out.text.find("--holdout-end"), std::string::npos) << out.text;
}

}  // namespace
}  // namespace touchstream::engine
