// The builtin functions of the expression language: names, arity and receiver style.
// Their typing is in checker.cc and their behavior in interpreter.cc.
#pragma once

#include <span>
#include <string_view>

#include "rules/program.h"

namespace touchstream::rules {

struct BuiltinInfo {
  std::string_view name;
  Builtin id;
  int arity;           // arguments including the receiver
  bool receiver_form;  // also callable as arg0.name(...)
};

std::span<const BuiltinInfo> Builtins();
// The builtin with this name, or null.
const BuiltinInfo* FindBuiltin(std::string_view name);

}  // namespace touchstream::rules
