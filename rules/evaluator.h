// Evaluates rule conditions and renders emit actions for one event and customer.
//
// Missing values: a missing event property or profile attribute, an unset timestamp (never
// purchased, rule never fired) is null. `==` and `!=` with null are defined (null == null);
// everything else on null (ordering, arithmetic, &&/||/!, functions, indexing) is a run-time
// error, as are division by zero, int overflow, type mismatches on dyn values and exceeding
// the step limit. A run-time error makes the condition false (kError) and is reported to the
// caller, which counts it per rule.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "rules/interpreter.h"
#include "rules/rule.h"

namespace touchstream::rules {

struct EvalContext {
  const touchstream::v1::TouchpointEvent* event = nullptr;   // null reads as an empty event
  const touchstream::v1::CustomerState* customer = nullptr;  // null reads as a new customer
  int64_t now_ms = 0;                      // the value of `now` (event time in replay)
  const CustomerModels* models = nullptr;  // for customer.clv.*; null reads them as null
};

enum class ConditionResult { kTrue, kFalse, kError };

// Holds per-thread scratch memory (string buffers, list storage, time zone cache); reusable
// across rules and rule sets. Not thread-safe: use one Evaluator per thread.
class Evaluator {
 public:
  // Evaluates the rule's condition; no condition is kTrue. On kError, *error (when not null)
  // receives "file:line:col: message".
  ConditionResult EvaluateCondition(const Rule& rule, const EvalContext& ctx, std::string* error);

  struct RenderedEmit {
    std::string kind;
    std::vector<std::string> channels;
    std::string message;
    // The rendered payload entries, then the rendered params, in file order.
    std::vector<std::pair<std::string, std::string>> payload;
  };
  // Renders the emit's message, payload and params as plain text (null renders as ""). A
  // run-time error in any placeholder is InvalidArgument with the position of the error.
  Result<RenderedEmit> RenderEmit(const Rule& rule, const EmitAction& emit, const EvalContext& ctx);

  // Evaluates an expression of the rule (a set value, points amount, raised property,
  // threshold) to a storable value: null, bool, int, double, string or timestamp (a duration
  // becomes its milliseconds as int). Lists and maps, and run-time errors, are
  // InvalidArgument naming the position.
  Result<touchstream::v1::Value> EvaluateValue(const Rule& rule, const Program& program,
                                               const EvalContext& ctx);

  // The customer's time zone (profile attribute `time_zone`), or null (UTC).
  const date::time_zone* ZoneOf(const touchstream::v1::CustomerState& customer);

  // Values of the fields the condition references, as (path, text) in order of first use;
  // "null" when missing. Replaces *inputs.
  void ExplainCondition(const Rule& rule, const EvalContext& ctx,
                        std::vector<std::pair<std::string, std::string>>* inputs);

  // The comparisons (and other yes/no pieces) that decided the condition, each with the
  // values it read and its result, e.g. "customer.aggregates.total_spend = 182.4 >= 200:
  // false". An && that failed is explained by its first false operand, one that held by all;
  // an || the other way round. Evaluates the condition again piece by piece, so only
  // explanations call it and normal evaluation pays nothing. Empty without a condition; a
  // piece that fails at run time reads "...: error: <message>".
  std::vector<std::string> ExplainDecidingComparisons(const Rule& rule, const EvalContext& ctx);

 private:
  // Appends the rendered template; false on a run-time error (message in error_).
  bool RenderTemplate(const Template& tmpl, const FieldContext& fields, std::string* out);

  void ExplainNode(const Program& program, uint32_t index, const FieldContext& fields,
                   std::vector<std::string>* out);
  // The node's value as text, or "error: <message>"; *failed tells which.
  std::string NodeValue(const Program& program, uint32_t index, const FieldContext& fields,
                        bool* failed);

  EvalScratch scratch_;
  std::string error_;
};

}  // namespace touchstream::rules
