// The documentation's examples are copy-pasteable and its links lead somewhere: every ```yaml
// block of README.md and docs/*.md loads with the engine's own loaders, and every relative link
// names an existing file and heading.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/config/config.h"
#include "tests/docs/doc_examples.h"
#include "tests/docs/markdown.h"

namespace touchstream::docs {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = TOUCHSTREAM_SOURCE_DIR;

std::string ReadDoc(const std::string& name) {
  std::ifstream in(kSourceDir / name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// README.md, then docs/*.md in name order; relative to the source folder.
std::vector<std::string> DocNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kSourceDir / "docs")) {
    if (entry.path().extension() == ".md")
      names.push_back("docs/" + entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  names.insert(names.begin(), "README.md");
  return names;
}

// The environment rules are checked in when no config example precedes them: the demo's.
rules::RuleEnvironment DemoEnvironment() {
  auto config = engine::LoadConfig((kSourceDir / "deploy/config/demo.yaml").string());
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? config->rule_environment : rules::RuleEnvironment{};
}

CodeBlock Yaml(int fence_line, std::string text, bool fragment = false) {
  return {"yaml", fence_line, std::move(text), fragment};
}

// Every yaml example of every document loads (or is marked a fragment).
TEST(DocsExamplesTest, EveryYamlExampleLoads) {
  const rules::RuleEnvironment demo = DemoEnvironment();
  int checked = 0, fragments = 0;
  for (const std::string& name : DocNames()) {
    const std::string text = ReadDoc(name);
    ASSERT_FALSE(text.empty()) << name;
    ExampleChecker checker(name, demo);
    for (const CodeBlock& block : FencedBlocks(text)) {
      for (const std::string& problem : checker.Check(block)) ADD_FAILURE() << problem;
    }
    checked += checker.checked();
    fragments += checker.fragments();
  }
  std::cout << "checked " << checked << " yaml examples, skipped " << fragments
            << " marked fragments\n";
  // The docs hold a score of examples; none found means the scan itself is broken.
  EXPECT_GT(checked, 10);
}

// A rule with a mistake is reported at the document's line, with the loader's message.
TEST(DocsExamplesTest, ABrokenRuleIsReportedAtItsLine) {
  ExampleChecker checker("docs/x.md", rules::RuleEnvironment{});
  const auto problems = checker.Check(Yaml(10,
                                           "- id: r\n"
                                           "  trigger: {event: purchase}\n"
                                           "  condition: customer.aggregates.total_spnd > 1\n"
                                           "  actions: [{tag: vip}]\n"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("docs/x.md:10:"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("docs/x.md:13:"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("total_spend"), std::string::npos) << problems[0];
}

// A config with an unknown key is reported; a good config's declarations reach later rules.
TEST(DocsExamplesTest, ConfigExamplesLoadAndDeclareForLaterRules) {
  ExampleChecker checker("docs/x.md", rules::RuleEnvironment{});
  EXPECT_EQ(checker.Check(Yaml(3, "processing: {comit_interval_ms: 5}\n")).size(), 1u);
  EXPECT_TRUE(
      checker.Check(Yaml(7, "aggregates: {spend_90d: sum(purchase.amount) over 90d}\n")).empty());
  const auto problems = checker.Check(Yaml(12,
                                           "rules:\n"
                                           "  - id: r\n"
                                           "    trigger: {event: purchase}\n"
                                           "    condition: customer.aggregates.spend_90d > 1.0\n"
                                           "    actions: [{tag: vip}]\n"));
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(checker.checked(), 3);
}

// Fragments are skipped, but a fragment mark on a whole file and a block that is neither a rule
// file nor a config are reported.
TEST(DocsExamplesTest, FragmentsAndUnclassifiableBlocks) {
  ExampleChecker checker("docs/x.md", rules::RuleEnvironment{});
  EXPECT_TRUE(checker.Check(Yaml(1, "actions:\n  - tag: vip\n", /*fragment=*/true)).empty());
  EXPECT_EQ(checker.Check(Yaml(5, "lateness: 2d\n", /*fragment=*/true)).size(), 1u);
  EXPECT_EQ(checker.Check(Yaml(9, "just text\n")).size(), 1u);
  EXPECT_EQ(checker.Check({"sh", 12, "not: yaml at all: [\n", false}).size(), 0u);
  EXPECT_EQ(checker.fragments(), 2);
}

// Every relative link of every document resolves, anchors included.
TEST(DocsLinksTest, EveryRelativeLinkResolves) {
  for (const std::string& name : DocNames()) {
    for (const std::string& problem : LinkProblems(kSourceDir, name, ReadDoc(name))) {
      ADD_FAILURE() << problem;
    }
  }
}

// Missing files, missing headings and missing same-document anchors are each reported.
TEST(DocsLinksTest, BrokenLinksAreReported) {
  const std::string markdown =
      "# Title\n\n## A section\n\n"
      "[ok](#a-section) [ok](rules.md#triggers) [ok](../README.md) [ok](https://x.org/y)\n"
      "[ok](scaling-out.md) `[in code](nowhere.md)`\n"
      "[bad](#no-section) [bad](rules.md#no-heading) [bad](nowhere.md)\n"
      "```\n[in a block](nowhere.md)\n```\n";
  const auto problems = LinkProblems(kSourceDir, "docs/x.md", markdown);
  ASSERT_EQ(problems.size(), 3u) << ::testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("docs/x.md:7: link '#no-section'"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("no heading '#no-heading' in docs/rules.md"), std::string::npos)
      << problems[1];
  EXPECT_NE(problems[2].find("no such file docs/nowhere.md"), std::string::npos) << problems[2];
}

// GitHub's anchors: punctuation dropped, spaces to dashes, repeats numbered.
TEST(DocsLinksTest, HeadingAnchorsFollowGitHub) {
  const auto anchors = HeadingAnchors(
      "# Customer value (CLV)\n## 1. Fit the `clv` parameters\n### Limits\n### Limits\n"
      "```\n# not a heading\n```\n");
  EXPECT_EQ(anchors, (std::set<std::string>{"customer-value-clv", "1-fit-the-clv-parameters",
                                            "limits", "limits-1"}));
}

}  // namespace
}  // namespace touchstream::docs
