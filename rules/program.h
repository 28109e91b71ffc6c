// The compiled, evaluable form of one expression: a flat array of nodes with resolved field
// accessors and folded constants. Built once by the compiler; immutable afterwards and safe
// to share between threads (evaluation state lives in the Evaluator).
//
// Nodes are a tree: a node's operands are the nodes args[first_arg .. first_arg+arg_count).
// The compiler also leaves nodes that no root path reaches in normal evaluation: the original
// subtree of each kFolded node, kept so that evaluation near the step limit can replay it.
#pragma once

#include <cstdint>
#include <forward_list>
#include <string>
#include <string_view>
#include <vector>

#include "rules/field_catalog.h"
#include "rules/runtime_value.h"

namespace touchstream::rules {

enum class OpCode : uint8_t {
  kConst,   // constant
  kFolded,  // constant computed at compile time from the constant subtree args[0]
  kField,   // accessor(key)
  kHas,     // accessor(key) is present and not null
  kList,    // [args...]
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

// An operator's source text ("&&", "<", "!", "-" for kNeg, "in"); "?" for the other op codes.
std::string_view OpCodeText(OpCode op);

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

// No per-evaluation cache slot (see ProgramNode::field_slot).
inline constexpr uint16_t kNoFieldSlot = 0xFFFF;

struct ProgramNode {
  OpCode op = OpCode::kConst;
  Builtin builtin = Builtin::kSize;
  // kField and kHas: the slot caching this field's value for one evaluation, or kNoFieldSlot.
  // Only fields that look up a map (those with a key) and are read more than once get one.
  uint16_t field_slot = kNoFieldSlot;
  uint32_t first_arg = 0;  // index into Program::args
  uint32_t arg_count = 0;
  // kFolded: the evaluation steps of the subtree it replaces, so that step counting, and the
  // position of a step-limit error, are those of the expression as written.
  int32_t weight = 1;
  int line = 0;  // source position, for run-time error messages
  int column = 0;
  RtValue constant;  // kConst, kFolded
  FieldAccessor accessor = nullptr;
  std::string_view key;  // into Program::strings
};

struct Program {
  std::vector<ProgramNode> nodes;
  std::vector<uint32_t> args;  // node indices of arguments
  uint32_t root = 0;
  // Storage for constant strings and lists. Forward lists so that views into them never move
  // and, unlike deques (which allocate over 500 bytes up front), cost nothing when empty: a
  // large rule pack holds tens of thousands of programs.
  std::forward_list<std::string> strings;
  std::forward_list<std::vector<RtValue>> constant_lists;
  // Most list elements one evaluation can build (for the evaluator's scratch reservation).
  size_t max_list_elements = 0;
  // Number of field cache slots (ProgramNode::field_slot) one evaluation uses.
  uint16_t field_slots = 0;

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
