// The admin API's access layer (engine/ops/admin_auth.h) in front of the real routes with a fake
// backend: the tokens format and its errors, 401/403/200 for every route and role, the audit
// lines, and customer ids in paths.
#include "engine/ops/admin_auth.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "engine/ops/admin_api.h"

namespace touchstream::engine {
namespace {

class FakeBackend final : public AdminBackend {
 public:
  Status AdminGetCustomer(std::string_view id, v1::CustomerState* out) override {
    if (id != "c-1") return Status::NotFound("no customer " + std::string(id));
    out->set_customer_id("c-1");
    return Status::Ok();
  }
  Result<state::ErasureCounts> AdminEraseCustomer(std::string_view) override {
    return state::ErasureCounts{};
  }
  std::shared_ptr<const rules::RuleSet> AdminRules() override { return nullptr; }
};

// Tokens "reader-token" (role read) and "admin-token" (role admin), as a tokens file holds them.
std::string TokensText() {
  return "# name role sha256\n"
         "ops-reader read " +
         Sha256Hex("reader-token") + "\n\nops-admin   admin " + Sha256Hex("admin-token") +
         "  # the on-call\n";
}

class AdminAuthTest : public ::testing::Test {
 protected:
  AdminAuthTest() {
    auto tokens = ParseAdminTokens(TokensText(), "tokens.txt");
    EXPECT_TRUE(tokens.ok()) << tokens.status().ToString();
    tokens_ = *tokens;
  }

  // Sends one request through `access` to the routes, running the processing thread's side.
  AdminResponse Send(const AdminAccess& access, const std::string& method,
                     const std::string& target, const std::string& authorization) {
    AdminResponse response{0};
    AdminHandler handler = access.Protect(
        [this](const AdminRequest& r, AdminResponder respond) { api_.Handle(r, respond); });
    handler({method, target, authorization}, [&](AdminResponse r) { response = std::move(r); });
    tasks_.RunPending();
    return response;
  }

