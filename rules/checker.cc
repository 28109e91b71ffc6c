#include "rules/checker.h"

#include <algorithm>

#include "rules/builtins.h"
#include "rules/field_catalog.h"

namespace touchstream::rules {

namespace {

using T = ValueType;
constexpr std::string_view kRoots[] = {"event", "customer", "rule", "now"};

struct Segment {
  std::string_view name;
  int offset;
};

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

bool IsParameter(std::string_view s) {
  return s.size() > 2 && s.front() == '<';
}

std::string Join(const std::vector<Segment>& segments, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < segments.size(); ++i) {
    if (i > 0) out += '.';
    out += segments[i].name;
  }
  return out;
}

std::string Quoted(T type) {
  return std::string(ValueTypeName(type));
}

class Checker {
 public:
  Checker(const CheckScope& scope, const RuleEnvironment& env, const ExprLocation& location,
          DiagnosticSink* sink)
      : scope_(scope), env_(env), location_(location), sink_(sink) {}

  T Check(Expr* e) {
    e->type = Infer(e);
    return e->type;
  }

  int errors() const { return errors_; }

 private:
  void Error(int offset, std::string message) {
    ++errors_;
    sink_->ErrorAt(location_, offset, std::move(message));
  }

  // One builtin call as its registry type rule sees it.
  class CallCheck final : public BuiltinTypeCheck {
   public:
    CallCheck(Checker* checker, const Expr* call) : checker_(checker), call_(call) {}
    std::string_view name() const override { return call_->text; }
    const std::vector<ExprPtr>& args() const override { return call_->args; }
    void ErrorAtCall(std::string message) override {
      checker_->Error(call_->offset, std::move(message));
    }
    void ErrorAtArg(size_t index, std::string message) override {
      checker_->Error(call_->args[index]->offset, std::move(message));
    }

   private:
    Checker* checker_;
    const Expr* call_;
  };

  bool IsParam(std::string_view name) const {
    return scope_.params != nullptr && scope_.params->find(name) != scope_.params->end();
  }
  bool IsRoot(std::string_view name) const {
    return !IsParam(name) &&
           std::find(std::begin(kRoots), std::end(kRoots), name) != std::end(kRoots);
  }

  // Collects an Ident/Select/Index-with-string-literal chain starting at a root name.
  bool CollectPath(const Expr* e, std::vector<Segment>* out) const {
    switch (e->kind) {
      case Expr::Kind::kIdent:
        if (!IsRoot(e->text)) return false;
        out->push_back({e->text, e->offset});
        return true;
      case Expr::Kind::kSelect:
        if (!CollectPath(e->args[0].get(), out)) return false;
        out->push_back({e->text, e->offset});
        return true;
      case Expr::Kind::kIndex:
        if (e->args[1]->kind != Expr::Kind::kString || !CollectPath(e->args[0].get(), out)) {
          return false;
        }
        out->push_back({e->args[1]->text, e->args[1]->offset});
        return true;
      default:
        return false;
    }
  }

  T EventPropertyType(std::string_view property) const {
    std::vector<T> declared;
    auto consider = [&](const std::map<std::string, T>& properties) {
      auto it = properties.find(std::string(property));
      if (it != properties.end() &&
          std::find(declared.begin(), declared.end(), it->second) == declared.end()) {
        declared.push_back(it->second);
      }
    };
    const bool any = scope_.event_types.empty() ||
                     std::find(scope_.event_types.begin(), scope_.event_types.end(), "*") !=
                         scope_.event_types.end();
    if (any) {
      for (const auto& [type, properties] : env_.event_properties) consider(properties);
    } else {
      for (const std::string& type : scope_.event_types) {
        auto it = env_.event_properties.find(type);
        if (it != env_.event_properties.end()) consider(it->second);
      }
    }
    return declared.size() == 1 ? declared[0] : T::kDyn;
  }

  // The declared type of aggregate `name`; an unknown name is an error suggesting the closest
  // declared or built-in aggregate (the non-parameter siblings of `field` in the catalog).
  T AggregateType(const FieldDef& field, const std::vector<Segment>& segments,
                  std::string_view name) {
    auto it = env_.aggregates.find(std::string(name));
    if (it != env_.aggregates.end()) return it->second;
    std::vector<std::string_view> candidates;
    for (const auto& [declared, type] : env_.aggregates) candidates.push_back(declared);
    const std::vector<std::string_view> own = SplitPath(field.path);
    for (const FieldDef& other : FieldCatalog()) {
      const std::vector<std::string_view> parts = SplitPath(other.path);
      if (parts.size() == own.size() && !IsParameter(parts.back()) &&
          std::equal(own.begin(), own.end() - 1, parts.begin())) {
        candidates.push_back(parts.back());
      }
    }
    std::string message = "unknown field '" + Join(segments, segments.size()) + "'";
    const std::string_view suggestion = ClosestMatch(name, candidates);
    if (!suggestion.empty()) {
      message += " (did you mean '" + std::string(suggestion) + "'?)";
    } else if (env_.aggregates.empty()) {
      message +=
          " (no windowed aggregates are declared: add them under `aggregates:` in the "
          "engine config)";
    }
    Error(segments.back().offset, message);
    return T::kDyn;
  }

