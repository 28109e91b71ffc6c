#include "rules/template.h"

#include <gtest/gtest.h>

#include "expr_tester.h"
#include "rules/evaluator.h"
#include "rules/loader.h"

namespace touchstream::rules {
namespace {

using testing::DoubleValue;
using testing::ExprTester;
using testing::StringValue;

constexpr std::string_view kRules = R"(
rules:
  - id: cart_nudge
    trigger: {event: cart_add}
    actions:
      - emit:
          kind: nudge
          channel: [push, email]
          template: "Hi {{ customer.profile.first_name }}, {{ discount }}% off {{ event.properties.sku }}!{{ customer.profile.missing }}"
          params:
            discount: "customer.aggregates.purchase_count > 2 ? 15 : 10"
            expires: now + 2d
          payload:
            sku: "{{ event.properties.sku }}"
            line: "{{ upper(event.properties.sku) }} x{{ event.properties.qty }}"
  - id: failing
    trigger: {event: cart_add}
    actions:
      - emit: {kind: nudge, channel: push, template: "{{ 1 / customer.aggregates.purchase_count }}"}
)";

// Templates render fields and params as plain text; params are added to the payload.
TEST(RulesTemplateTest, RenderEmit) {
  LoadResult loaded = LoadRulesFromString(kRules, "t.yaml", RuleEnvironment());
  ASSERT_TRUE(loaded.ok()) << loaded.errors[0].ToString();
  const Rule& rule = *loaded.rule_set->Find("cart_nudge");
  touchstream::v1::TouchpointEvent event;
  (*event.mutable_properties())["sku"] = StringValue("a-1 \"red\"");
  (*event.mutable_properties())["qty"] = DoubleValue(2);
  touchstream::v1::CustomerState customer;
  (*customer.mutable_profile())["first_name"] = StringValue("Ana");
  customer.mutable_aggregates()->set_purchase_count(3);
  Evaluator evaluator;
  const auto& emit = std::get<EmitAction>(rule.actions[0]);
  Result<Evaluator::RenderedEmit> rendered =
      evaluator.RenderEmit(rule, emit, EvalContext{&event, &customer, ExprTester::kNow});
  ASSERT_TRUE(rendered.ok()) << rendered.status().ToString();
  EXPECT_EQ(rendered->kind, "nudge");
  EXPECT_EQ(rendered->channels, (std::vector<std::string>{"push", "email"}));
  EXPECT_EQ(rendered->message, "Hi Ana, 15% off a-1 \"red\"!");
  EXPECT_EQ(rendered->payload, (std::vector<std::pair<std::string, std::string>>{
                                   {"sku", "a-1 \"red\""},
                                   {"line", "A-1 \"RED\" x2"},
                                   {"discount", "15"},
                                   {"expires", "2026-01-07T10:00:00Z"}}));
}

// A run-time error in a placeholder fails the render with its position.
TEST(RulesTemplateTest, RenderError) {
  LoadResult loaded = LoadRulesFromString(kRules, "t.yaml", RuleEnvironment());
  ASSERT_TRUE(loaded.ok());
  const Rule& rule = *loaded.rule_set->Find("failing");
  Evaluator evaluator;
  Result<Evaluator::RenderedEmit> rendered =
      evaluator.RenderEmit(rule, std::get<EmitAction>(rule.actions[0]), EvalContext{});
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.status().message(), "t.yaml:19:60: division by zero");
}

std::vector<std::string> TemplateErrors(std::string_view text) {
  SourceFile file("<t>", text);
  std::vector<Diagnostic> diagnostics;
  DiagnosticSink sink(&file, &diagnostics);
  std::map<std::string, const Expr*, std::less<>> params;
  CheckScope scope;
  scope.params = &params;
  EXPECT_FALSE(CompileTemplate(text, ExprLocation(1, 1), scope, RuleEnvironment(), &sink));
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics)
    out.push_back(std::to_string(d.column) + ": " + d.message);
  return out;
}

// Template errors: unknown fields inside placeholders, unclosed and empty placeholders.
TEST(RulesTemplateTest, CompileErrors) {
  EXPECT_EQ(TemplateErrors("Hi {{ customer.profil.name }} and {{ discont }}"),
            (std::vector<std::string>{
                "16: unknown field 'customer.profil.name' (did you mean 'profile'?)",
                "38: unknown name 'discont'"}));
  EXPECT_EQ(TemplateErrors("Hi {{ customer.id"),
            std::vector<std::string>{"4: '{{' without a closing '}}'"});
  EXPECT_EQ(TemplateErrors("Hi {{ }}"), std::vector<std::string>{"4: empty placeholder '{{ }}'"});
}

// Text without placeholders is one literal segment; "}}" alone is literal text.
TEST(RulesTemplateTest, LiteralText) {
  SourceFile file("<t>", "");
  std::vector<Diagnostic> diagnostics;
  DiagnosticSink sink(&file, &diagnostics);
  std::optional<Template> t = CompileTemplate("50% off }} today", ExprLocation(1, 1), CheckScope(),
                                              RuleEnvironment(), &sink);
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->segments.size(), 1u);
  EXPECT_EQ(t->segments[0].text, "50% off }} today");
}

}  // namespace
}  // namespace touchstream::rules
