// The builtin functions of the expression language, one registry entry each: name, arity,
// receiver style, type rule (used by the checker) and implementation (used by the
// interpreter). Adding a builtin means adding a Builtin id (program.h) and one entry here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/ast.h"
#include "rules/program.h"

namespace date {
class time_zone;
}

namespace touchstream::rules {

// One call being type-checked: its checked arguments (the receiver first) and where to report
// what is wrong with them. Implemented by the checker.
class BuiltinTypeCheck {
 public:
  virtual ~BuiltinTypeCheck() = default;
  // The name as written.
  virtual std::string_view name() const = 0;
  // The arguments, already checked (their `type` is set); as many as the builtin's arity.
  virtual const std::vector<ExprPtr>& args() const = 0;
  // Reports an error at the call, or at argument `index`.
  virtual void ErrorAtCall(std::string message) = 0;
  virtual void ErrorAtArg(size_t index, std::string message) = 0;
};

// What an implementation may use while it runs. Implemented by the interpreter; valid for
// one call.
class BuiltinRuntime {
 public:
  virtual ~BuiltinRuntime() = default;
  // Records a run-time error at the call and returns the failed value to return.
  virtual RtValue Fail(std::string_view message) = 0;
  // Fail("<name>() cannot be applied to <type of value>").
  virtual RtValue Unsupported(const RtValue& value) = 0;
  // Scratch memory for a string result of `size` bytes, valid until the scratch is reused;
  // null after recording an error (the string limit).
  virtual char* NewString(size_t size) = 0;
  // Orders two values as the comparison operators do; false after recording an error.
  virtual bool Compare(const RtValue& a, const RtValue& b, int* order) = 0;
  // Appends the text of a scalar value (as string() renders it) to a scratch buffer and
  // returns it copied to scratch string memory; the failed value on an error.
  virtual RtValue Format(const RtValue& value) = 0;
  // The customer's time zone (null = UTC).
  virtual const date::time_zone* customer_zone() = 0;
  // The failed value: what Fail returns (used to pass a failure on).
  virtual RtValue Failed() const = 0;
  // The value of `now` (ms since the epoch); a plain read, as days_since() is common.
  int64_t now_ms() const { return now_ms_; }

 protected:
  explicit BuiltinRuntime(int64_t now_ms) : now_ms_(now_ms) {}

 private:
  int64_t now_ms_;
};

struct BuiltinInfo {
  std::string_view name;
  Builtin id;
  int arity;           // arguments including the receiver
  bool receiver_form;  // also callable as arg0.name(...)
  // False when the result depends on `now` or the customer (never constant-folded).
  bool pure;
  // The result type of a call whose name and arity are right, reporting every type error to
  // `check` (the result is then kDyn or the type the call would have).
  ValueType (*type_rule)(BuiltinTypeCheck& check);
  // The result of a call with `args` (arity values, none null; the interpreter reports null
  // arguments itself).
  RtValue (*run)(const RtValue* args, BuiltinRuntime& runtime);
};

// Every builtin, indexed by Builtin id.
std::span<const BuiltinInfo> Builtins();
// The builtin with this id.
const BuiltinInfo& GetBuiltin(Builtin id);
// The builtin with this name, or null.
const BuiltinInfo* FindBuiltin(std::string_view name);

}  // namespace touchstream::rules
