// Fuzzes the engine config loader (engine/config/config.h): any text loads or gives an error
// that starts with the file's name (file:line:col: error: <key>: ...), never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/config/config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // An absolute name in a folder that does not exist: relative paths resolve there, and
  // loading reads no file.
  const std::string file = "/nonexistent-fuzz/touchstream.yaml";
  const auto config = touchstream::engine::LoadConfigFromString(text, file);
  if (!config.ok()) {
    FUZZ_CHECK(config.status().message().starts_with(file), "config errors name the file");
  }
  return 0;
}
