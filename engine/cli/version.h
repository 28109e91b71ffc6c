// The version `touchstream --version` prints.
#pragma once

#include <string_view>

namespace touchstream::engine {

// The CMake project version, followed by `git describe --tags --always --dirty` of the source
// tree in parentheses when it was configured from a git checkout: "0.1.0 (51bec66-dirty)".
std::string_view TouchstreamVersion();

}  // namespace touchstream::engine
