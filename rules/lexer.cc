#include "rules/lexer.h"

#include <charconv>

#include "base/duration.h"

namespace touchstream::rules {

std::string TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEnd:
      return "end of expression";
    case TokenKind::kError:
      return "an invalid token";
    case TokenKind::kInt:
      return "an integer";
    case TokenKind::kDouble:
      return "a number";
    case TokenKind::kString:
      return "a string";
    case TokenKind::kDuration:
      return "a duration";
    case TokenKind::kIdent:
      return "a name";
    case TokenKind::kTrue:
      return "'true'";
    case TokenKind::kFalse:
      return "'false'";
    case TokenKind::kNull:
      return "'null'";
    case TokenKind::kIn:
      return "'in'";
    case TokenKind::kLParen:
      return "'('";
    case TokenKind::kRParen:
      return "')'";
    case TokenKind::kLBracket:
      return "'['";
    case TokenKind::kRBracket:
      return "']'";
    case TokenKind::kDot:
      return "'.'";
    case TokenKind::kComma:
      return "','";
    case TokenKind::kQuestion:
      return "'?'";
    case TokenKind::kColon:
      return "':'";
    case TokenKind::kNot:
      return "'!'";
    case TokenKind::kAnd:
      return "'&&'";
    case TokenKind::kOr:
      return "'||'";
    case TokenKind::kEq:
      return "'=='";
    case TokenKind::kNe:
      return "'!='";
    case TokenKind::kLt:
      return "'<'";
    case TokenKind::kLe:
      return "'<='";
    case TokenKind::kGt:
      return "'>'";
    case TokenKind::kGe:
      return "'>='";
    case TokenKind::kPlus:
      return "'+'";
    case TokenKind::kMinus:
      return "'-'";
    case TokenKind::kStar:
      return "'*'";
    case TokenKind::kSlash:
      return "'/'";
    case TokenKind::kPercent:
      return "'%'";
  }
  return "a token";
}

namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || IsDigit(c);
}

