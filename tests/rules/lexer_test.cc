#include "rules/lexer.h"

#include <gtest/gtest.h>

namespace touchstream::rules {
namespace {

std::vector<TokenKind> Kinds(std::string_view text) {
  std::vector<TokenKind> kinds;
  for (const Token& t : Tokenize(text, LexerLimits())) kinds.push_back(t.kind);
  return kinds;
}

// Operators are split greedily (two-character operators win) and carry their offsets.
TEST(RulesLexerTest, OperatorsAndOffsets) {
  const std::vector<Token> tokens = Tokenize("a<=b && !c", LexerLimits());
  ASSERT_EQ(tokens.size(), 7u);
  EXPECT_EQ(tokens[0].kind, TokenKind::kIdent);
  EXPECT_EQ(tokens[1].kind, TokenKind::kLe);
  EXPECT_EQ(tokens[1].offset, 1);
  EXPECT_EQ(tokens[3].kind, TokenKind::kAnd);
  EXPECT_EQ(tokens[3].offset, 5);
  EXPECT_EQ(tokens[4].kind, TokenKind::kNot);
  EXPECT_EQ(tokens[5].text, "c");
  EXPECT_EQ(tokens[6].kind, TokenKind::kEnd);
  EXPECT_EQ(tokens[6].offset, 10);
}

// Keywords, identifiers and all punctuation map to their kinds.
TEST(RulesLexerTest, KeywordsAndPunctuation) {
  EXPECT_EQ(Kinds("true false null in x_1 ( ) [ ] . , ? : == != < > >= + - * / % ||"),
            (std::vector<TokenKind>{
                TokenKind::kTrue,     TokenKind::kFalse,  TokenKind::kNull,    TokenKind::kIn,
                TokenKind::kIdent,    TokenKind::kLParen, TokenKind::kRParen,  TokenKind::kLBracket,
                TokenKind::kRBracket, TokenKind::kDot,    TokenKind::kComma,   TokenKind::kQuestion,
                TokenKind::kColon,    TokenKind::kEq,     TokenKind::kNe,      TokenKind::kLt,
                TokenKind::kGt,       TokenKind::kGe,     TokenKind::kPlus,    TokenKind::kMinus,
                TokenKind::kStar,     TokenKind::kSlash,  TokenKind::kPercent, TokenKind::kOr,
                TokenKind::kEnd}));
}

// Integers, doubles with fraction or exponent, and duration literals with every unit.
TEST(RulesLexerTest, Numbers) {
  const std::vector<Token> t = Tokenize("42 2.5 1e3 7d 36h 30m 10s 250ms 1h30m", LexerLimits());
  EXPECT_EQ(t[0].kind, TokenKind::kInt);
  EXPECT_EQ(t[0].int_value, 42);
  EXPECT_EQ(t[1].kind, TokenKind::kDouble);
  EXPECT_EQ(t[1].double_value, 2.5);
  EXPECT_EQ(t[2].kind, TokenKind::kDouble);
  EXPECT_EQ(t[2].double_value, 1000.0);
  EXPECT_EQ(t[3].kind, TokenKind::kDuration);
  EXPECT_EQ(t[3].int_value, 7 * 86400000LL);
  EXPECT_EQ(t[4].int_value, 36 * 3600000LL);
  EXPECT_EQ(t[5].int_value, 30 * 60000LL);
  EXPECT_EQ(t[6].int_value, 10000);
  EXPECT_EQ(t[7].int_value, 250);
  EXPECT_EQ(t[8].int_value, 5400000);
}

// Strings in both quote styles, with escapes including \u.
TEST(RulesLexerTest, Strings) {
  const std::vector<Token> t = Tokenize(R"('it\'s' "a\"b\n" "\u00e9")", LexerLimits());
  EXPECT_EQ(t[0].kind, TokenKind::kString);
  EXPECT_EQ(t[0].string_value, "it's");
  EXPECT_EQ(t[1].string_value, "a\"b\n");
  EXPECT_EQ(t[2].string_value, "\xc3\xa9");
}

// Malformed input becomes error tokens with a message, and lexing continues.
TEST(RulesLexerTest, Errors) {
  const std::vector<Token> t = Tokenize("7x 'abc 99999999999999999999 a = b #", LexerLimits());
  EXPECT_EQ(t[0].kind, TokenKind::kError);
  EXPECT_EQ(
      t[0].string_value,
      "invalid duration '7x': unknown unit 'x' (use a number with a unit ms, s, m, h, d or w, e.g. "
      "36h, 1h30m or 2w)");
  EXPECT_EQ(t[1].kind, TokenKind::kError);
  EXPECT_EQ(t[1].string_value, "unterminated string (missing closing ')");
  EXPECT_EQ(t[2].kind, TokenKind::kEnd);  // the unterminated string ate the rest of the line
  const std::vector<Token> u = Tokenize("99999999999999999999 a = b #", LexerLimits());
  EXPECT_EQ(u[0].string_value, "integer out of range (the largest is 9223372036854775807)");
  EXPECT_EQ(u[2].string_value, "unexpected '=' (did you mean '=='?)");
  EXPECT_EQ(u[4].string_value, "unexpected character '#'");
}

// String literals longer than the configured limit are rejected.
TEST(RulesLexerTest, StringLiteralLimit) {
  LexerLimits limits;
  limits.max_string_literal_bytes = 3;
  EXPECT_EQ(Tokenize("'abc'", limits)[0].kind, TokenKind::kString);
  const Token t = Tokenize("'abcd'", limits)[0];
  EXPECT_EQ(t.kind, TokenKind::kError);
  EXPECT_EQ(t.string_value, "string literal longer than 3 bytes");
}

// Duration literals use the shared grammar (base/duration.h), weeks included.
TEST(RulesLexerTest, DurationLiteralInWeeks) {
  const std::vector<Token> tokens = Tokenize("2w1d", LexerLimits{});
  ASSERT_EQ(tokens[0].kind, TokenKind::kDuration);
  EXPECT_EQ(tokens[0].int_value, 15 * 86400000LL);
}

}  // namespace
}  // namespace touchstream::rules
