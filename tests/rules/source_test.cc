#include "rules/source.h"

#include <gtest/gtest.h>

namespace touchstream::rules {
namespace {

// A diagnostic prints like a compiler error with the line and a caret under the column.
TEST(RulesSourceTest, DiagnosticToString) {
  Diagnostic d{"rules/cart.yaml", 7, 5, "unknown field 'x'", "    x > 1"};
  EXPECT_EQ(d.ToString(), "rules/cart.yaml:7:5: error: unknown field 'x'\n    x > 1\n    ^");
  Diagnostic file_level{"rules/missing.yaml", 0, 0, "no such file or directory", ""};
  EXPECT_EQ(file_level.ToString(), "rules/missing.yaml: error: no such file or directory");
  Diagnostic tabs{"f", 1, 3, "m", "\tab"};
  EXPECT_EQ(tabs.ToString(), "f:1:3: error: m\n\tab\n\t ^");
}

// Plain and quoted single-line scalars map offsets to exact columns.
TEST(RulesSourceTest, SingleLineScalars) {
  const SourceFile file("f", "a: x > 1\nb: \"y < 2\"\n");
  int line = 0, column = 0;
  ExprLocation::ForScalar(file, 0, 3, "x > 1").Map(4, &line, &column);
  EXPECT_EQ(line, 1);
  EXPECT_EQ(column, 8);
  ExprLocation::ForScalar(file, 1, 3, "y < 2").Map(2, &line, &column);
  EXPECT_EQ(line, 2);
  EXPECT_EQ(column, 7);
}

// Block scalars map each value line to its file line after the indentation.
TEST(RulesSourceTest, BlockScalar) {
  const SourceFile file("f", "c: |\n  a &&\n    b\nd: 1\n");
  const ExprLocation location = ExprLocation::ForScalar(file, 0, 3, "a &&\n  b\n");
  int line = 0, column = 0;
  location.Map(0, &line, &column);
  EXPECT_EQ(line, 2);
  EXPECT_EQ(column, 3);
  location.Map(7, &line, &column);  // 'b'
  EXPECT_EQ(line, 3);
  EXPECT_EQ(column, 5);
}

// Folded plain scalars continue on the next lines.
TEST(RulesSourceTest, FoldedPlainScalar) {
  const SourceFile file("f", "c: a &&\n   b\n");
  const ExprLocation location = ExprLocation::ForScalar(file, 0, 3, "a && b");
  int line = 0, column = 0;
  location.Map(5, &line, &column);
  EXPECT_EQ(line, 2);
  EXPECT_EQ(column, 4);
  location.Sub(5).Map(0, &line, &column);
  EXPECT_EQ(line, 2);
  EXPECT_EQ(column, 4);
}

// Suggestions are offered only for likely typos.
TEST(RulesSourceTest, ClosestMatch) {
  const std::vector<std::string_view> words = {"total_spend", "event_count", "max_purchase"};
  EXPECT_EQ(ClosestMatch("total_spnd", words), "total_spend");
  EXPECT_EQ(ClosestMatch("evnt_count", words), "event_count");
  EXPECT_EQ(ClosestMatch("zebra", words), "");
}

}  // namespace
}  // namespace touchstream::rules
