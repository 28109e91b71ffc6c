#include "engine/ops/admin_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "engine/core/event_checks.h"
#include "engine/customer/state_json.h"
#include "engine/ops/console_assets.h"
#include "engine/ops/console_stats.h"

namespace touchstream::engine {

namespace {

constexpr std::string_view kCustomersPrefix = "/customers/";
constexpr std::string_view kExplainPrefix = "/explain/";

// The value of `name` in the query of `target` ("/rules/save?file=a.yaml"), as sent; empty
// when absent.
std::string_view QueryValue(std::string_view target, std::string_view name) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.substr(0, pair.find('=')) == name && pair.find('=') != std::string_view::npos) {
      return pair.substr(pair.find('=') + 1);
    }
  }
  return {};
}

AdminResponse Json(int status, const nlohmann::json& body) {
  // Text from outside may be any bytes (a rule file quoted in reload diagnostics): text that is
  // not UTF-8 is written with U+FFFD in its place (dump() would throw and end the thread).
  return {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
          "application/json"};
}

AdminResponse Error(int status, const std::string& message) {
  return Json(status, {{"error", message}});
}

int HttpStatusOf(const Status& status) {
  switch (status.code()) {
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

Result<std::string> DecodeCustomerIdSegment(std::string_view segment) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  auto refuse = [](const std::string& why) {
    return Status::InvalidArgument("expected /customers/<customer id> (percent-encoded): " + why);
  };
  std::string id;
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      id.push_back(segment[i]);
      continue;
    }
    const bool complete = i + 2 < segment.size();
    const int high = complete ? hex(segment[i + 1]) : -1;
    const int low = complete ? hex(segment[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return refuse("malformed percent escape at byte " + std::to_string(i) + " of the id");
    }
    id.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  if (std::optional<std::string> problem = CustomerIdProblem(id, kMaxAdminCustomerIdBytes)) {
    return refuse(*problem);
  }
  if (id.find('/') != std::string::npos) return refuse("the id contains '/'");
  if (id == "." || id == "..") return refuse("the id is '" + id + "'");
  return id;
}

AdminApi::AdminApi(AdminBackend* backend, TaskQueue* tasks, ReloadRules reload,
                   const Heartbeat* heartbeat, int64_t stall_timeout_ms,
                   rules::RuleEnvironment rule_environment, ConsoleOptions console)
    : backend_(backend),
      tasks_(tasks),
      reload_(std::move(reload)),
      heartbeat_(heartbeat),
      stall_timeout_ms_(stall_timeout_ms),
      rule_environment_(std::move(rule_environment)),
      console_(std::move(console)) {}

void AdminApi::OnProcessingThread(std::function<AdminResponse()> fn, AdminResponder respond,
                                  std::function<AdminResponse(const std::string&)> stopped) {
  if (!stopped) stopped = [](const std::string& why) { return Error(503, why); };
  auto shared_respond = std::make_shared<AdminResponder>(std::move(respond));
  const bool posted = tasks_->Post(
      [fn = std::move(fn), shared_respond] { (*shared_respond)(fn()); },
      [shared_respond, stopped] { (*shared_respond)(stopped("the engine is stopping")); });
  if (!posted) (*shared_respond)(stopped("the engine is not running"));
}

void AdminApi::Handle(const AdminRequest& request, AdminResponder respond) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  const std::string& method = request.method;

  if (path == "/healthz") {
    if (method != "GET") return respond(Error(405, "use GET /healthz"));
    if (heartbeat_ != nullptr) {
      const int64_t silent_ms = heartbeat_->SilentMs();
      if (silent_ms >= stall_timeout_ms_) {
        return respond(Json(503, {{"status", "stalled"},
                                  {"reason",
                                   "the processing loop has not completed an iteration "
                                   "for " +
                                       std::to_string(silent_ms) + " ms (admin.stall_timeout " +
                                       std::to_string(stall_timeout_ms_) + " ms)"}}));
      }
      return respond(Json(200, {{"status", "ok"}, {"last_iteration_ms_ago", silent_ms}}));
    }
    return OnProcessingThread([] { return Json(200, {{"status", "ok"}}); }, std::move(respond));
  }
  if (path == "/readyz") {
    if (method != "GET") return respond(Error(405, "use GET /readyz"));
    // A long step holds the processing thread: answered here, naming it.
    if (const char* activity = heartbeat_ != nullptr ? heartbeat_->Activity() : nullptr) {
      return respond(Json(503, {{"status", "not ready"}, {"reasons", {activity}}}));
    }
    return OnProcessingThread(
        [this] {
          const std::vector<std::string> reasons = backend_->AdminNotReadyReasons();
          if (reasons.empty()) return Json(200, {{"status", "ready"}});
          return Json(503, {{"status", "not ready"}, {"reasons", reasons}});
        },
        std::move(respond),
        [](const std::string& why) {
          return Json(503, {{"status", "not ready"}, {"reasons", {why}}});
        });
  }
  if (path == "/console" || path.substr(0, 9) == "/console/") {
    return respond(ServeConsoleAsset(method, path));
  }
  if (path == "/rules") {
    if (method != "GET") return respond(Error(405, "use GET /rules"));
    return OnProcessingThread(
        [this] {
          auto rules = backend_->AdminRules();
          return Json(200, rules ? RuleListJson(*rules) : nlohmann::json::array());
        },
        std::move(respond));
  }
  if (path == "/rules/stats" || path == "/stats") {
    if (method != "GET") return respond(Error(405, "use GET " + std::string(path)));
    if (console_.registry == nullptr) return respond(Error(503, "no metrics in this engine"));
    // The registry may be read from any thread (a scrape does the same): answered here.
    const auto families = console_.registry->Collect();
    return respond(Json(200, path == "/stats" ? LiveStatsJson(families) : RuleStatsJson(families)));
  }
  if (path == "/impact") {
    if (method != "GET") return respond(Error(405, "use GET /impact"));
    if (!console_.impact_report) return respond(Error(503, "no impact report in this engine"));
    return OnProcessingThread(
        [this] {
          std::ostringstream report;
          Status s = console_.impact_report(report);
          if (!s.ok()) return Error(HttpStatusOf(s), s.message());
          return AdminResponse{200, report.str(), "application/json"};
        },
        std::move(respond));
  }
  if (path == "/rules/try") {
    if (method != "POST") return respond(Error(405, "use POST /rules/try?file=<name>.yaml"));
    // Two replays of the history file; they read files only, not the engine.
    return respond(
        TryRuleFile(QueryValue(request.target, "file"), request.body, rule_environment_, console_));
  }
  if (path == "/rules/save") {
    if (method != "POST") return respond(Error(405, "use POST /rules/save?file=<name>.yaml"));
    // Writing a file and reloading do not touch the engine: they run here, as a reload does.
    return respond(SaveRuleFile(QueryValue(request.target, "file"), request.body, rule_environment_,
                                console_, reload_));
  }
  if (path == "/rules/reload") {
    if (method != "POST") return respond(Error(405, "use POST /rules/reload"));
    // Loading files does not touch the engine: it runs here; the engine picks the new set
    // up before its next record.
    std::ostringstream diagnostics;
    Result<size_t> loaded = reload_(diagnostics);
    if (!loaded.ok()) {
      return respond(Json(422, {{"accepted", false},
                                {"error", loaded.status().message()},
                                {"diagnostics", diagnostics.str()}}));
    }
    return respond(Json(200, {{"accepted", true}, {"rules", *loaded}}));
  }
  if (path == "/rules/check") {
    if (method != "POST") return respond(Error(405, "use POST /rules/check"));
    // Compiling posted text does not touch the engine: it runs here.
    return respond(CheckRuleText(request.body, rule_environment_));
  }
  if (path.substr(0, kExplainPrefix.size()) == kExplainPrefix) {
    if (method != "GET") return respond(Error(405, "use GET /explain/<customer id>[?rule=<id>]"));
    Result<std::string> id = DecodeCustomerIdSegment(path.substr(kExplainPrefix.size()));
    if (!id.ok()) return respond(Error(400, id.status().message()));
    // A replay of the history file; it reads files only, not the engine.
    return respond(ExplainFromHistory(*id, std::string(QueryValue(request.target, "rule")),
                                      rule_environment_, console_));
  }
  if (path.substr(0, kCustomersPrefix.size()) == kCustomersPrefix) {
    Result<std::string> id = DecodeCustomerIdSegment(path.substr(kCustomersPrefix.size()));
    if (!id.ok()) return respond(Error(400, id.status().message()));
    if (method == "GET") {
      return OnProcessingThread(
          [this, id = *id, with_models = QueryValue(request.target, "models") == "true"] {
            if (std::optional<int32_t> partition = backend_->AdminForeignPartition(id)) {
              nlohmann::json body = {
                  {"error", "customer '" + id + "' belongs to partition " +
                                std::to_string(*partition) + ", which this instance does not own"},
                  {"partition", *partition}};
              if (std::optional<std::string> owner = backend_->AdminPartitionOwner(*partition)) {
                body["owner"] = *owner;
                body["error"] =
                    body["error"].get<std::string>() + "; its owner's admin API is " + *owner;
              }
              return Json(421, body);
            }
            v1::CustomerState customer;
            Status s = backend_->AdminGetCustomer(id, &customer);
            if (!s.ok()) return Error(HttpStatusOf(s), s.message());
            if (!with_models) {
              return AdminResponse{200, CustomerStateJson(customer, false) + "\n",
                                   "application/json"};
            }
            nlohmann::json body = nlohmann::json::parse(CustomerStateJson(customer, false));
            body["models"] = CustomerModelsJson(
                console_.models.get(), customer,
                console_.clock != nullptr ? console_.clock->NowMs() : customer.last_seen_ms());
            return Json(200, body);
          },
          std::move(respond));
    }
    if (method == "DELETE") {
      return OnProcessingThread(
          [this, id = *id] {
            auto erased = backend_->AdminEraseCustomer(id);
            if (!erased.ok())
              return Error(HttpStatusOf(erased.status()), erased.status().message());
            return Json(200, {{"customer_id", id},
                              {"erased", true},
                              {"had_state", erased->had_state},
                              {"timers", erased->timers},
                              {"outbox_entries", erased->outbox_entries}});
          },
          std::move(respond));
    }
    return respond(Error(405, "use GET or DELETE /customers/<id>"));
  }
  respond(Error(404, "no such endpoint (see README, Admin API)"));
}

}  // namespace touchstream::engine
