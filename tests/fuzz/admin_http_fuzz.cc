// Fuzzes the admin HTTP request handling: bytes as a client sends them go through the Beast
// request parser the admin server uses (engine/ops/admin_server.cc, its default limits), and a
// request that parses goes, with its Authorization header, through the access layer
// (engine/ops/admin_auth.h: two tokens, "reader-token" with role read and "admin-token" with
// role admin, as a tokens file holds them) to the admin API's router and handlers
// (engine/ops/admin_api.h) over an in-memory backend. Every request gets exactly one response
// with an HTTP status; a route needing a role answers 401 without a valid token and 403 to the
// read token where admin is needed; nothing crashes.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ops/admin_api.h"
#include "engine/ops/admin_auth.h"
#include "engine/ops/admin_server.h"
#include "engine/ops/log.h"
#include "rules/loader.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace http = boost::beast::http;
using touchstream::Result;
using touchstream::Status;

// One known customer, "c-1"; erasing works for any id; the rule set has one rule.
class FakeBackend : public touchstream::engine::AdminBackend {
 public:
  Status AdminGetCustomer(std::string_view customer_id,
                          touchstream::v1::CustomerState* out) override {
    if (customer_id != "c-1") return Status::NotFound("no state for the customer");
    out->set_customer_id(std::string(customer_id));
    (*out->mutable_profile())["tier"].set_string_value("gold");
    return Status::Ok();
  }
  std::optional<int32_t> AdminForeignPartition(std::string_view customer_id) override {
    if (customer_id == "c-foreign") return 3;
    return std::nullopt;
  }
  Result<touchstream::state::ErasureCounts> AdminEraseCustomer(
      std::string_view customer_id) override {
    touchstream::state::ErasureCounts counts;
    counts.had_state = customer_id == "c-1";
    return counts;
  }
  std::shared_ptr<const touchstream::rules::RuleSet> AdminRules() override { return rules_; }

 private:
  std::shared_ptr<const touchstream::rules::RuleSet> rules_ =
      touchstream::rules::LoadRulesFromString(
          "- id: r1\n  trigger: {event: purchase}\n  actions:\n"
          "    - emit: {kind: alert, channel: crm}\n",
          "r.yaml", touchstream::rules::RuleEnvironment())
          .rule_set;
};

constexpr std::string_view kReaderAuthorization = "Bearer reader-token";
constexpr std::string_view kAdminAuthorization = "Bearer admin-token";

std::vector<touchstream::engine::AdminTokenEntry> Tokens() {
  auto tokens = touchstream::engine::ParseAdminTokens(
      "ops-reader read " + touchstream::engine::Sha256Hex("reader-token") + "\nops-admin admin " +
          touchstream::engine::Sha256Hex("admin-token") + "\n",
      "tokens.txt");
  FUZZ_CHECK(tokens.ok(), "the harness's tokens parse");
  return *tokens;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const touchstream::engine::AdminServerOptions limits;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<uint32_t>(limits.max_header_bytes));
  parser.body_limit(static_cast<uint64_t>(limits.max_body_bytes));
  boost::beast::error_code ec;
  size_t offset = 0;
  while (offset < size && !parser.is_done()) {
    const size_t used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
    if (ec == http::error::need_more) break;
    if (ec) return 0;  // the server closes the connection
    if (used == 0) break;
    offset += used;
  }
  if (!parser.is_done()) {
    // As the server's read does: the end of a stream that sent nothing is no request.
    if (!parser.got_some()) return 0;
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  const http::request<http::string_body>& parsed = parser.get();
  const touchstream::engine::AdminRequest request{
      std::string(parsed.method_string()), std::string(parsed.target()),
      std::string(parsed[http::field::authorization]), parsed.body()};

  FakeBackend backend;
  touchstream::engine::TaskQueue tasks;
  int reloads = 0;
  touchstream::engine::AdminApi api(&backend, &tasks, [&reloads](std::ostream& diagnostics) {
    if (++reloads % 2 == 0) {
      diagnostics << "r.yaml:1:1: error: refused\n";
      return Result<size_t>(Status::InvalidArgument("the new rule set has errors"));
    }
    return Result<size_t>(size_t{1});
  });
  std::ostringstream log_text;
  touchstream::engine::Logger log(&log_text, touchstream::engine::LogFormat::kText,
                                  touchstream::engine::LogLevel::kDebug);
  const touchstream::engine::AdminAccess access(
      Tokens(), touchstream::engine::AdminAccess::WithoutTokens::kClosed, &log);
  const touchstream::engine::AdminHandler handler = access.Protect(
      [&api](const touchstream::engine::AdminRequest& r,
             touchstream::engine::AdminResponder respond) { api.Handle(r, respond); });
  int responses = 0;
  int status = 0;
  handler(request, [&](touchstream::engine::AdminResponse response) {
    ++responses;
    status = response.status;
  });
  tasks.RunPending();
  FUZZ_CHECK(responses == 1, "every request gets exactly one response");
  FUZZ_CHECK(status >= 200 && status < 600, "responses carry an HTTP status");

  const std::string_view target = request.target;
  const auto required =
      touchstream::engine::RequiredRole(request.method, target.substr(0, target.find('?')));
  const bool reader = request.authorization == kReaderAuthorization;
  const bool admin = request.authorization == kAdminAuthorization;
  if (required && !reader && !admin) {
    FUZZ_CHECK(status == 401, "a route needing a role answers 401 without a valid token");
  }
  if (required == touchstream::engine::AdminRole::kAdmin && reader) {
    FUZZ_CHECK(status == 403, "the read token gets 403 where admin is needed");
  }
  return 0;
}