  T ResolvePath(Expr* e, const std::vector<Segment>& segments) {
    std::vector<std::string_view> names;
    for (const Segment& s : segments) names.push_back(s.name);
    std::string_view key;
    if (const FieldDef* field = FindField(names, &key)) {
      e->field = field;
      e->field_key = std::string(key);
      e->field_path = Join(segments, segments.size());
      if (field->typed_by_event_declarations) return EventPropertyType(key);
      if (field->typed_by_aggregate_declarations) return AggregateType(*field, segments, key);
      return field->type;
    }
    // Find how much of the path is right, to name the wrong segment and suggest a fix.
    size_t matched = 0;
    std::vector<std::string_view> candidates;
    for (size_t depth = 1; depth <= segments.size(); ++depth) {
      std::vector<std::string_view> next;
      bool any = false;
      for (const FieldDef& field : FieldCatalog()) {
        const std::vector<std::string_view> parts = SplitPath(field.path);
        bool prefix = parts.size() >= depth - 1;
        for (size_t i = 0; prefix && i + 1 < depth; ++i) {
          prefix = IsParameter(parts[i]) || parts[i] == names[i];
        }
        if (!prefix) continue;
        if (parts.size() < depth) continue;
        const std::string_view part = parts[depth - 1];
        if (IsParameter(part) || part == names[depth - 1]) any = true;
        if (!IsParameter(part) && std::find(next.begin(), next.end(), part) == next.end()) {
          next.push_back(part);
        }
      }
      if (!any) {
        candidates = std::move(next);
        break;
      }
      matched = depth;
      candidates.clear();
    }
    const std::string path = Join(segments, segments.size());
    if (matched == segments.size()) {
      // Every segment exists but the path stops at an object.
      std::vector<std::string_view> children;
      for (const FieldDef& field : FieldCatalog()) {
        const std::vector<std::string_view> parts = SplitPath(field.path);
        if (parts.size() <= matched) continue;
        bool prefix = true;
        for (size_t i = 0; prefix && i < matched; ++i) {
          prefix = IsParameter(parts[i]) || parts[i] == names[i];
        }
        if (prefix && field.typed_by_aggregate_declarations && IsParameter(parts[matched])) {
          for (const auto& [name, type] : env_.aggregates) children.push_back(name);
          continue;
        }
        if (prefix &&
            std::find(children.begin(), children.end(), parts[matched]) == children.end()) {
          children.push_back(parts[matched]);
        }
      }
      std::string list;
      for (std::string_view c : children) list += (list.empty() ? "" : ", ") + std::string(c);
      Error(segments.back().offset,
            "'" + path + "' is not a value; use one of its fields: " + list);
      return T::kDyn;
    }
    std::string message = "unknown field '" + path + "'";
    const std::string_view suggestion = ClosestMatch(names[matched], candidates);
    if (!suggestion.empty()) {
      message += " (did you mean '" + std::string(suggestion) + "'?)";
    } else if (candidates.empty()) {
      message += " ('" + Join(segments, matched) + "' has no fields)";
    }
    Error(segments[matched].offset, message);
    return T::kDyn;
  }

  T Infer(Expr* e) {
    switch (e->kind) {
      case Expr::Kind::kNull:
        return T::kNull;
      case Expr::Kind::kBool:
        return T::kBool;
      case Expr::Kind::kInt:
        return T::kInt;
      case Expr::Kind::kDouble:
        return T::kDouble;
      case Expr::Kind::kString:
        return T::kString;
      case Expr::Kind::kDuration:
        return T::kDuration;
      case Expr::Kind::kError:
        return T::kDyn;
      case Expr::Kind::kIdent:
        return Ident(e);
      case Expr::Kind::kSelect:
        return Select(e);
      case Expr::Kind::kIndex:
        return Index(e);
      case Expr::Kind::kCall:
        return Call(e);
      case Expr::Kind::kList:
        for (auto& arg : e->args) Check(arg.get());
        return T::kList;
      case Expr::Kind::kUnary:
        return Unary(e);
      case Expr::Kind::kBinary:
        return Binary(e);
      case Expr::Kind::kTernary:
        return Ternary(e);
    }
    return T::kDyn;
  }