struct Punct {
  std::string_view text;
  TokenKind kind;
};
// Two-character operators first so that "<=" wins over "<".
constexpr Punct kPunctuation[] = {
    {"&&", TokenKind::kAnd},     {"||", TokenKind::kOr},    {"==", TokenKind::kEq},
    {"!=", TokenKind::kNe},      {"<=", TokenKind::kLe},    {">=", TokenKind::kGe},
    {"(", TokenKind::kLParen},   {")", TokenKind::kRParen}, {"[", TokenKind::kLBracket},
    {"]", TokenKind::kRBracket}, {".", TokenKind::kDot},    {",", TokenKind::kComma},
    {"?", TokenKind::kQuestion}, {":", TokenKind::kColon},  {"!", TokenKind::kNot},
    {"<", TokenKind::kLt},       {">", TokenKind::kGt},     {"+", TokenKind::kPlus},
    {"-", TokenKind::kMinus},    {"*", TokenKind::kStar},   {"/", TokenKind::kSlash},
    {"%", TokenKind::kPercent},
};

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Lexer {
 public:
  Lexer(std::string_view text, const LexerLimits& limits) : text_(text), limits_(limits) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                     text_[pos_] == '\n' || text_[pos_] == '\r')) {
        ++pos_;
      }
      if (pos_ >= text_.size()) break;
      tokens.push_back(Next());
    }
    Token end;
    end.kind = TokenKind::kEnd;
    end.offset = static_cast<int>(text_.size());
    tokens.push_back(end);
    return tokens;
  }

 private:
  Token Next() {
    const size_t start = pos_;
    const char c = text_[pos_];
    Token token;
    token.offset = static_cast<int>(start);
    if (IsDigit(c)) {
      Number(&token);
    } else if (c == '"' || c == '\'') {
      String(&token);
    } else if (IsIdentStart(c)) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      const std::string_view word = text_.substr(start, pos_ - start);
      token.kind = word == "true"    ? TokenKind::kTrue
                   : word == "false" ? TokenKind::kFalse
                   : word == "null"  ? TokenKind::kNull
                   : word == "in"    ? TokenKind::kIn
                                     : TokenKind::kIdent;
    } else {
      token.kind = TokenKind::kError;
      for (const Punct& p : kPunctuation) {
        if (text_.substr(pos_, p.text.size()) == p.text) {
          token.kind = p.kind;
          pos_ += p.text.size();
          break;
        }
      }
      if (token.kind == TokenKind::kError) {
        ++pos_;
        token.string_value =
            c == '&' || c == '|' || c == '='
                ? std::string("unexpected '") + c + "' (did you mean '" + c + c + "'?)"
                : std::string("unexpected character '") + c + "'";
      }
    }
    token.text = text_.substr(start, pos_ - start);
    return token;
  }

  void Number(Token* token) {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    bool is_double = false;
    if (pos_ + 1 < text_.size() && text_[pos_] == '.' && IsDigit(text_[pos_ + 1])) {
      is_double = true;
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p < text_.size() && IsDigit(text_[p])) {
        is_double = true;
        pos_ = p;
        while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      }
    }
    if (!is_double && pos_ < text_.size() && IsIdentStart(text_[pos_])) {
      pos_ = start;
      int64_t ms = 0;
      if (ReadDuration(text_, &pos_, &ms) && (pos_ >= text_.size() || !IsIdentChar(text_[pos_]))) {
        token->kind = TokenKind::kDuration;
        token->int_value = ms;
        return;
      }
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      token->kind = TokenKind::kError;
      token->string_value = ParseDuration(text_.substr(start, pos_ - start)).status().message();
      return;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (is_double) {
      token->kind = TokenKind::kDouble;
      auto [end, ec] = std::from_chars(first, last, token->double_value);
      if (ec != std::errc()) {
        token->kind = TokenKind::kError;
        token->string_value = "number out of range";
      }
    } else {
      token->kind = TokenKind::kInt;
      auto [end, ec] = std::from_chars(first, last, token->int_value);
      if (ec != std::errc()) {
        token->kind = TokenKind::kError;
        token->string_value = "integer out of range (the largest is 9223372036854775807)";
      }
    }
  }

  void String(Token* token) {
    const char quote = text_[pos_++];
    std::string value;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') {
        token->kind = TokenKind::kError;
        token->string_value = "unterminated string (missing closing " + std::string(1, quote) + ")";
        return;
      }
      const char c = text_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        value.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) continue;  // reported as unterminated on the next round
      const char e = text_[pos_++];
      switch (e) {
        case 'n':
          value.push_back('\n');
          break;
        case 't':
          value.push_back('\t');
          break;
        case 'r':
          value.push_back('\r');
          break;
        case '\\':
        case '\'':
        case '"':
          value.push_back(e);
          break;
        case 'u': {
          uint32_t cp = 0;
          if (pos_ + 4 > text_.size() ||
              std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, cp, 16).ptr !=
                  text_.data() + pos_ + 4) {
            token->kind = TokenKind::kError;
            token->string_value = "invalid \\u escape (expected 4 hex digits)";
            pos_ = std::min(text_.size(), pos_ + 4);
            SkipToQuote(quote);
            return;
          }
          pos_ += 4;
          AppendUtf8(cp, &value);
          break;
        }
        default:
          token->kind = TokenKind::kError;
          token->string_value = std::string("invalid escape '\\") + e + "' in string";
          SkipToQuote(quote);
          return;
      }
    }
    if (value.size() > limits_.max_string_literal_bytes) {
      token->kind = TokenKind::kError;
      token->string_value = "string literal longer than " +
                            std::to_string(limits_.max_string_literal_bytes) + " bytes";
      return;
    }
    token->kind = TokenKind::kString;
    token->string_value = std::move(value);
  }

  void SkipToQuote(char quote) {
    while (pos_ < text_.size() && text_[pos_] != quote && text_[pos_] != '\n') {
      pos_ += text_[pos_] == '\\' ? 2 : 1;
    }
    if (pos_ < text_.size() && text_[pos_] == quote) ++pos_;
    pos_ = std::min(pos_, text_.size());
  }

  std::string_view text_;
  const LexerLimits& limits_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Token> Tokenize(std::string_view text, const LexerLimits& limits) {
  return Lexer(text, limits).Run();
}

}  // namespace touchstream::rules
