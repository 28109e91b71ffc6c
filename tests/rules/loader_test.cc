#include "rules/loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace touchstream::rules {
namespace {

using Strings = std::vector<std::string>;

Strings Messages(const LoadResult& result) {
  Strings out;
  for (const Diagnostic& d : result.errors) {
    out.push_back(d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " +
                  d.message);
  }
  return out;
}

constexpr std::string_view kFullRule = R"(# Cart rules
rules:
  - id: cart_big
    description: Big cart, offer free shipping
    version: "2026.1"
    enabled: false
    valid_from: 2026-01-01T00:00:00Z
    valid_until: "2026-02-01T00:00:00Z"
    priority: 7
    tags: [cart, shipping]
    trigger:
      event: [cart_add, checkout_started]
    condition: |
      event.properties.value > 100.0 &&
        customer.aggregates.purchase_count >= 1
    actions:
      - emit:
          kind: offer
          channel: email
          template: Free shipping today
  - id: any_event
    trigger: {event: "*"}
    actions:
      - emit: {kind: alert, channel: crm}
)";

// Every field of a rule file is loaded into the Rule.
TEST(RulesLoaderTest, FullRuleRoundTrip) {
  RuleEnvironment env;
  env.event_properties["cart_add"]["value"] = ValueType::kDouble;
  LoadResult result = LoadRulesFromString(kFullRule, "cart.yaml", env);
  ASSERT_TRUE(result.ok()) << result.errors[0].ToString();
  ASSERT_EQ(result.rule_set->size(), 2u);
  const Rule& rule = result.rule_set->rules()[0];
  EXPECT_EQ(rule.id, "cart_big");
  EXPECT_EQ(rule.description, "Big cart, offer free shipping");
  EXPECT_EQ(rule.version, "2026.1");
  EXPECT_EQ(rule.file, "cart.yaml");
  EXPECT_EQ(rule.line, 3);
  EXPECT_FALSE(rule.enabled);
  EXPECT_EQ(rule.valid_from_ms, 1767225600000);
  EXPECT_EQ(rule.valid_until_ms, 1769904000000);
  EXPECT_EQ(rule.priority, 7);
  EXPECT_EQ(rule.tags, (Strings{"cart", "shipping"}));
  EXPECT_EQ(rule.event_types, (Strings{"cart_add", "checkout_started"}));
  EXPECT_EQ(std::get<EventTrigger>(rule.trigger).event_types, rule.event_types);
  ASSERT_NE(rule.condition, nullptr);
  EXPECT_EQ(rule.condition->canonical,
            "(event.properties.value > 100) && (customer.aggregates.purchase_count >= 1)");
  ASSERT_EQ(rule.actions.size(), 1u);
  const EmitAction& emit = std::get<EmitAction>(rule.actions[0]);
  EXPECT_EQ(emit.kind, "offer");
  EXPECT_EQ(emit.channels, Strings{"email"});
  EXPECT_EQ(emit.message.source, "Free shipping today");
  const Rule& any = result.rule_set->rules()[1];
  EXPECT_TRUE(any.enabled);
  EXPECT_EQ(any.priority, 0);
  EXPECT_EQ(any.condition, nullptr);
  EXPECT_EQ(any.version.size(), 8u);
  EXPECT_FALSE(rule.ActiveAt(1767225600000));  // disabled
}

// A typo in a field is reported at its true line and column in the YAML file.
TEST(RulesLoaderTest, UnknownFieldPositionInFile) {
  constexpr std::string_view kText = R"(- id: cart
  trigger: {event: cart_add}
  condition: event.properties.value > 1 && customer.aggregates.total_spnd > 100
  actions:
    - emit: {kind: offer, channel: email}
)";
  LoadResult result = LoadRulesFromString(kText, "rules/cart.yaml", RuleEnvironment());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.rule_set, nullptr);
  EXPECT_EQ(result.errors[0].ToString(),
            "rules/cart.yaml:3:64: error: unknown field 'customer.aggregates.total_spnd' (did you "
            "mean 'total_spend'?)\n"
            "  condition: event.properties.value > 1 && customer.aggregates.total_spnd > 100\n"
            "                                                               ^");
}

