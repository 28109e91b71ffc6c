// The compiled, evaluable form of one expression: a flat array of nodes with resolved field
// accessors and folded constants. Built once by the compiler; immutable afterwards and safe
// to share between threads (evaluation state lives in the Evaluator).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "rules/field_catalog.h"
#include "rules/runtime_value.h"

namespace touchstream::rules {

enum class OpCode : uint8_t {
  kConst,  // constant
  kField,  // accessor(key)
  kHas,    // accessor(key) is present and not null
  kList,   // [args...]
  kNot,
  kNeg,
  kAnd,
  kOr,
  kTernary,  // short-circuit
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kIndex,  // args[0][args[1]]
  kCall,   // builtin(args...)
};

enum class Builtin : uint8_t {
  kSize,
  kStartsWith,
  kEndsWith,
  kContains,
  kLower,
  kUpper,
  kMin,
  kMax,
  kAbs,
  kRound,
  kDuration,
  kTimestamp,
  kDaysSince,
  kHourOfDay,
  kDayOfWeek,
  kInt,
  kDouble,
  kString,
};

struct ProgramNode {
  OpCode op = OpCode::kConst;
  Builtin builtin = Builtin::kSize;
  uint32_t first_arg = 0;  // index into Program::args
  uint32_t arg_count = 0;
  int line = 0;  // source position, for run-time error messages
  int column = 0;
  RtValue constant;
  FieldAccessor accessor = nullptr;
  std::string_view key;  // into Program::strings
};

struct Program {
  std::vector<ProgramNode> nodes;
  std::vector<uint32_t> args;  // node indices of arguments
  uint32_t root = 0;
  // Storage for constant strings and lists; deques so views into them never move.
  std::deque<std::string> strings;
  std::deque<std::vector<RtValue>> constant_lists;
  // Most list elements one evaluation can build (for the evaluator's scratch reservation).
  size_t max_list_elements = 0;

  ValueType type = ValueType::kDyn;  // static type of the root
  std::string file;                  // for run-time error messages
  std::string canonical;             // canonical text of the expression

  struct FieldRef {
    std::string path;  // as written, e.g. "customer.aggregates.total_spend"
    FieldAccessor accessor;
    std::string key;
  };
  // Fields the expression reads, in order of first appearance, without duplicates.
  std::vector<FieldRef> fields;

  int64_t max_steps = 10000;
  size_t max_string_bytes = 64 * 1024;
};

}  // namespace touchstream::rules
