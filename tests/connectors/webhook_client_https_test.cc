// The webhook client over HTTPS against a loopback TLS server started here, whose certificate is
// signed by a CA that openssl makes in the test: the POST arrives with its Idempotency-Key when
// the client trusts that CA (tls_ca_file), fails without answer when it trusts only the system's
// CAs or the host name does not match, and goes through with tls_verify off.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/webhook_client.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"

namespace touchstream::connectors {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// A loopback HTTPS server answering every POST with 200, one connection at a time on its own
// thread; remembers each request's Idempotency-Key and body.
class TlsTestServer {
 public:
  TlsTestServer(const std::string& cert_file, const std::string& key_file)
      : context_(ssl::context::tls_server),
        acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    context_.use_certificate_chain_file(cert_file);
    context_.use_private_key_file(key_file, ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TlsTestServer() {
    stopping_ = true;
    boost::system::error_code ignored;
    tcp::socket poke(io_);
    poke.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ignored);
    thread_.join();
  }

  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_) + "/hooks/email";
  }
  // "<Idempotency-Key> <body>" of every request answered.
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (true) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_ || ec) return;
      Serve(std::move(socket));
    }
  }

  void Serve(tcp::socket socket) {
    beast::ssl_stream<tcp::socket> stream(std::move(socket), context_);
    boost::system::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) return;  // the client refused our certificate
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(stream, buffer, request, ec);
    if (ec) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const beast::string_view key = request["Idempotency-Key"];
      requests_.push_back(std::string(key.data(), key.size()) + " " + request.body());
    }
    http::response<http::string_body> response(http::status::ok, 11);
    response.body() = "{}";
    response.prepare_payload();
    http::write(stream, response, ec);
    stream.shutdown(ec);
  }

  net::io_context io_;
  ssl::context context_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;  // GUARDED_BY(mu_)
};

class WebhookClientHttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status made = test::MakeTestCertificates(dir_.path().string());
    ASSERT_TRUE(made.ok()) << made.ToString();
    server_ = std::make_unique<TlsTestServer>(dir_.File("server.pem"), dir_.File("server.key"));
  }

  // One POST through a client for `endpoint`; the outcome, or a failure after 20 s.
  PostOutcome PostOnce(const WebhookEndpoint& endpoint, const std::string& key) {
    auto client = WebhookClient::Create(endpoint);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (!client.ok()) return {};
    std::promise<PostOutcome> outcome;
    (*client)->Post(R"({"action_id":")" + key + R"("})", key,
                    [&](const PostOutcome& done) { outcome.set_value(done); });
    std::future<PostOutcome> future = outcome.get_future();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return future.get();
  }

  WebhookEndpoint Endpoint(const std::string& url) const {
    WebhookEndpoint endpoint;
    endpoint.url = url;
    endpoint.timeout = std::chrono::milliseconds(5000);
    return endpoint;
  }

  test::TempDir dir_{"webhook-tls"};
  std::unique_ptr<TlsTestServer> server_;
};

TEST_F(WebhookClientHttpsTest, PostsToAnEndpointWhoseCaItTrusts) {
  WebhookEndpoint endpoint = Endpoint(server_->url());
  endpoint.tls_ca_file = dir_.File("ca.pem");
  const PostOutcome outcome = PostOnce(endpoint, "a-1");
  EXPECT_EQ(outcome.error, PostOutcome::Error::kNone) << outcome.error_text;
  EXPECT_EQ(outcome.http_status, 200);
  EXPECT_EQ(server_->requests(), std::vector<std::string>{R"(a-1 {"action_id":"a-1"})"});
}

TEST_F(WebhookClientHttpsTest, RefusesACertificateFromAnUntrustedCa) {
  // The system's CAs do not include the test CA: the handshake fails, nothing is sent.
  const PostOutcome outcome = PostOnce(Endpoint(server_->url()), "a-2");
  EXPECT_EQ(outcome.error, PostOutcome::Error::kConnection);
  EXPECT_EQ(outcome.http_status, 0);
  EXPECT_NE(outcome.error_text.find("certificate verify failed"), std::string::npos)
      << outcome.error_text;
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(WebhookClientHttpsTest, RefusesACertificateForAnotherHost) {
  // Signed by a trusted CA, but for 127.0.0.1, not "localhost".
  WebhookEndpoint endpoint = Endpoint(server_->url("localhost"));
  endpoint.tls_ca_file = dir_.File("ca.pem");
  const PostOutcome outcome = PostOnce(endpoint, "a-3");
  EXPECT_EQ(outcome.error, PostOutcome::Error::kConnection);
  EXPECT_NE(outcome.error_text.find("certificate verify failed"), std::string::npos)
      << outcome.error_text;
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(WebhookClientHttpsTest, TlsVerifyOffAcceptsAnyCertificate) {
  WebhookEndpoint endpoint = Endpoint(server_->url());
  endpoint.tls_verify = false;
  const PostOutcome outcome = PostOnce(endpoint, "a-4");
  EXPECT_EQ(outcome.http_status, 200) << outcome.error_text;
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(WebhookClientHttpsTest, AnUnreadableCaFileIsRefusedAtCreation) {
  WebhookEndpoint endpoint = Endpoint(server_->url());
  endpoint.tls_ca_file = dir_.File("missing.pem");
  auto client = WebhookClient::Create(endpoint);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("tls_ca_file '" + dir_.File("missing.pem") + "'"),
            std::string::npos)
      << client.status().ToString();
}

}  // namespace
}  // namespace touchstream::connectors
