// Test helper: compiles one expression (as if it were a condition of a rule triggered by
// `event_types`) and evaluates it against an editable event and customer state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/compiler.h"
#include "rules/interpreter.h"
#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::rules::testing {

class ExprTester {
 public:
  // "2026-01-05T10:00:00Z"
  static constexpr int64_t kNow = 1767607200000;

  ExprTester() { event.set_type("purchase"); }

  // Compile errors, each as Diagnostic::ToString(), or empty.
  std::vector<std::string> Errors(std::string_view text) {
    std::vector<Diagnostic> diagnostics;
    Compile(text, &diagnostics);
    std::vector<std::string> out;
    for (const Diagnostic& d : diagnostics) out.push_back(d.ToString());
    return out;
  }

  // The static type of a valid expression ("error" when it does not compile).
  std::string Type(std::string_view text) {
    std::vector<Diagnostic> diagnostics;
    auto program = Compile(text, &diagnostics);
    return program ? std::string(ValueTypeName(program->type)) : "error";
  }

  // "<type>:<text>" of the value ("null" for null), "error:<message>" for a run-time error,
  // "compile:<first message>" when it does not compile.
  std::string Eval(std::string_view text) {
    std::vector<Diagnostic> diagnostics;
    auto program = Compile(text, &diagnostics);
    if (program == nullptr) return "compile:" + diagnostics.front().message;
    const FieldContext fields{event, customer, "rule_1", "v1", now_ms};
    RtValue value;
    std::string error;
    scratch.strings.Reset();
    if (!RunProgram(*program, fields, &scratch, &value, &error)) return "error:" + error;
    if (value.is_null()) return "null";
    std::string out = std::string(ValueTypeName(value.type)) + ":";
    AppendText(value, "null", &out);
    return out;
  }

  std::shared_ptr<const Program> Compile(std::string_view text, std::vector<Diagnostic>* out) {
    SourceFile file("<expr>", text);
    DiagnosticSink sink(&file, out);
    CheckScope scope;
    scope.event_types = event_types;
    return CompileExpression(text, ExprLocation(1, 1), scope, env, &sink);
  }

  void SetProperty(const std::string& name, touchstream::v1::Value value) {
    (*event.mutable_properties())[name] = std::move(value);
  }
  void SetProfile(const std::string& name, touchstream::v1::Value value) {
    (*customer.mutable_profile())[name] = std::move(value);
  }

  RuleEnvironment env;
  std::vector<std::string> event_types = {"purchase"};
  touchstream::v1::TouchpointEvent event;
  touchstream::v1::CustomerState customer;
  int64_t now_ms = kNow;
  EvalScratch scratch;
};

inline touchstream::v1::Value IntValue(int64_t v) {
  touchstream::v1::Value value;
  value.set_int_value(v);
  return value;
}
inline touchstream::v1::Value DoubleValue(double v) {
  touchstream::v1::Value value;
  value.set_double_value(v);
  return value;
}
inline touchstream::v1::Value StringValue(const std::string& v) {
  touchstream::v1::Value value;
  value.set_string_value(v);
  return value;
}
inline touchstream::v1::Value BoolValue(bool v) {
  touchstream::v1::Value value;
  value.set_bool_value(v);
  return value;
}
inline touchstream::v1::Value TimestampValue(int64_t ms) {
  touchstream::v1::Value value;
  value.set_timestamp_ms(ms);
  return value;
}

}  // namespace touchstream::rules::testing
