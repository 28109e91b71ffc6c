// The builtin registry: one entry per builtin, found by name and by id.
#include "rules/builtins.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace touchstream::rules {
namespace {

// Every entry is found under its own name and id, has a type rule and an implementation, and
// takes one or two arguments (the interpreter passes at most two).
TEST(RulesBuiltinsTest, EveryEntryIsFoundByNameAndId) {
  std::set<std::string_view> names;
  for (const BuiltinInfo& builtin : Builtins()) {
    EXPECT_TRUE(names.insert(builtin.name).second) << builtin.name;
    EXPECT_EQ(FindBuiltin(builtin.name), &builtin) << builtin.name;
    EXPECT_EQ(&GetBuiltin(builtin.id), &builtin) << builtin.name;
    EXPECT_NE(builtin.type_rule, nullptr) << builtin.name;
    EXPECT_NE(builtin.run, nullptr) << builtin.name;
    EXPECT_GE(builtin.arity, 1) << builtin.name;
    EXPECT_LE(builtin.arity, 2) << builtin.name;
  }
  EXPECT_EQ(names.size(), 18u);
  EXPECT_EQ(FindBuiltin("has"), nullptr);  // has() is syntax, checked by the checker itself
}

// Only the builtins that read `now` or the customer's time zone are kept from constant folding.
TEST(RulesBuiltinsTest, OnlyTimeFunctionsAreImpure) {
  std::set<std::string_view> impure;
  for (const BuiltinInfo& builtin : Builtins()) {
    if (!builtin.pure) impure.insert(builtin.name);
  }
  EXPECT_EQ(impure, (std::set<std::string_view>{"days_since", "day_of_week", "hour_of_day"}));
}

}  // namespace
}  // namespace touchstream::rules
