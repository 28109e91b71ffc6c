// A loopback HTTP server for webhook tests. Each request is answered as a Responder decides from
// its Idempotency-Key, body and attempt number (1 for the key's first request); by default:
// "flaky-*" answers 500 then 200, "hang-*" hangs (past a 300 ms client timeout) on its first
// request then answers 200, "bad-*" answers 400, anything else 200. One thread accepts; each
// connection is served on a thread of its own, joined when the server is destroyed.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace touchstream::testing {

class TestWebhookServer {
 public:
  // The HTTP status to answer with; 0 hangs without answering.
  using Responder =
      std::function<int(const std::string& key, const std::string& body, int attempt)>;
  static int DefaultResponse(const std::string& key, const std::string& body, int attempt);

  explicit TestWebhookServer(Responder responder = DefaultResponse);
  ~TestWebhookServer();
  TestWebhookServer(const TestWebhookServer&) = delete;
  TestWebhookServer& operator=(const TestWebhookServer&) = delete;

  std::string url() const;

  struct Seen {
    int requests = 0;
    int successes = 0;  // 2xx answers sent
    std::string authorization;
    std::string body;
  };
  // What was seen, by Idempotency-Key.
  std::map<std::string, Seen> seen();

 private:
  void AcceptLoop();
  void Serve(boost::asio::ip::tcp::socket socket);

  Responder responder_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> connections_;  // GUARDED_BY(mu_)
  std::map<std::string, Seen> seen_;      // GUARDED_BY(mu_)
};

}  // namespace touchstream::testing
