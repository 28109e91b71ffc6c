#include "rules/parser.h"

#include <gtest/gtest.h>

namespace touchstream::rules {
namespace {

struct Parsed {
  std::string canonical;
  std::vector<std::string> errors;
};

Parsed Parse(std::string_view text, ParserLimits limits = ParserLimits()) {
  SourceFile file("<expr>", text);
  std::vector<Diagnostic> diagnostics;
  DiagnosticSink sink(&file, &diagnostics);
  ExprPtr expr = ParseExpression(text, ExprLocation(1, 1), limits, &sink);
  Parsed parsed;
  if (expr) parsed.canonical = CanonicalText(*expr);
  for (const Diagnostic& d : diagnostics) {
    parsed.errors.push_back(std::to_string(d.column) + ": " + d.message);
  }
  return parsed;
}

// Binary operators bind by precedence: * over +, + over comparison, && over ||.
TEST(RulesParserTest, Precedence) {
  EXPECT_EQ(Parse("a || b && c == 1 + 2 * 3").canonical, "a || (b && (c == (1 + (2 * 3))))");
  EXPECT_EQ(Parse("1 - 2 - 3").canonical, "(1 - 2) - 3");
  EXPECT_EQ(Parse("!a && -b < c").canonical, "!a && (-b < c)");
  EXPECT_EQ(Parse("(a || b) && c").canonical, "(a || b) && c");
  EXPECT_EQ(Parse("x in [1, 2] || y").canonical, "(x in [1, 2]) || y");
}

// ?: is right-associative and binds looser than ||.
TEST(RulesParserTest, Ternary) {
  EXPECT_EQ(Parse("a || b ? 1 : c ? 2 : 3").canonical, "(a || b) ? 1 : (c ? 2 : 3)");
}

// Member access, indexing, global and receiver calls are postfix and bind tightest.
TEST(RulesParserTest, PostfixForms) {
  EXPECT_EQ(Parse("-event.properties['amount']").canonical, "-event.properties[\"amount\"]");
  EXPECT_EQ(Parse("s.startsWith('a') && size(l) > 2").canonical,
            "s.startsWith(\"a\") && (size(l) > 2)");
  EXPECT_EQ(Parse("has(customer.profile.vip)").canonical, "has(customer.profile.vip)");
  EXPECT_EQ(Parse("event.properties.in").canonical, "event.properties.in");
}

// Literals of every kind print back canonically; negative numbers are folded.
TEST(RulesParserTest, Literals) {
  EXPECT_EQ(Parse("[1, -2, 2.5, 'a', true, null, 36h, 1h30m,]").canonical,
            "[1, -2, 2.5, \"a\", true, null, 1d12h, 1h30m]");
}

// A syntax error is reported at its column with what was expected.
TEST(RulesParserTest, ErrorPositions) {
  EXPECT_EQ(Parse("a + ").errors,
            std::vector<std::string>{"5: expected an expression, found end of expression"});
  EXPECT_EQ(Parse("(a + b").errors,
            std::vector<std::string>{"7: expected ')' to close '(', found end of expression"});
  EXPECT_EQ(Parse("a b").errors,
            std::vector<std::string>{"3: unexpected 'b' after the expression"});
  EXPECT_EQ(Parse("").errors, std::vector<std::string>{"1: empty expression"});
  EXPECT_EQ(Parse("a.1").errors,
            std::vector<std::string>{"3: expected a field name after '.', found '1'"});
}

// After an error the parser resynchronizes and reports later errors in the same pass.
TEST(RulesParserTest, RecoveryReportsSeveralErrors) {
  const Parsed parsed = Parse("a > > 1 || b == == 2 && f(1,, 2) && x = 3");
  EXPECT_EQ(parsed.errors, (std::vector<std::string>{
                               "5: expected an expression, found '>'",
                               "17: expected an expression, found '=='",
                               "29: expected an expression, found ','",
                               "39: unexpected '=' (did you mean '=='?)",
                           }));
}

// Nesting deeper than the limit is one error, not a stack overflow.
TEST(RulesParserTest, DepthLimit) {
  ParserLimits limits;
  limits.max_depth = 10;
  EXPECT_TRUE(Parse(std::string(8, '(') + "1" + std::string(8, ')'), limits).errors.empty());
  const Parsed deep = Parse(std::string(20, '(') + "1" + std::string(20, ')'), limits);
  EXPECT_EQ(deep.errors, std::vector<std::string>{"11: expression nests deeper than 10 levels"});
  EXPECT_EQ(Parse(std::string(100000, '!') + "a").errors,
            std::vector<std::string>{"65: expression nests deeper than 64 levels"});
}

// List literals longer than the limit are rejected.
TEST(RulesParserTest, ListLimit) {
  ParserLimits limits;
  limits.max_list_size = 2;
  EXPECT_EQ(Parse("[1, 2, 3]", limits).errors,
            std::vector<std::string>{"1: list literal has 3 elements; the limit is 2"});
}

}  // namespace
}  // namespace touchstream::rules
