// The admin API's HTTP server (engine/ops/admin_server.h) with the access layer and the real
// routes over a fake backend, driven with raw sockets and curl: the limits (oversized headers
// and body, a slowloris client, malformed requests, 1,000 connections at once), 401 on the
// wire, ids that look like path traversal, TLS with a CA made by openssl in the test, and
// /metrics behind a token.
#include "engine/ops/admin_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/ops/admin_api.h"
#include "engine/ops/admin_auth.h"
#include "engine/ops/metrics_server.h"
#include "tests/ops/tools.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"

namespace touchstream::engine {
namespace {

using testing::RunCommand;
using Clock = std::chrono::steady_clock;

// One raw TCP connection to 127.0.0.1:port; closed when destroyed.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  // False once the server closed the connection.
  bool Send(std::string_view data) {
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }

  // What the server sends until it closes the connection or `timeout` passes.
  std::string ReadAll(std::chrono::milliseconds timeout) {
    std::string out;
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) <= 0) break;
      char buffer[4096];
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

class FakeBackend final : public AdminBackend {
 public:
  Status AdminGetCustomer(std::string_view id, v1::CustomerState*) override {
    return Status::NotFound("no customer " + std::string(id));
  }
  Result<state::ErasureCounts> AdminEraseCustomer(std::string_view) override {
    return state::ErasureCounts{};
  }
  std::shared_ptr<const rules::RuleSet> AdminRules() override { return nullptr; }
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The routes behind the access layer (tokens "reader-token" and "admin-token") on an
// AdminServer with small limits; a thread plays the processing thread.
class AdminServerTest : public ::testing::Test {
 protected:
  AdminServerTest()
      : access_({{"ops-reader", AdminRole::kRead, {}}, {"ops-admin", AdminRole::kAdmin, {}}},
                AdminAccess::WithoutTokens::kClosed, &log_) {}

