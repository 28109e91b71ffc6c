// Fuzzes the rule loader (rules/loader.h), and through it the YAML reader and the expression
// lexer, parser, checker and compiler: a rule file in, rules or errors out, never a crash, and
// every error names the file and a position in it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rules/loader.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using touchstream::rules::Diagnostic;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  touchstream::rules::RuleEnvironment env;
  env.event_properties["purchase"]["amount"] = touchstream::rules::ValueType::kDouble;
  env.event_properties["cart_add"]["value"] = touchstream::rules::ValueType::kDouble;
  const touchstream::rules::LoadResult result =
      touchstream::rules::LoadRulesFromString(text, "fuzz.yaml", env);
  FUZZ_CHECK(result.ok() == (result.rule_set != nullptr), "rules exactly when no error");
  for (const Diagnostic& error : result.errors) {
    FUZZ_CHECK(error.file == "fuzz.yaml", "errors name the file");
    FUZZ_CHECK(error.line > 0 && error.column > 0, "errors have a position");
    FUZZ_CHECK(!error.message.empty(), "errors say what is wrong");
    FUZZ_CHECK(error.ToString().starts_with("fuzz.yaml:"), "errors print file:line:col");
  }
  return 0;
}