  std::vector<AdminTokenEntry> tokens_;
  std::ostringstream log_text_;
  Logger log_{&log_text_, LogFormat::kText, LogLevel::kDebug};
  FakeBackend backend_;
  TaskQueue tasks_;
  AdminApi api_{&backend_, &tasks_, [](std::ostream&) -> Result<size_t> { return size_t{3}; }};
};

// Every route with no token, a wrong token, the read token and the admin token.
TEST_F(AdminAuthTest, EveryRouteAndRole) {
  AdminAccess access(tokens_, AdminAccess::WithoutTokens::kClosed, &log_);
  struct Case {
    std::string method, target;
    int none, wrong, read, admin;
  };
  const std::vector<Case> cases = {
      {"GET", "/healthz", 200, 200, 200, 200},
      {"GET", "/readyz", 200, 200, 200, 200},
      {"GET", "/customers/c-1", 401, 401, 200, 200},
      {"GET", "/rules", 401, 401, 200, 200},
      {"GET", "/rules?x=1", 401, 401, 200, 200},
      {"DELETE", "/customers/c-1", 401, 401, 403, 200},
      {"POST", "/rules/reload", 401, 401, 403, 200},
      {"GET", "/no/such/route", 401, 401, 404, 404},
      {"PUT", "/healthz", 401, 401, 403, 405},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    const AdminResponse none = Send(access, c.method, c.target, "");
    EXPECT_EQ(none.status, c.none);
    EXPECT_EQ(Send(access, c.method, c.target, "Bearer not-a-token").status, c.wrong);
    EXPECT_EQ(Send(access, c.method, c.target, "Basic reader-token").status, c.wrong);
    EXPECT_EQ(Send(access, c.method, c.target, "Bearer reader-token").status, c.read);
    EXPECT_EQ(Send(access, c.method, c.target, "Bearer admin-token").status, c.admin);
    if (none.status == 401) {
      ASSERT_EQ(none.headers.size(), 1u);
      EXPECT_EQ(none.headers[0].first, "WWW-Authenticate");
      EXPECT_EQ(none.headers[0].second, "Bearer");
      EXPECT_NE(none.body.find("missing 'Authorization: Bearer <token>'"), std::string::npos);
    }
  }
  const AdminResponse forbidden = Send(access, "DELETE", "/customers/c-1", "Bearer reader-token");
  EXPECT_EQ(
      forbidden.body,
      "{\"error\":\"token 'ops-reader' has role read; DELETE /customers/c-1 needs admin\"}\n");
}

// Without token entries: all open on loopback (as before tokens), only the probes elsewhere.
TEST_F(AdminAuthTest, WithoutTokens) {
  AdminAccess open({}, AdminAccess::WithoutTokens::kOpen, &log_);
  EXPECT_EQ(Send(open, "GET", "/customers/c-1", "").status, 200);
  EXPECT_EQ(Send(open, "DELETE", "/customers/c-1", "").status, 200);
  AdminAccess closed({}, AdminAccess::WithoutTokens::kClosed, &log_);
  EXPECT_EQ(Send(closed, "GET", "/healthz", "").status, 200);
  const AdminResponse refused = Send(closed, "GET", "/rules", "Bearer admin-token");
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("no admin tokens are configured"), std::string::npos);
}

// Erase and reload each write one audit line: token name, route, status; the customer id only
// as a hash; tokens never.
TEST_F(AdminAuthTest, AuditLines) {
  AdminAccess access(tokens_, AdminAccess::WithoutTokens::kClosed, &log_);
  Send(access, "DELETE", "/customers/c%2D1", "Bearer admin-token");
  Send(access, "POST", "/rules/reload", "Bearer admin-token");
  Send(access, "DELETE", "/customers/c-1", "Bearer reader-token");
  Send(access, "GET", "/customers/c-1", "Bearer admin-token");  // reads are not audited
  const std::string text = log_text_.str();
  const std::string id_hash = Sha256Hex("c-1").substr(0, 16);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << text;
  EXPECT_NE(lines[0].find("info audit: admin request DELETE /customers/<id> answered 200 "
                          "token=ops-admin method=DELETE route=/customers/<id> customer_sha256=" +
                          id_hash + " status=200"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("audit: admin request POST /rules/reload answered 200 token=ops-admin "
                          "method=POST route=/rules/reload status=200"),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find("warn audit: admin request DELETE /customers/<id> answered 403 "
                          "token=ops-reader"),
            std::string::npos)
      << lines[2];
  EXPECT_EQ(text.find("c-1"), std::string::npos) << text;
  EXPECT_EQ(text.find("c%2D1"), std::string::npos) << text;
  EXPECT_EQ(text.find("-token"), std::string::npos) << text;
}

// A tokens file's mistakes point at line and column; a hash field is never quoted (it may be a
// token pasted by mistake).
TEST_F(AdminAuthTest, TokensFileErrors) {
  const auto parsed =
      ParseAdminTokens("a read " + Sha256Hex("x") + "\nb root " + Sha256Hex("y") +
                           "\n  c admin my-secret-token\nd read\na admin " + Sha256Hex("z") +
                           " extra\na admin " + Sha256Hex("z") + "\n",
                       "tokens.txt");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "tokens.txt:2:3: error: role: expected read or admin, got 'root'\n"
            "tokens.txt:3:11: error: sha256: expected the SHA-256 of the token as 64 hex digits "
            "(printf %s \"$TOKEN\" | sha256sum), got 15 characters that are not one\n"
            "tokens.txt:4:1: error: expected '<name> <role> <sha256 of the token>' "
            "(docs/security.md)\n"
            "tokens.txt:5:74: error: unexpected text after the token's hash\n"
            "tokens.txt:6:1: error: name: 'a' is already used");
  auto env =
      LoadAdminTokens("", ("x read " + Sha256Hex("t1") + ";y admin " + Sha256Hex("t2")).c_str());
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  ASSERT_EQ(env->size(), 2u);
  EXPECT_EQ((*env)[1].name, "y");
  EXPECT_EQ((*env)[1].role, AdminRole::kAdmin);
  EXPECT_EQ(LoadAdminTokens("", nullptr)->size(), 0u);
  EXPECT_EQ(LoadAdminTokens("/nonexistent/tokens", nullptr).status().code(),
            Status::Code::kNotFound);
}

// Customer ids in paths are percent-decoded once and refused when they could name something
// else than one customer.
TEST_F(AdminAuthTest, CustomerIdsInPaths) {
  EXPECT_EQ(*DecodeCustomerIdSegment("c%2D1"), "c-1");
  EXPECT_EQ(*DecodeCustomerIdSegment("%252F"), "%2F");  // decoded once, not twice
  EXPECT_EQ(*DecodeCustomerIdSegment("caf%C3%A9"), "caf\xC3\xA9");
  struct Refused {
    std::string segment, reason;
  };
  const std::vector<Refused> refused = {
      {"..%2F..%2Fetc%2Fpasswd", "the id contains '/'"},
      {"..", "the id is '..'"},
      {"%2e%2E", "the id is '..'"},
      {".", "the id is '.'"},
      {"%00", "customer_id contains control character 0x00 at byte 0"},
      {"a%0Ab", "customer_id contains control character 0x0a at byte 1"},
      {"a%2", "malformed percent escape at byte 1 of the id"},
      {"%zz", "malformed percent escape at byte 0 of the id"},
      {"%FF", "customer_id is not valid UTF-8"},
      {"", "customer_id is empty"},
      {std::string(kMaxAdminCustomerIdBytes + 1, 'x'), "bytes, more than 1024"},
  };
  for (const Refused& r : refused) {
    SCOPED_TRACE(r.segment.substr(0, 40));
    const Result<std::string> id = DecodeCustomerIdSegment(r.segment);
    ASSERT_FALSE(id.ok());
    EXPECT_NE(id.status().message().find(r.reason), std::string::npos) << id.status().message();
  }
  AdminAccess access(tokens_, AdminAccess::WithoutTokens::kClosed, &log_);
  const AdminResponse traversal =
      Send(access, "GET", "/customers/..%2F..%2Fetc", "Bearer reader-token");
  EXPECT_EQ(traversal.status, 400);
  EXPECT_NE(traversal.body.find("the id contains '/'"), std::string::npos) << traversal.body;
}

// A request target may hold bytes that are not UTF-8 (Beast passes them): the 403 quoting the
// path threw from the JSON writer on the server thread, which ended the engine (fuzz finding,
// admin_http). It is answered with U+FFFD in their place, and audited.
TEST_F(AdminAuthTest, PathThatIsNotUtf8IsRefused) {
  AdminAccess access(tokens_, AdminAccess::WithoutTokens::kClosed, &log_);
  const AdminResponse refused = Send(access, "GEus", "/ct/\xD4omers/c-1", "Bearer reader-token");
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("GEus /ct/\xEF\xBF\xBDomers/c-1 needs admin"), std::string::npos)
      << refused.body;
  EXPECT_NE(log_text_.str().find("status=403"), std::string::npos) << log_text_.str();
}

}  // namespace
}  // namespace touchstream::engine
