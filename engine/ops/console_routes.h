// Routes of the web console (docs/console.md) that work on posted text, not on the engine:
//   POST /rules/check   the body is one rule file (YAML); it is compiled against the engine's
//                       rule environment and never loaded. 200 {"ok":true,"rules":N} when it
//                       compiles; 422 {"ok":false,"errors":[{"line","column","message","text"}]}
//                       otherwise, where "text" is the diagnostic exactly as `touchstream rules
//                       check` prints it (file:line:col: error: message, the line, a caret).
// A check reads nothing and changes nothing, so it needs the `read` role (admin_auth.h).
//
// Thread safety: stateless; may be called from any thread (the admin server's).
#pragma once

#include <string_view>

#include "engine/ops/admin_server.h"
#include "rules/environment.h"

namespace touchstream::engine {

// The name posted rule text carries in diagnostics ("console.yaml:3:14: error: ...").
inline constexpr std::string_view kConsoleRuleFileName = "console.yaml";
// The largest rule file POST /rules/check accepts; a larger body is 413.
inline constexpr size_t kMaxConsoleRuleBytes = 256 * 1024;

// Answers POST /rules/check for `rule_text` (the request body) against `environment`.
AdminResponse CheckRuleText(std::string_view rule_text, const rules::RuleEnvironment& environment);

}  // namespace touchstream::engine
