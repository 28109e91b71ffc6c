// Lexer of the rule expression language (CEL syntax): turns expression text into tokens.
// Malformed input (bad escapes, unterminated strings, unknown characters, numbers that
// overflow) becomes kError tokens carrying a message; the parser reports them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace touchstream::rules {

enum class TokenKind {
  kEnd,
  kError,
  kInt,
  kDouble,
  kString,
  kDuration,
  kIdent,
  kTrue,
  kFalse,
  kNull,
  kIn,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kDot,
  kComma,
  kQuestion,
  kColon,
  kNot,
  kAnd,
  kOr,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  int offset = 0;            // byte offset in the expression text
  std::string_view text;     // the token's source text
  int64_t int_value = 0;     // kInt; kDuration in milliseconds
  double double_value = 0;   // kDouble
  std::string string_value;  // kString (unescaped); kError: the message
};

// Printable spelling of a token kind for messages ("'&&'", "a number", "end of expression").
std::string TokenKindName(TokenKind kind);

struct LexerLimits {
  // Longest string literal accepted, in bytes after unescaping.
  size_t max_string_literal_bytes = 4096;
};

// Tokenizes `text`; the result always ends with a kEnd token. Tokens' text views point into
// `text`, which must outlive them.
std::vector<Token> Tokenize(std::string_view text, const LexerLimits& limits);

}  // namespace touchstream::rules
