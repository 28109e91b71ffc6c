// AdminApi: the routes of the admin HTTP API (README "Admin API"):
//   GET    /healthz          liveness: {"status":"ok"} while the processing loop iterates; 503
//                            {"status":"stalled","reason":...} once it has not completed an
//                            iteration for the stall timeout (answered by the server thread,
//                            so a stalled processing thread cannot hold the probe). Without a
//                            heartbeat: {"status":"ok"} once the processing thread answers.
//   GET    /readyz           {"status":"ready"}, or 503 {"status":"not ready","reasons":[...]}
//                            while the instance cannot do its work (readiness): before the
//                            group's first assignment, while starting, while a partition
//                            restores from the changelog (named with its duration), while the
//                            store fails, every broker is down or a topic refuses messages, and
//                            once stopping
//   GET    /customers/<id>   the customer's state as JSON (as `touchstream state get`); 404.
//                            ?models=true adds "models": the CLV models' values (console_routes.h)
//   DELETE /customers/<id>   erases the customer; answers with the counts once committed
//   GET    /rules            [{"id","version","enabled","file",...}, ...] of the active rule set,
//                            with trigger, condition, channels and policy (RuleListJson)
//   GET    /rules/stats      the engine's counters per rule (console_stats.h)
//   GET    /stats            events, actions by channel, decisions by reason (console_stats.h)
//   GET    /impact           the impact report as `touchstream report impact --json`
//   POST   /rules/reload     re-reads the rule files; 200 with the rule count, 422 with the
//                            diagnostics when the new set is refused (the running set stays)
//   POST   /rules/check      compiles the posted rule file without loading it
//                            (engine/ops/console_routes.h)
//   POST   /rules/save?file=NAME.yaml  writes the posted rule file and reloads, when
//                            admin.console_writes allows it (engine/ops/console_routes.h)
//   POST   /rules/try?file=NAME.yaml  the replay diff of the posted file on
//                            admin.console_history (engine/ops/console_routes.h)
//   GET    /console/...      the web console's pages (engine/ops/console_assets.h)
// <id> is percent-decoded once (DecodeCustomerIdSegment); a malformed or unusable id is 400 with
// the reason. Who may call which route: engine/ops/admin_auth.h, a layer in front. Everything
// touching the engine runs on the processing thread: the request is posted to a TaskQueue the
// processing loop drains between records, and the response is sent from there. When the queue is
// closed (the engine stopped), 503.
//
// Thread safety: Handle may be called from any thread (the server's).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/ops/admin_server.h"
#include "engine/ops/console_routes.h"
#include "engine/ops/heartbeat.h"
#include "engine/runtime/task_queue.h"
#include "rules/environment.h"
#include "rules/rule.h"
#include "state/customer_erasure.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// What the admin API does to the engine; every method is called on the processing thread.
class AdminBackend {
 public:
  virtual ~AdminBackend() = default;
  // As CustomerCache::Get: NotFound when the customer has no state.
  virtual Status AdminGetCustomer(std::string_view customer_id, v1::CustomerState* out) = 0;
  // The partition owning the customer when this instance does not own it: GET /customers/<id>
  // then answers 421 naming it, never a stale or empty state. nullopt when owned here or when
  // ownership is not tracked (the default).
  virtual std::optional<int32_t> AdminForeignPartition(std::string_view /*customer_id*/) {
    return std::nullopt;
  }
  // The admin address (host:port) of the instance owning `partition`, when known; the 421 then
  // names it too. nullopt (the default) when not known.
  virtual std::optional<std::string> AdminPartitionOwner(int32_t /*partition*/) {
    return std::nullopt;
  }
  // Erases the customer (state, timers, unsent outbox entries) and commits before returning.
  virtual Result<state::ErasureCounts> AdminEraseCustomer(std::string_view customer_id) = 0;
  // The rule set in use (null when none).
  virtual std::shared_ptr<const rules::RuleSet> AdminRules() = 0;
  // Why the instance cannot do its work now (the state store failing, every broker down, a
  // topic refusing messages), one sentence each; empty when it is ready (the default).
  virtual std::vector<std::string> AdminNotReadyReasons() { return {}; }
};

// The customer id of the <id> segment of /customers/<id>: percent-decoded once (so "%252F" is
// the id "%2F", never "/"), then checked as an event's customer_id (engine/core/event_checks.h:
// valid UTF-8 without control characters, at most kMaxAdminCustomerIdBytes) and refused when it
// holds '/' or is "." or "..". InvalidArgument with the reason otherwise.
inline constexpr int64_t kMaxAdminCustomerIdBytes = 1024;
Result<std::string> DecodeCustomerIdSegment(std::string_view segment);

class AdminApi {
 public:
  // Re-reads the rules and hands them to the engine (thread-safe); writes diagnostics to the
  // stream; returns the number of rules, or the error when the set is refused.
  using ReloadRules = std::function<Result<size_t>(std::ostream& diagnostics)>;

  // `backend`, `tasks` and `heartbeat` (when given) must outlive the API (and the server calling
  // it). /healthz fails once `heartbeat` has been silent for `stall_timeout_ms`. Posted rule
  // text (POST /rules/check) is compiled against `rule_environment` (the engine's, as
  // `touchstream rules check --config` does). `console` turns on the console's routes that
  // need more than the backend (saving rules, counters, the impact report).
  AdminApi(AdminBackend* backend, TaskQueue* tasks, ReloadRules reload,
           const Heartbeat* heartbeat = nullptr, int64_t stall_timeout_ms = 60000,
           rules::RuleEnvironment rule_environment = {}, ConsoleOptions console = {});

  void Handle(const AdminRequest& request, AdminResponder respond);

 private:
  // Runs fn on the processing thread; fn's response is sent, or when the engine stopped
  // stopped(why) (default: 503 {"error": why}).
  void OnProcessingThread(std::function<AdminResponse()> fn, AdminResponder respond,
                          std::function<AdminResponse(const std::string&)> stopped = nullptr);

  AdminBackend* backend_;
  TaskQueue* tasks_;
  ReloadRules reload_;
  const Heartbeat* heartbeat_;
  int64_t stall_timeout_ms_;
  rules::RuleEnvironment rule_environment_;
  ConsoleOptions console_;
};

}  // namespace touchstream::engine
