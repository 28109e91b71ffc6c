#include "rules/parser.h"

#include <array>

namespace touchstream::rules {

namespace {

enum Precedence : int {
  kNone = 0,
  kTernary,
  kOr,
  kAnd,
  kRelation,
  kAdditive,
  kMultiplicative,
  kUnary,
  kPostfix,
};

class Parser;
using PrefixHandler = ExprPtr (Parser::*)(const Token& token);
using InfixHandler = ExprPtr (Parser::*)(ExprPtr left, const Token& token);

struct ParseRule {
  PrefixHandler prefix = nullptr;
  InfixHandler infix = nullptr;
  Precedence precedence = kNone;
};

constexpr size_t kTokenKinds = static_cast<size_t>(TokenKind::kPercent) + 1;

class Parser {
 public:
  Parser(std::string_view text, const ExprLocation& location, const ParserLimits& limits,
         DiagnosticSink* sink)
      : tokens_(Tokenize(text, limits.lexer)), location_(location), limits_(limits), sink_(sink) {}

  ExprPtr Run() {
    if (Peek().kind == TokenKind::kEnd) {
      Error(Peek(), "empty expression");
      return nullptr;
    }
    ExprPtr expr = Parse(kTernary);
    if (Peek().kind == TokenKind::kError) {
      Error(Peek(), Peek().string_value);
    } else if (Peek().kind != TokenKind::kEnd) {
      Error(Peek(), "unexpected " + Describe(Peek()) + " after the expression");
    }
    return expr;
  }

  // Handlers referenced from the table.
  ExprPtr Literal(const Token& token);
  ExprPtr Identifier(const Token& token);
  ExprPtr Group(const Token& token);
  ExprPtr ListLiteral(const Token& token);
  ExprPtr Unary(const Token& token);
  ExprPtr Binary(ExprPtr left, const Token& token);
  ExprPtr Ternary(ExprPtr left, const Token& token);
  ExprPtr Member(ExprPtr left, const Token& token);
  ExprPtr IndexOp(ExprPtr left, const Token& token);

 private:
  static const std::array<ParseRule, kTokenKinds>& Rules();
  static const ParseRule& RuleFor(TokenKind kind) { return Rules()[static_cast<size_t>(kind)]; }

  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Advance() {
    const Token& token = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }

  static std::string Describe(const Token& token) {
    if (token.kind == TokenKind::kEnd) return "end of expression";
    return "'" + std::string(token.text) + "'";
  }

  void Error(const Token& token, std::string message) {
    // One error per position, and none after giving up on a too deep expression.
    if (aborted_ || token.offset == last_error_offset_) return;
    last_error_offset_ = token.offset;
    sink_->ErrorAt(location_, token.offset, std::move(message));
  }

  ExprPtr Make(Expr::Kind kind, int offset) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->offset = offset;
    return e;
  }

  // Skips to a token where parsing can resume after an error.
  void Synchronize() {
    while (true) {
      switch (Peek().kind) {
        case TokenKind::kEnd:
        case TokenKind::kAnd:
        case TokenKind::kOr:
        case TokenKind::kComma:
        case TokenKind::kRParen:
        case TokenKind::kRBracket:
        case TokenKind::kQuestion:
        case TokenKind::kColon:
          return;
        default:
          Advance();
      }
    }
  }

  bool Expect(TokenKind kind, std::string_view context) {
    if (Peek().kind == kind) {
      Advance();
      return true;
    }
    Error(Peek(), "expected " + TokenKindName(kind) + " " + std::string(context) + ", found " +
                      Describe(Peek()));
    return false;
  }

  ExprPtr Parse(Precedence min_precedence) {
    if (aborted_) return Make(Expr::Kind::kError, Peek().offset);
    if (++depth_ > limits_.max_depth) {
      Error(Peek(),
            "expression nests deeper than " + std::to_string(limits_.max_depth) + " levels");
      aborted_ = true;
      while (Peek().kind != TokenKind::kEnd) Advance();
      --depth_;
      return Make(Expr::Kind::kError, Peek().offset);
    }
    const Token& token = Advance();
    ExprPtr left;
    if (token.kind == TokenKind::kError) {
      Error(token, token.string_value);
      Synchronize();
      left = Make(Expr::Kind::kError, token.offset);
    } else if (PrefixHandler prefix = RuleFor(token.kind).prefix) {
      left = (this->*prefix)(token);
    } else {
      Error(token, "expected an expression, found " + Describe(token));
      if (token.kind != TokenKind::kEnd) Synchronize();
      left = Make(Expr::Kind::kError, token.offset);
    }
    while (!aborted_ && RuleFor(Peek().kind).precedence >= min_precedence &&
           RuleFor(Peek().kind).infix != nullptr) {
      const Token& op = Advance();
      left = (this->*RuleFor(op.kind).infix)(std::move(left), op);
    }
    --depth_;
    return left;
  }