  T Ident(Expr* e) {
    if (IsParam(e->text)) {
      e->param = scope_.params->find(e->text)->second;
      return e->param->type;
    }
    if (IsRoot(e->text)) return ResolvePath(e, {{e->text, e->offset}});
    std::vector<std::string_view> names(std::begin(kRoots), std::end(kRoots));
    if (scope_.params != nullptr) {
      for (const auto& [name, expr] : *scope_.params) names.push_back(name);
    }
    std::string message = "unknown name '" + e->text + "'";
    const std::string_view suggestion = ClosestMatch(e->text, names);
    if (!suggestion.empty()) message += " (did you mean '" + std::string(suggestion) + "'?)";
    Error(e->offset, message);
    return T::kDyn;
  }

  T Select(Expr* e) {
    std::vector<Segment> segments;
    if (CollectPath(e, &segments)) return ResolvePath(e, segments);
    const int before = errors_;
    const T base = Check(e->args[0].get());
    if (errors_ == before) {
      Error(e->offset,
            "cannot select field '" + e->text + "' from a value of type " + Quoted(base));
    }
    return T::kDyn;
  }

  T Index(Expr* e) {
    std::vector<Segment> segments;
    if (CollectPath(e, &segments)) return ResolvePath(e, segments);
    const T base = Check(e->args[0].get());
    const T key = Check(e->args[1].get());
    switch (base) {
      case T::kList:
        if (key != T::kInt && key != T::kDyn) {
          Error(e->args[1]->offset, "list index must be an int, not " + Quoted(key));
        }
        return T::kDyn;
      case T::kMap: {
        const FieldDef* field = e->args[0]->field;
        if (field != nullptr && field->path != "event.properties" &&
            field->path != "customer.profile") {
          Error(e->offset, "'" + e->args[0]->field_path +
                               "' can only be indexed with a literal name, e.g. " +
                               e->args[0]->field_path + ".<name>.count");
        } else if (key != T::kString && key != T::kDyn) {
          Error(e->args[1]->offset, "map key must be a string, not " + Quoted(key));
        }
        return T::kDyn;
      }
      case T::kDyn:
        return T::kDyn;
      default:
        Error(e->offset, "cannot index a value of type " + Quoted(base));
        return T::kDyn;
    }
  }

  T Call(Expr* e) {
    if (e->text == "has" && !e->receiver_call) {
      if (e->args.size() != 1) {
        Error(e->offset, "has() takes one field, e.g. has(event.properties.coupon)");
        return T::kBool;
      }
      Expr* arg = e->args[0].get();
      const int before = errors_;
      Check(arg);
      if (errors_ == before && (arg->field == nullptr || arg->kind == Expr::Kind::kIdent)) {
        Error(arg->offset, "has() needs a field, e.g. has(event.properties.coupon)");
      }
      return T::kBool;
    }
    const BuiltinInfo* builtin = FindBuiltin(e->text);
    for (auto& arg : e->args) Check(arg.get());
    if (builtin == nullptr) {
      std::vector<std::string_view> names = BuiltinFunctionNames();
      names.push_back("has");
      std::string message = "unknown function '" + e->text + "'";
      const std::string_view suggestion = ClosestMatch(e->text, names);
      if (!suggestion.empty()) message += " (did you mean '" + std::string(suggestion) + "'?)";
      Error(e->offset, message);
      return T::kDyn;
    }
    if (e->receiver_call && !builtin->receiver_form) {
      Error(e->offset, "'" + e->text + "' is a function, not a method: write " + e->text + "(x)");
      return T::kDyn;
    }
    if (static_cast<int>(e->args.size()) != builtin->arity) {
      Error(e->offset,
            e->text + "() takes " + std::to_string(builtin->arity - (e->receiver_call ? 1 : 0)) +
                " argument(s), got " + std::to_string(e->args.size() - (e->receiver_call ? 1 : 0)));
      return T::kDyn;
    }
    CallCheck check(this, e);
    return builtin->type_rule(check);
  }

  T Unary(Expr* e) {
    const T operand = Check(e->args[0].get());
    if (e->op == TokenKind::kNot) {
      if (operand != T::kBool && operand != T::kDyn) {
        Error(e->offset, "operator '!' needs a bool, not " + Quoted(operand));
      }
      return T::kBool;
    }
    if (operand == T::kInt || operand == T::kDouble || operand == T::kDuration ||
        operand == T::kDyn) {
      return operand;
    }
    Error(e->offset, "operator '-' cannot be applied to " + Quoted(operand));
    return T::kDyn;
  }