// Positions inside quoted, block and folded scalars map back to the file.
TEST(RulesLoaderTest, PositionsInScalarStyles) {
  constexpr std::string_view kText = R"(- id: a
  trigger: {event: x}
  condition: "customer.idd == 'a'"
  actions: [{emit: {kind: k, channel: c}}]
- id: b
  trigger: {event: x}
  condition: |
    customer.id == 'a' &&
      customer.frist_seen < now
  actions: [{emit: {kind: k, channel: c}}]
- id: c
  trigger: {event: x}
  condition: customer.id == 'a' &&
    evnt.type == 'x'
  actions: [{emit: {kind: k, channel: c, template: 'Hi {{ customer.profile.name + 1 }}'}}]
)";
  LoadResult result = LoadRulesFromString(kText, "s.yaml", RuleEnvironment());
  EXPECT_EQ(Messages(result),
            (Strings{
                "s.yaml:3:24: unknown field 'customer.idd' (did you mean 'id'?)",
                "s.yaml:9:16: unknown field 'customer.frist_seen' (did you mean 'first_seen'?)",
                "s.yaml:14:5: unknown name 'evnt' (did you mean 'event'?)",
            }));
}

// Every error of a file is reported in one pass, in position order.
TEST(RulesLoaderTest, AllErrorsInOnePass) {
  constexpr std::string_view kText = R"(- id: one
  triger: {event: x}
  condition: 1 + 
  actions: []
- id: two
  trigger: {event: x, window: 5m}
  condition: '"a" + 1'
  actions:
    - emit: {kind: k, chanel: c}
    - send: {}
- id: three
  trigger: {event: x}
  condition: customer.aggregates.event_count
  priority: high
  enabled: maybe
  valid_from: yesterday
  actions: [{emit: {kind: k, channel: c}}]
)";
  LoadResult result = LoadRulesFromString(kText, "e.yaml", RuleEnvironment());
  EXPECT_EQ(Messages(result),
            (Strings{
                "e.yaml:1:3: rule 'one' has no 'trigger' (e.g. trigger: {event: purchase})",
                "e.yaml:2:3: unknown key 'triger' in rule (did you mean 'trigger'?)",
                "e.yaml:3:17: expected an expression, found end of expression",
                "e.yaml:4:12: 'actions' must be a non-empty list",
                "e.yaml:6:23: unknown key 'window' in trigger (expected one of: event sequence "
                "within correlate_on not_followed_by inactive_for after becomes_true stage_changed "
                "tier_changed date calendar offset repeat at)",
                "e.yaml:7:19: operator '+' cannot be applied to string and int",
                "e.yaml:9:13: 'emit' needs 'channel' (a channel, or a list in order of preference)",
                "e.yaml:9:23: unknown key 'chanel' in emit (did you mean 'channel'?)",
                "e.yaml:10:7: unknown key 'send' in action (expected one of: emit set add_points "
                "redeem tag untag set_stage raise)",
                "e.yaml:13:14: condition must be a bool expression, but it is int",
                "e.yaml:14:13: 'priority' must be an integer, not 'high'",
                "e.yaml:15:12: 'enabled' must be true or false, not 'maybe'",
                "e.yaml:16:15: 'valid_from' must be an RFC 3339 time such as 2026-01-05T10:00:00Z",
            }));
}

// Invalid YAML is reported with the parser's position.
TEST(RulesLoaderTest, YamlSyntaxError) {
  LoadResult result = LoadRulesFromString("- id: a\n  trigger: [x\n", "y.yaml", RuleEnvironment());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].file, "y.yaml");
  EXPECT_EQ(result.errors[0].message.substr(0, 13), "invalid YAML:");
}

