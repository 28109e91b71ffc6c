#include "test_webhook_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace touchstream::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
std::string Text(beast::string_view text) {
  return std::string(text.data(), text.size());
}
}  // namespace

int TestWebhookServer::DefaultResponse(const std::string& key, const std::string&, int attempt) {
  if (key.rfind("flaky-", 0) == 0 && attempt == 1) return 500;
  if (key.rfind("bad-", 0) == 0) return 400;
  if (key.rfind("hang-", 0) == 0 && attempt == 1) return 0;
  return 200;
}

TestWebhookServer::TestWebhookServer(Responder responder)
    : responder_(std::move(responder)),
      acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

TestWebhookServer::~TestWebhookServer() {
  stopping_ = true;
  // Wakes the blocking accept with a connection of our own.
  boost::system::error_code ignored;
  tcp::socket poke(io_);
  poke.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ignored);
  accept_thread_.join();
  // Joined without the lock: a connection still being served takes it.
  std::vector<std::thread> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections.swap(connections_);
  }
  for (std::thread& t : connections) t.join();
}

std::string TestWebhookServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/email";
}

std::map<std::string, TestWebhookServer::Seen> TestWebhookServer::seen() {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

void TestWebhookServer::AcceptLoop() {
  while (true) {
    tcp::socket socket(io_);
    boost::system::error_code ec;
    acceptor_.accept(socket, ec);
    if (stopping_ || ec) return;
    std::lock_guard<std::mutex> lock(mu_);
    connections_.emplace_back([this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
  }
}

void TestWebhookServer::Serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  boost::system::error_code ec;
  http::read(socket, buffer, request, ec);
  if (ec) return;
  const std::string key = Text(request["Idempotency-Key"]);
  int attempt = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Seen& seen = seen_[key];
    attempt = ++seen.requests;
    seen.authorization = Text(request[http::field::authorization]);
    seen.body = request.body();
  }
  const int status = responder_(key, request.body(), attempt);
  if (status == 0) {
    // Past the client's timeout (300 ms in the tests); the client has given up by then.
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    return;
  }
  http::response<http::string_body> response(static_cast<http::status>(status), 11);
  response.body() = "{}";
  response.prepare_payload();
  http::write(socket, response, ec);
  if (!ec && status >= 200 && status < 300) {
    std::lock_guard<std::mutex> lock(mu_);
    ++seen_[key].successes;
  }
}

}  // namespace touchstream::testing
