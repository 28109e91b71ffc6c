// Fuzzes ParseRfc3339Ms (base/time_format.h): any text parses or not, never crashes or
// overflows, and what parses formats to text that parses back to the same instant.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time_format.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<int64_t> ms = touchstream::ParseRfc3339Ms(text);
  if (ms) {
    const std::string formatted = touchstream::FormatRfc3339Ms(*ms);
    const std::optional<int64_t> again = touchstream::ParseRfc3339Ms(formatted);
    FUZZ_CHECK(again && *again == *ms, "a parsed instant formats to text that parses back");
  }
  return 0;
}