// The derived version is 8 hex digits, independent of formatting, and changes with content.
TEST(RulesLoaderTest, DerivedVersionIsStable) {
  auto version = [](std::string_view text) {
    LoadResult result = LoadRulesFromString(text, "v.yaml", RuleEnvironment());
    EXPECT_TRUE(result.ok());
    return result.ok() ? result.rule_set->rules()[0].version : std::string();
  };
  const std::string a = version(
      "- id: v\n  trigger: {event: x}\n  condition: now > now\n  actions: [{emit: {kind: k, "
      "channel: c}}]\n");
  const std::string b = version(
      "# comment\n- id: v\n  trigger:\n    event: x\n  condition: \"now > now\"\n  actions:\n    - "
      "emit:\n"
      "        kind: k\n        channel: c\n");
  const std::string c = version(
      "- id: v\n  trigger: {event: x}\n  condition: now >= now\n  actions: [{emit: {kind: k, "
      "channel: c}}]\n");
  EXPECT_EQ(a, "e3afa453");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

class RulesLoaderFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("rules_loader_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view text) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

// A directory loads its *.yaml and *.yml files in name order; rules are indexed by type.
TEST_F(RulesLoaderFilesTest, LoadsDirectory) {
  Write("b.yml",
        "- id: b\n  priority: 1\n  trigger: {event: purchase}\n  actions: [{emit: {kind: k, "
        "channel: c}}]\n");
  Write("a.yaml",
        "- id: a\n  trigger: {event: '*'}\n  actions: [{emit: {kind: k, channel: c}}]\n"
        "- id: a2\n  priority: 1\n  trigger: {event: [login, purchase]}\n  actions: [{emit: {kind: "
        "k, channel: c}}]\n"
        "- id: off\n  enabled: false\n  trigger: {event: purchase}\n  actions: [{emit: {kind: k, "
        "channel: c}}]\n");
  Write("notes.txt", "not a rule file");
  LoadResult result = LoadRules({dir_.string()}, RuleEnvironment());
  ASSERT_TRUE(result.ok()) << result.errors[0].ToString();
  Strings ids;
  for (const Rule& rule : result.rule_set->rules()) ids.push_back(rule.id);
  EXPECT_EQ(ids, (Strings{"a", "a2", "off", "b"}));
  auto ids_for = [&](std::string_view type) {
    Strings out;
    for (const Rule* rule : result.rule_set->ForEventType(type)) out.push_back(rule->id);
    return out;
  };
  EXPECT_EQ(ids_for("purchase"), (Strings{"a2", "b", "a"}));
  EXPECT_EQ(ids_for("login"), (Strings{"a2", "a"}));
  EXPECT_EQ(ids_for("page_view"), (Strings{"a"}));
}

// Duplicate ids across files are an error naming both files.
TEST_F(RulesLoaderFilesTest, DuplicateIdsAcrossFiles) {
  const std::string one = Write(
      "one.yaml",
      "- id: welcome\n  trigger: {event: login}\n  actions: [{emit: {kind: k, channel: c}}]\n");
  const std::string two = Write(
      "two.yaml",
      "\n- id: welcome\n  trigger: {event: login}\n  actions: [{emit: {kind: k, channel: c}}]\n");
  LoadResult result = LoadRules({one, two}, RuleEnvironment());
  EXPECT_EQ(result.rule_set, nullptr);
  EXPECT_EQ(Messages(result),
            Strings{two + ":2:7: duplicate rule id 'welcome' (also defined at " + one + ":1)"});
}

// Missing paths are reported without stopping other files from being checked.
TEST_F(RulesLoaderFilesTest, MissingPath) {
  const std::string bad = Write("bad.yaml",
                                "- id: x\n  trigger: {event: login}\n  condition: nope\n  actions: "
                                "[{emit: {kind: k, channel: c}}]\n");
  LoadResult result = LoadRules({(dir_ / "missing.yaml").string(), bad}, RuleEnvironment());
  EXPECT_EQ(Messages(result),
            (Strings{(dir_ / "missing.yaml").string() + ":0:0: no such file or directory",
                     bad + ":3:14: unknown name 'nope'"}));
}

// Top-level shapes other than a list or a rules: map are rejected, naming the key.
TEST(RulesLoaderTest, TopLevelShape) {
  EXPECT_EQ(Messages(LoadRulesFromString("rulez: []\n", "t.yaml", RuleEnvironment())),
            (Strings{"t.yaml:1:1: unknown key 'rulez' in the file (did you mean 'rules'?)",
                     "t.yaml:1:1: expected a list of rules, or a map with a 'rules:' list"}));
  EXPECT_TRUE(LoadRulesFromString("# nothing yet\n", "t.yaml", RuleEnvironment()).ok());
}

// Params may not shadow roots or payload keys; template param references resolve.
TEST(RulesLoaderTest, ParamErrors) {
  constexpr std::string_view kText = R"(- id: p
  trigger: {event: x}
  actions:
    - emit:
        kind: k
        channel: c
        template: "{{ pct }}% {{ discount }}"
        params: {now: 1, pct: 10}
        payload: {pct: "x"}
)";
  EXPECT_EQ(
      Messages(LoadRulesFromString(kText, "p.yaml", RuleEnvironment())),
      (Strings{
          "p.yaml:7:34: unknown name 'discount'",
          "p.yaml:8:18: param name 'now' must be a simple name other than event, customer, rule, "
          "now",
          "p.yaml:9:19: payload key 'pct' is also a param (params are added to the payload)"}));
}

}  // namespace
}  // namespace touchstream::rules
