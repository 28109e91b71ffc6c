#include "engine/ops/admin_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace touchstream::engine {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(10);

// Whether the server still accepts responses; shared with the responders, which may outlive
// the server (held by a task queue).
struct Link {
  std::mutex mu;
  bool open = true;  // GUARDED_BY(mu)
};

}  // namespace

class AdminServer::Impl {
 public:
  class Session;

  explicit Impl(AdminHandler handler) : handler_(std::move(handler)), acceptor_(ioc_) {}

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(link_->mu);
      link_->open = false;
    }
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
    sessions_.clear();
  }

  Status Listen(const std::string& address) {
    const size_t colon = address.rfind(':');
    int port = -1;
    if (colon != std::string::npos) {
      try {
        port = std::stoi(address.substr(colon + 1));
      } catch (const std::exception&) {
        port = -1;
      }
    }
    beast::error_code ec;
    const asio::ip::address host =
        asio::ip::make_address(colon == std::string::npos ? "" : address.substr(0, colon), ec);
    if (ec || port < 0 || port > 65535) {
      return Status::InvalidArgument("admin.address '" + address +
                                     "': expected host:port, e.g. 127.0.0.1:9465");
    }
    const tcp::endpoint endpoint(host, static_cast<unsigned short>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("admin API cannot listen on " + address + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
    return Status::Ok();
  }

  int port() const { return port_; }

 private:
  void Accept();

  AdminHandler handler_;
  std::shared_ptr<Link> link_ = std::make_shared<Link>();
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  // Open connections; touched on the server thread only (and after it stopped).
  std::set<std::shared_ptr<Session>> sessions_;
  std::thread thread_;
  int port_ = 0;
};

// One connection: read a request, hand it over, write the response, close.
class AdminServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Impl* server) : stream_(std::move(socket)), server_(server) {}

  void Start() {
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->Dispatch();
                     });
  }

 private:
  void Dispatch() {
    stream_.expires_never();
    AdminRequest request{std::string(request_.method_string()), std::string(request_.target())};
    auto responded = std::make_shared<std::atomic<bool>>(false);
    AdminResponder respond = [link = server_->link_, executor = stream_.get_executor(),
                              weak = weak_from_this(), responded](AdminResponse response) {
      if (responded->exchange(true)) return;
      std::lock_guard<std::mutex> lock(link->mu);
      if (!link->open) return;
      asio::post(executor, [weak, response = std::move(response)]() mutable {
        if (auto self = weak.lock()) self->Write(std::move(response));
      });
    };
    server_->handler_(request, std::move(respond));
  }

  void Write(AdminResponse response) {
    response_.result(static_cast<http::status>(response.status));
    response_.version(request_.version());
    response_.set(http::field::content_type, response.content_type);
    response_.keep_alive(false);
    response_.body() = std::move(response.body);
    response_.prepare_payload();
    stream_.expires_after(kIoTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, size_t) { self->Close(); });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    server_->sessions_.erase(shared_from_this());
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  Impl* server_;
};

void AdminServer::Impl::Accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // the acceptor was closed
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket), this);
      sessions_.insert(session);
      session->Start();
    }
    Accept();
  });
}

Result<std::unique_ptr<AdminServer>> AdminServer::Start(const std::string& address,
                                                        AdminHandler handler) {
  auto impl = std::make_unique<Impl>(std::move(handler));
  if (Status s = impl->Listen(address); !s.ok()) return s;
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() = default;

int AdminServer::port() const {
  return impl_->port();
}

}  // namespace touchstream::engine