  static bool Orderable(T t) {
    return IsNumeric(t) || t == T::kString || t == T::kTimestamp || t == T::kDuration;
  }

  T Binary(Expr* e) {
    const T l = Check(e->args[0].get());
    const T r = Check(e->args[1].get());
    const bool dyn = l == T::kDyn || r == T::kDyn;
    std::string op = TokenKindName(e->op);
    auto mismatch = [&]() {
      Error(e->offset,
            "operator " + op + " cannot be applied to " + Quoted(l) + " and " + Quoted(r));
      return T::kDyn;
    };
    switch (e->op) {
      case TokenKind::kAnd:
      case TokenKind::kOr:
        if ((l != T::kBool && l != T::kDyn) || (r != T::kBool && r != T::kDyn)) mismatch();
        return T::kBool;
      case TokenKind::kEq:
      case TokenKind::kNe:
        if (!(dyn || l == r || l == T::kNull || r == T::kNull || (IsNumeric(l) && IsNumeric(r))) ||
            l == T::kMap || r == T::kMap) {
          mismatch();
        }
        return T::kBool;
      case TokenKind::kLt:
      case TokenKind::kLe:
      case TokenKind::kGt:
      case TokenKind::kGe:
        if (dyn ? !(Orderable(l) || l == T::kDyn) || !(Orderable(r) || r == T::kDyn)
                : !((IsNumeric(l) && IsNumeric(r)) || (l == r && Orderable(l)))) {
          mismatch();
        }
        return T::kBool;
      case TokenKind::kIn:
        if (r == T::kMap ? !(l == T::kString || l == T::kDyn) : !(r == T::kList || r == T::kDyn)) {
          mismatch();
        }
        return T::kBool;
      default:
        break;
    }
    if (l == T::kNull || r == T::kNull || l == T::kBool || r == T::kBool || l == T::kMap ||
        r == T::kMap || l == T::kList || r == T::kList) {
      return mismatch();
    }
    if (dyn) return T::kDyn;
    const bool numeric = IsNumeric(l) && IsNumeric(r);
    const T numeric_type = l == T::kInt && r == T::kInt ? T::kInt : T::kDouble;
    switch (e->op) {
      case TokenKind::kPlus:
        if (numeric) return numeric_type;
        if (l == T::kString && r == T::kString) return T::kString;
        if ((l == T::kTimestamp && r == T::kDuration) ||
            (l == T::kDuration && r == T::kTimestamp)) {
          return T::kTimestamp;
        }
        if (l == T::kDuration && r == T::kDuration) return T::kDuration;
        return mismatch();
      case TokenKind::kMinus:
        if (numeric) return numeric_type;
        if (l == T::kTimestamp && r == T::kTimestamp) return T::kDuration;
        if (l == T::kTimestamp && r == T::kDuration) return T::kTimestamp;
        if (l == T::kDuration && r == T::kDuration) return T::kDuration;
        return mismatch();
      case TokenKind::kStar:
      case TokenKind::kSlash:
        if (numeric) return numeric_type;
        return mismatch();
      case TokenKind::kPercent:
        if (l == T::kInt && r == T::kInt) return T::kInt;
        return mismatch();
      default:
        return mismatch();
    }
  }

  T Ternary(Expr* e) {
    const T condition = Check(e->args[0].get());
    const T a = Check(e->args[1].get());
    const T b = Check(e->args[2].get());
    if (condition != T::kBool && condition != T::kDyn) {
      Error(e->args[0]->offset, "condition of '?:' must be a bool, not " + Quoted(condition));
    }
    if (a == b) return a;
    if (a == T::kNull) return b;
    if (b == T::kNull) return a;
    return T::kDyn;
  }

  const CheckScope& scope_;
  const RuleEnvironment& env_;
  const ExprLocation& location_;
  DiagnosticSink* sink_;
  int errors_ = 0;
};

}  // namespace

int CheckExpression(Expr* expr, const CheckScope& scope, const RuleEnvironment& env,
                    const ExprLocation& location, DiagnosticSink* sink) {
  Checker checker(scope, env, location, sink);
  checker.Check(expr);
  return checker.errors();
}

std::vector<std::string_view> BuiltinFunctionNames() {
  std::vector<std::string_view> names;
  for (const BuiltinInfo& b : Builtins()) names.push_back(b.name);
  return names;
}

}  // namespace touchstream::rules