  // Parses "(args)" after the '(' has been consumed, appending to call->args.
  void Arguments(Expr* call) {
    if (Peek().kind != TokenKind::kRParen) {
      do {
        call->args.push_back(Parse(kTernary));
      } while (Peek().kind == TokenKind::kComma && (Advance(), true));
    }
    Expect(TokenKind::kRParen, "to close the argument list");
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  const ExprLocation& location_;
  const ParserLimits& limits_;
  DiagnosticSink* sink_;
  int depth_ = 0;
  int last_error_offset_ = -1;
  bool aborted_ = false;
};

const std::array<ParseRule, kTokenKinds>& Parser::Rules() {
  static const std::array<ParseRule, kTokenKinds> rules = [] {
    std::array<ParseRule, kTokenKinds> r{};
    auto set = [&r](TokenKind kind, PrefixHandler prefix, InfixHandler infix, Precedence p) {
      r[static_cast<size_t>(kind)] = ParseRule{prefix, infix, p};
    };
    for (TokenKind k :
         {TokenKind::kInt, TokenKind::kDouble, TokenKind::kString, TokenKind::kDuration,
          TokenKind::kTrue, TokenKind::kFalse, TokenKind::kNull}) {
      set(k, &Parser::Literal, nullptr, kNone);
    }
    set(TokenKind::kIdent, &Parser::Identifier, nullptr, kNone);
    set(TokenKind::kLParen, &Parser::Group, nullptr, kNone);
    set(TokenKind::kLBracket, &Parser::ListLiteral, &Parser::IndexOp, kPostfix);
    set(TokenKind::kDot, nullptr, &Parser::Member, kPostfix);
    set(TokenKind::kNot, &Parser::Unary, nullptr, kNone);
    set(TokenKind::kMinus, &Parser::Unary, &Parser::Binary, kAdditive);
    set(TokenKind::kPlus, nullptr, &Parser::Binary, kAdditive);
    for (TokenKind k : {TokenKind::kStar, TokenKind::kSlash, TokenKind::kPercent}) {
      set(k, nullptr, &Parser::Binary, kMultiplicative);
    }
    for (TokenKind k : {TokenKind::kEq, TokenKind::kNe, TokenKind::kLt, TokenKind::kLe,
                        TokenKind::kGt, TokenKind::kGe, TokenKind::kIn}) {
      set(k, nullptr, &Parser::Binary, kRelation);
    }
    set(TokenKind::kAnd, nullptr, &Parser::Binary, kAnd);
    set(TokenKind::kOr, nullptr, &Parser::Binary, kOr);
    set(TokenKind::kQuestion, nullptr, &Parser::Ternary, kTernary);
    return r;
  }();
  return rules;
}

ExprPtr Parser::Literal(const Token& token) {
  ExprPtr e = Make(Expr::Kind::kNull, token.offset);
  switch (token.kind) {
    case TokenKind::kInt:
      e->kind = Expr::Kind::kInt;
      e->int_value = token.int_value;
      break;
    case TokenKind::kDouble:
      e->kind = Expr::Kind::kDouble;
      e->double_value = token.double_value;
      break;
    case TokenKind::kString:
      e->kind = Expr::Kind::kString;
      e->text = token.string_value;
      break;
    case TokenKind::kDuration:
      e->kind = Expr::Kind::kDuration;
      e->int_value = token.int_value;
      break;
    case TokenKind::kTrue:
      e->kind = Expr::Kind::kBool;
      e->bool_value = true;
      break;
    case TokenKind::kFalse:
      e->kind = Expr::Kind::kBool;
      e->bool_value = false;
      break;
    default:
      break;  // kNull
  }
  return e;
}

ExprPtr Parser::Identifier(const Token& token) {
  if (Peek().kind != TokenKind::kLParen) {
    ExprPtr e = Make(Expr::Kind::kIdent, token.offset);
    e->text = std::string(token.text);
    return e;
  }
  Advance();
  ExprPtr call = Make(Expr::Kind::kCall, token.offset);
  call->text = std::string(token.text);
  Arguments(call.get());
  return call;
}

ExprPtr Parser::Group(const Token&) {
  ExprPtr inner = Parse(kTernary);
  Expect(TokenKind::kRParen, "to close '('");
  return inner;
}

ExprPtr Parser::ListLiteral(const Token& token) {
  ExprPtr list = Make(Expr::Kind::kList, token.offset);
  if (Peek().kind != TokenKind::kRBracket) {
    do {
      if (Peek().kind == TokenKind::kRBracket) break;  // trailing comma
      list->args.push_back(Parse(kTernary));
    } while (Peek().kind == TokenKind::kComma && (Advance(), true));
  }
  if (list->args.size() > limits_.max_list_size) {
    Error(token, "list literal has " + std::to_string(list->args.size()) +
                     " elements; the limit is " + std::to_string(limits_.max_list_size));
  }
  Expect(TokenKind::kRBracket, "to close the list");
  return list;
}

ExprPtr Parser::Unary(const Token& token) {
  ExprPtr operand = Parse(kUnary);
  // Fold a negative number literal so that "-5" is a constant.
  if (token.kind == TokenKind::kMinus && operand->kind == Expr::Kind::kInt) {
    operand->int_value = -operand->int_value;
    operand->offset = token.offset;
    return operand;
  }
  if (token.kind == TokenKind::kMinus && operand->kind == Expr::Kind::kDouble) {
    operand->double_value = -operand->double_value;
    operand->offset = token.offset;
    return operand;
  }
  ExprPtr e = Make(Expr::Kind::kUnary, token.offset);
  e->op = token.kind;
  e->args.push_back(std::move(operand));
  return e;
}

ExprPtr Parser::Binary(ExprPtr left, const Token& token) {
  const Precedence precedence = RuleFor(token.kind).precedence;
  ExprPtr right = Parse(static_cast<Precedence>(precedence + 1));
  ExprPtr e = Make(Expr::Kind::kBinary, token.offset);
  e->op = token.kind;
  e->args.push_back(std::move(left));
  e->args.push_back(std::move(right));
  return e;
}

ExprPtr Parser::Ternary(ExprPtr left, const Token& token) {
  ExprPtr e = Make(Expr::Kind::kTernary, token.offset);
  e->args.push_back(std::move(left));
  e->args.push_back(Parse(kTernary));
  Expect(TokenKind::kColon, "in '?:'");
  e->args.push_back(Parse(kTernary));
  return e;
}

ExprPtr Parser::Member(ExprPtr left, const Token& token) {
  const Token& name = Peek();
  // Keywords are fine as field names: event.properties.in
  const bool is_name = name.kind == TokenKind::kIdent || name.kind == TokenKind::kIn ||
                       name.kind == TokenKind::kTrue || name.kind == TokenKind::kFalse ||
                       name.kind == TokenKind::kNull;
  if (!is_name) {
    Error(name, "expected a field name after '.', found " + Describe(name));
    Synchronize();
    return Make(Expr::Kind::kError, token.offset);
  }
  Advance();
  if (Peek().kind == TokenKind::kLParen) {
    Advance();
    ExprPtr call = Make(Expr::Kind::kCall, name.offset);
    call->text = std::string(name.text);
    call->receiver_call = true;
    call->args.push_back(std::move(left));
    Arguments(call.get());
    return call;
  }
  ExprPtr e = Make(Expr::Kind::kSelect, name.offset);
  e->text = std::string(name.text);
  e->args.push_back(std::move(left));
  return e;
}

ExprPtr Parser::IndexOp(ExprPtr left, const Token& token) {
  ExprPtr e = Make(Expr::Kind::kIndex, token.offset);
  e->args.push_back(std::move(left));
  e->args.push_back(Parse(kTernary));
  Expect(TokenKind::kRBracket, "to close '['");
  return e;
}

}  // namespace

ExprPtr ParseExpression(std::string_view text, const ExprLocation& location,
                        const ParserLimits& limits, DiagnosticSink* sink) {
  return Parser(text, location, limits, sink).Run();
}

}  // namespace touchstream::rules