  void SetUp() override {
    options_.max_header_bytes = 2048;
    options_.max_body_bytes = 1024;
    options_.read_timeout_ms = 1000;
    options_.write_timeout_ms = 1000;
    options_.max_connections = 32;
    processing_ = std::thread([this] {
      while (!stop_) {
        tasks_.RunPending();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }

  void TearDown() override {
    server_.reset();
    stop_ = true;
    processing_.join();
  }

  void Start() {
    auto server = AdminServer::Start("127.0.0.1:0", Handler(), options_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  AdminHandler Handler() {
    return access_.Protect(
        [this](const AdminRequest& r, AdminResponder respond) { api_.Handle(r, respond); });
  }

  // The whole response to `request` sent at once.
  std::string Exchange(const std::string& request) {
    RawClient client(server_->port());
    EXPECT_TRUE(client.connected());
    client.Send(request);
    return client.ReadAll(std::chrono::milliseconds(3000));
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  std::ostringstream log_text_;
  Logger log_{&log_text_, LogFormat::kText, LogLevel::kDebug};
  AdminAccess access_;
  FakeBackend backend_;
  TaskQueue tasks_;
  SystemClock clock_;
  Heartbeat heartbeat_{&clock_};
  AdminApi api_{&backend_, &tasks_, [](std::ostream&) -> Result<size_t> { return size_t{0}; },
                &heartbeat_};
  std::atomic<bool> stop_{false};
  std::thread processing_;
  AdminServerOptions options_;
  std::unique_ptr<AdminServer> server_;
};

AdminTokenEntry Entry(const std::string& name, AdminRole role, const std::string& token) {
  auto parsed = ParseAdminTokens(
      name + " " + std::string(AdminRoleName(role)) + " " + Sha256Hex(token), "test");
  return parsed.ok() && parsed->size() == 1 ? parsed->front() : AdminTokenEntry{};
}

class AdminServerWithTokensTest : public AdminServerTest {
 protected:
  AdminServerWithTokensTest() {
    access_ = AdminAccess({Entry("ops-reader", AdminRole::kRead, "reader-token"),
                           Entry("ops-admin", AdminRole::kAdmin, "admin-token")},
                          AdminAccess::WithoutTokens::kClosed, &log_);
  }
};

// Refusals on the wire: 401 with WWW-Authenticate: Bearer, 200 with the token; oversized
// headers 431 and body 413, each with the reason.
TEST_F(AdminServerWithTokensTest, AuthAndSizeLimitsOnTheWire) {
  Start();
  const testing::CommandResult unauthorized = RunCommand("curl -s -i -m 5 " + Url("/rules"));
  EXPECT_TRUE(Contains(unauthorized.output, "HTTP/1.1 401 Unauthorized")) << unauthorized.output;
  EXPECT_TRUE(Contains(unauthorized.output, "WWW-Authenticate: Bearer")) << unauthorized.output;
  const testing::CommandResult allowed = RunCommand(
      "curl -s -m 5 -w ' %{http_code}' -H 'Authorization: Bearer reader-token' " + Url("/rules"));
  EXPECT_EQ(allowed.output, "[]\n 200");

  const std::string big_headers =
      Exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(Contains(big_headers, "HTTP/1.1 431")) << big_headers;
  EXPECT_TRUE(Contains(big_headers, "exceed admin.max_header_bytes (2048 bytes)")) << big_headers;

  const std::string big_body = Exchange(
      "POST /rules/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token\r\n"
      "Content-Length: 5000\r\n\r\n" +
      std::string(5000, 'b'));
  EXPECT_TRUE(Contains(big_body, "HTTP/1.1 413")) << big_body;
  EXPECT_TRUE(Contains(big_body, "exceeds admin.max_body_bytes (1024 bytes)")) << big_body;

  // Ids that look like path traversal reach no backend.
  for (const std::string id : {"..%2F..%2Fetc%2Fpasswd", "%00", "..", "%2e%2e%2f"}) {
    const std::string answer = Exchange("GET /customers/" + id +
                                        " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                        "reader-token\r\n\r\n");
    EXPECT_TRUE(Contains(answer, "HTTP/1.1 400")) << id << ": " << answer;
    EXPECT_TRUE(Contains(answer, "expected /customers/<customer id>")) << id << ": " << answer;
  }
}

// Request lines and headers that do not parse are 400 with the parser's reason.
TEST_F(AdminServerTest, MalformedRequests) {
  Start();
  for (const std::string request :
       {"GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET /healthz HTTP/9.9\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n", "G\x01T / HTTP/1.1\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n"}) {
    const std::string answer = Exchange(request);
    EXPECT_TRUE(Contains(answer, "HTTP/1.1 400 Bad Request")) << request << ": " << answer;
    EXPECT_TRUE(Contains(answer, "malformed HTTP request: ")) << request << ": " << answer;
  }
  EXPECT_TRUE(Contains(Exchange("GET /healthz HTTP/1.1\r\n\r\n"), "HTTP/1.1 200 OK"));
}

// A client sending one byte a second is answered 408 and cut off at the read timeout (2.5 s
// here): the deadline covers the whole request, not each read.
TEST_F(AdminServerTest, SlowlorisIsCutOffAtTheReadTimeout) {
  options_.read_timeout_ms = 2500;
  Start();
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 's') + "\r\n\r\n";
  const auto start = Clock::now();
  size_t sent = 0;
  std::string answer;
  while (sent < request.size() && answer.empty() &&
         Clock::now() - start < std::chrono::seconds(6)) {
    if (!client.Send(request.substr(sent, 1))) break;
    ++sent;
    answer += client.ReadAll(std::chrono::milliseconds(1000));
  }
  answer += client.ReadAll(std::chrono::milliseconds(500));
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(Contains(answer, "HTTP/1.1 408 Request Timeout")) << answer;
  EXPECT_TRUE(Contains(answer, "did not arrive within admin.read_timeout (2500 ms)")) << answer;
  EXPECT_GE(sent, 2u);  // at 0, 1 (and 2) s: cut off by then, whatever the load
  EXPECT_LE(sent, 3u);
  EXPECT_GE(elapsed, std::chrono::milliseconds(2400));
  EXPECT_LT(elapsed, std::chrono::milliseconds(4000));
}

// 1,000 connections at once: over the cap (32) each is answered 429 at once, the ones held
// are cut off by the read timeout, and the server answers /healthz afterwards.
TEST_F(AdminServerTest, ThousandConcurrentConnections) {
  Start();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 1000; ++i) {
    clients.push_back(std::make_unique<RawClient>(server_->port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  int too_many = 0, timed_out = 0;
  for (auto& client : clients) {
    const std::string answer = client->ReadAll(std::chrono::milliseconds(3000));
    if (Contains(answer, "HTTP/1.1 429 Too Many Requests") &&
        Contains(answer, "too many open connections (admin.max_connections is 32)")) {
      ++too_many;
    } else if (Contains(answer, "HTTP/1.1 408")) {
      ++timed_out;
    }
  }
  EXPECT_EQ(too_many + timed_out, 1000);
  EXPECT_LE(timed_out, 32);
  EXPECT_GE(too_many, 1000 - 32);
  clients.clear();
  EXPECT_TRUE(Contains(Exchange("GET /healthz HTTP/1.1\r\n\r\n"), "HTTP/1.1 200 OK"));
}

// TLS with a CA and a server certificate made by openssl here; the token entry made by the
// shell line of docs/security.md; curl trusts the server through --cacert only.
TEST_F(AdminServerTest, TlsWithATestCa) {
  test::TempDir dir("admin-tls");
  const std::string d = dir.path().string();
  const Status certificates = test::MakeTestCertificates(d);
  ASSERT_TRUE(certificates.ok()) << certificates.ToString();
  const testing::CommandResult made = RunCommand(
      "(cd " + d +
      " && TOKEN=$(openssl rand -hex 32) && printf %s \"$TOKEN\" > token"
      " && echo \"ops-alice admin $(printf %s \"$TOKEN\" | sha256sum | cut -d' ' -f1)\" > tokens)");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto tokens = LoadAdminTokens(d + "/tokens", nullptr);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  access_ = AdminAccess(*tokens, AdminAccess::WithoutTokens::kClosed, &log_);

  options_.tls_cert_file = d + "/server.pem";
  options_.tls_key_file = d + "/ca.pem";  // not the certificate's key
  auto wrong_key = AdminServer::Start("127.0.0.1:0", Handler(), options_);
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_TRUE(Contains(wrong_key.status().message(), "admin.tls.key_file '" + d + "/ca.pem'"))
      << wrong_key.status().message();
  options_.tls_key_file = d + "/server.key";
  Start();
  const std::string https = "https://127.0.0.1:" + std::to_string(server_->port());
  const std::string curl = "curl -s -m 5 -w ' %{http_code}' --cacert " + d + "/ca.pem ";
  EXPECT_EQ(RunCommand(curl + https + "/readyz").output, "{\"status\":\"ready\"}\n 200");
  EXPECT_EQ(RunCommand(curl + https + "/rules").output,
            "{\"error\":\"missing 'Authorization: Bearer <token>'\"}\n 401");
  EXPECT_EQ(RunCommand(curl + "-X DELETE -H \"Authorization: Bearer $(cat " + d + "/token)\" " +
                       https + "/customers/c-1")
                .output,
            "{\"customer_id\":\"c-1\",\"erased\":true,\"had_state\":false,\"outbox_entries\":0,"
            "\"timers\":0}\n 200");
  EXPECT_TRUE(Contains(log_text_.str(), "token=ops-alice method=DELETE")) << log_text_.str();
  // Without the CA curl does not trust the server; plain HTTP gets no answer.
  EXPECT_EQ(RunCommand("curl -s -m 5 " + https + "/readyz").exit_code, 60);
  EXPECT_NE(
      RunCommand("curl -s -m 5 -f http://127.0.0.1:" + std::to_string(server_->port()) + "/readyz")
          .exit_code,
      0);
}

// metrics.require_token: /metrics on the admin server behind the access layer.
TEST_F(AdminServerWithTokensTest, MetricsBehindAToken) {
  EngineMetrics metrics;
  auto server = MetricsServer::Start("127.0.0.1:0", metrics, &access_);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string url = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/metrics";
  EXPECT_EQ(RunCommand("curl -s -m 5 -o /dev/null -w '%{http_code}' " + url).output, "401");
  const testing::CommandResult scraped =
      RunCommand("curl -s -m 5 -H 'Authorization: Bearer reader-token' " + url);
  EXPECT_TRUE(Contains(scraped.output, "# TYPE touchstream_")) << scraped.output.substr(0, 300);
}

}  // namespace
}  // namespace touchstream::engine
