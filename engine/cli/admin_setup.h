// The admin API pieces `touchstream run` and `touchstream demo` share: who may use it, and what
// the web console under /console/ reads (docs/console.md, docs/security.md).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/ops/admin_auth.h"
#include "engine/ops/console_routes.h"
#include "engine/ops/log.h"
#include "engine/ops/metrics.h"
#include "state/state_store.h"

namespace touchstream::engine {

struct AdminAccessSetup {
  std::unique_ptr<AdminAccess> access;
  bool have_tokens = false;
};

// The access policy from admin.tokens_file or TOUCHSTREAM_ADMIN_TOKENS: without tokens a loopback
// admin.address is open to local users and any other answers only the probes, which is logged as
// a warning. `log` must outlive the access. The error names the refused token file or variable.
Result<AdminAccessSetup> SetUpAdminAccess(const EngineConfig& config, Logger* log);

// The console's options for an engine whose `metrics`, `impact_store` and `clock` outlive the
// admin API: GET /impact reports from `impact_store`, POST /rules/try and GET /explain/<id>
// replay `history` (none when empty), POST /rules/save follows admin.console_writes.
ConsoleOptions MakeConsoleOptions(const EngineConfig& config, const EngineMetrics& metrics,
                                  state::StateStore* impact_store, const Clock* clock,
                                  const std::string& history);

}  // namespace touchstream::engine
