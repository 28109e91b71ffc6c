// Runs a compiled Program against one event and customer state. Internal to ts_rules: the
// public entry point is Evaluator.
//
// Evaluation never parses and never allocates once the scratch has grown to the program's
// needs (after its first evaluation): values are views (see runtime_value.h). Strings built by
// +, lower, upper and string() go to the scratch arena, list literals with non-constant
// elements to the scratch list storage, cached field values to the scratch field slots.
// Run-time errors (division by zero, type mismatch on dyn values, misuse of null, the step
// limit) stop the evaluation with a message naming the file position.
#pragma once

#include <string>
#include <vector>

#include "rules/field_catalog.h"
#include "rules/program.h"
#include "rules/zone_cache.h"

namespace touchstream::rules {

// Reusable memory of one evaluating thread.
struct EvalScratch {
  StringArena strings;
  std::vector<RtValue> lists;
  std::vector<RtValue> fields;  // field cache slots of the running evaluation
  ZoneCache zones;
  std::string format_buffer;
};

// Evaluates `program`. On success stores the value (valid until `scratch` is reused) and
// returns true; on a run-time error returns false with the message in *error.
bool RunProgram(const Program& program, const FieldContext& fields, EvalScratch* scratch,
                RtValue* result, std::string* error);

// Evaluates node `index` of `program` (one subexpression) as RunProgram evaluates the root;
// for explanations (Evaluator::ExplainDecidingComparisons), never on the normal path.
bool RunNode(const Program& program, uint32_t index, const FieldContext& fields,
             EvalScratch* scratch, RtValue* result, std::string* error);

// For constant folding: evaluates node `index` of a program under construction whose
// operands are all constants (no field is read; `now` is not a constant). Returns true with the
// value and the number of evaluation steps it took; false when the evaluation fails, which is
// left to run time so that the error is reported where and when it happens. A string result
// may point into `scratch`.
bool EvaluateConstant(const Program& program, uint32_t index, EvalScratch* scratch, RtValue* result,
                      int64_t* steps);

}  // namespace touchstream::rules
