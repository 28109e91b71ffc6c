#include "rules/compiler.h"

#include <gtest/gtest.h>

#include "expr_tester.h"

namespace touchstream::rules {
namespace {

using testing::ExprTester;
using testing::IntValue;
using testing::StringValue;

std::shared_ptr<const Program> CompileOk(ExprTester& t, std::string_view text) {
  std::vector<Diagnostic> diagnostics;
  auto program = t.Compile(text, &diagnostics);
  EXPECT_NE(program, nullptr) << text;
  return program;
}

const ProgramNode& Operand(const Program& program, const ProgramNode& node, uint32_t i) {
  return program.nodes[program.args[node.first_arg + i]];
}

// Constant subexpressions are computed once, at compile time.
TEST(RulesCompilerTest, FoldsConstantSubexpressions) {
  ExprTester t;
  auto program = CompileOk(t, "event.properties.amount > 2 * 50 + 0.5");
  const ProgramNode& constant = Operand(*program, program->nodes[program->root], 1);
  EXPECT_EQ(constant.op, OpCode::kFolded);
  EXPECT_EQ(constant.constant.type, ValueType::kDouble);
  EXPECT_EQ(constant.constant.d, 100.5);
  EXPECT_EQ(constant.weight, 5);  // +, *, 2, 50, 0.5
  t.SetProperty("amount", IntValue(101));
  EXPECT_EQ(t.Eval("event.properties.amount > 2 * 50 + 0.5"), "bool:true");
}

// Folded strings and lists live in the program, not in the evaluation's scratch memory.
TEST(RulesCompilerTest, FoldedStringsAndListsOutliveScratch) {
  ExprTester t;
  auto program = CompileOk(t, "lower('AB') + 'c'");
  EXPECT_EQ(program->nodes[program->root].op, OpCode::kFolded);
  EXPECT_EQ(t.Eval("lower('AB') + 'c'"), "string:abc");
  EXPECT_EQ(t.Eval("upper('xyz') + 'xyz'"), "string:XYZxyz");  // reuses the scratch arena
  EXPECT_EQ(t.Eval("lower('AB') + 'c'"), "string:abc");
  auto list = CompileOk(t, "[1 + 1, 3]");
  EXPECT_EQ(list->nodes[list->root].op, OpCode::kFolded);
  t.SetProperty("qty", IntValue(2));
  EXPECT_EQ(t.Eval("event.properties.qty in [1 + 1, 3]"), "bool:true");
  EXPECT_EQ(t.Eval("[[1 + 1], ['a' + 'b']]"), "list:[[2], [ab]]");
}

// What cannot be folded stays an operation: a run-time error keeps its position, and the
// time functions read `now` at each evaluation.
TEST(RulesCompilerTest, KeepsErrorsAndTimeFunctionsForRunTime) {
  ExprTester t;
  auto division = CompileOk(t, "1 / 0");
  EXPECT_EQ(division->nodes[division->root].op, OpCode::kDiv);
  EXPECT_EQ(t.Eval("1 / 0"), "error:<expr>:1:3: division by zero");
  const std::string days = "days_since(timestamp('2026-01-01T00:00:00Z'))";
  auto program = CompileOk(t, days);
  EXPECT_EQ(program->nodes[program->root].op, OpCode::kCall);
  t.now_ms = 1767225600000 + 86400000;  // 2026-01-02T00:00:00Z
  EXPECT_EQ(t.Eval(days), "double:1");
  t.now_ms += 86400000;
  EXPECT_EQ(t.Eval(days), "double:2");
}

// Step counting sees the expression as written: a folded subtree costs its own steps, and
// when they cross the limit the error names the node it names without folding.
TEST(RulesCompilerTest, FoldedSubtreesCountTheirSteps) {
  ExprTester t;
  t.event.set_channel("web");
  t.env.max_eval_steps = 7;  // ==, event.channel, +, +, 'a', 'b', 'c'
  EXPECT_EQ(t.Eval("event.channel == 'a' + 'b' + 'c'"), "bool:false");
  t.env.max_eval_steps = 5;
  EXPECT_EQ(t.Eval("event.channel == 'a' + 'b' + 'c'"),
            "error:<expr>:1:24: evaluation exceeded the step limit (5)");
  t.env.max_eval_steps = 6;
  EXPECT_EQ(t.Eval("(1 + 1) * (2 + 2) + 1"),
            "error:<expr>:1:12: evaluation exceeded the step limit (6)");
}

// A map-backed field read more than once gets a cache slot, filled once per evaluation.
TEST(RulesCompilerTest, CachesRepeatedMapFields) {
  ExprTester t;
  const std::string text = "has(customer.profile.tier) && customer.profile.tier == 'gold'";
  EXPECT_EQ(CompileOk(t, text)->field_slots, 1);
  EXPECT_EQ(t.Eval(text), "bool:false");
  t.SetProfile("tier", StringValue("gold"));
  EXPECT_EQ(t.Eval(text), "bool:true");
  t.SetProfile("tier", StringValue("silver"));  // a new evaluation reads the new value
  EXPECT_EQ(t.Eval(text), "bool:false");
  // Plain fields are not cached; different keys are different fields.
  EXPECT_EQ(CompileOk(t,
                      "customer.aggregates.total_spend > 1.0 && "
                      "customer.aggregates.total_spend < 2.0")
                ->field_slots,
            0);
  EXPECT_EQ(CompileOk(t, "customer.profile.a == customer.profile.b")->field_slots, 0);
}

}  // namespace
}  // namespace touchstream::rules
