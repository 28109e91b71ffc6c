#include "engine/ops/admin_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <utility>

namespace touchstream::engine {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// Whether the server still accepts responses; shared with the responders, which may outlive
// the server (held by a task queue).
struct Link {
  std::mutex mu;
  bool open = true;  // GUARDED_BY(mu)
};

AdminResponse Refusal(int status, const std::string& reason) {
  return {status, nlohmann::json{{"error", reason}}.dump() + "\n", "application/json", {}};
}

// The refusal of a request Beast could not read, or nullopt when the client just went away.
std::optional<AdminResponse> ReadRefusal(const beast::error_code& ec,
                                         const AdminServerOptions& options) {
  if (ec == http::error::header_limit) {
    return Refusal(431, "request line and headers exceed admin.max_header_bytes (" +
                            std::to_string(options.max_header_bytes) + " bytes)");
  }
  if (ec == http::error::body_limit) {
    return Refusal(413, "request body exceeds admin.max_body_bytes (" +
                            std::to_string(options.max_body_bytes) + " bytes)");
  }
  if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return Refusal(400, "malformed HTTP request: " + ec.message());
  }
  return std::nullopt;
}

}  // namespace

class AdminServer::Impl {
 public:
  class SessionBase;
  template <class Stream>
  class Session;

  Impl(AdminHandler handler, AdminServerOptions options)
      : handler_(std::move(handler)), options_(std::move(options)), acceptor_(ioc_) {}

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
    if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
      if (Status s = LoadTls(); !s.ok()) return s;
    }
    const size_t colon = address.rfind(':');
    int port = -1;
    if (colon != std::string::npos) {
      try {
        port = std::stoi(address.substr(colon + 1));
      } catch (const std::exception&) {
        port = -1;
      }
    }
    std::string host_text = colon == std::string::npos ? "" : address.substr(0, colon);
    if (host_text.size() >= 2 && host_text.front() == '[' && host_text.back() == ']') {
      host_text = host_text.substr(1, host_text.size() - 2);  // [::1]
    }
    beast::error_code ec;
    const asio::ip::address host = asio::ip::make_address(host_text, ec);
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
  Status LoadTls() {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
      return Status::InvalidArgument(
          "admin.tls: set both cert_file and key_file (PEM), or neither for plain HTTP");
    }
    tls_.emplace(ssl::context::tls_server);
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return Status::InvalidArgument(
          "admin.tls.cert_file '" + options_.tls_cert_file +
          "': cannot use it as a PEM certificate chain: " + ec.message());
    }
    tls_->use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument(
          "admin.tls.key_file '" + options_.tls_key_file +
          "': cannot use it as the PEM private key of cert_file: " + ec.message());
    }
    return Status::Ok();
  }

  void Accept();
  // Answers 429 without reading (plain HTTP) or closes (TLS): never waits on the client.
  void RefuseOverCap(tcp::socket socket);

  AdminHandler handler_;
  const AdminServerOptions options_;
  std::optional<ssl::context> tls_;
  std::shared_ptr<Link> link_ = std::make_shared<Link>();
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  // Open connections; touched on the server thread only (and after it stopped).
  std::set<std::shared_ptr<SessionBase>> sessions_;
  std::thread thread_;
  int port_ = 0;
};

class AdminServer::Impl::SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
};

// One connection: (handshake,) read a request, hand it over, write the response, close.
template <class Stream>
class AdminServer::Impl::Session final : public SessionBase {
 public:
  template <class... StreamArgs>
  Session(Impl* server, StreamArgs&&... args)
      : stream_(std::forward<StreamArgs>(args)...),
        deadline_(server->ioc_),
        server_(server),
        options_(server->options_) {}

  void Start() override {
    deadline_.expires_after(std::chrono::milliseconds(options_.read_timeout_ms));
    deadline_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the request arrived in time
      if (auto self = weak.lock()) static_cast<Session*>(self.get())->TimedOut();
    });
    if constexpr (kTls) {
      stream_.async_handshake(ssl::stream_base::server, [self = Self()](beast::error_code ec) {
        if (ec) return self->Close();
        self->handshaken_ = true;
        self->Read();
      });
    } else {
      Read();
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }

  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    parser_->body_limit(static_cast<uint64_t>(options_.max_body_bytes));
    http::async_read(stream_, buffer_, *parser_, [self = Self()](beast::error_code ec, size_t) {
      if (self->timed_out_) {
        return self->Write(Refusal(408, "the request did not arrive within admin.read_timeout (" +
                                            std::to_string(self->options_.read_timeout_ms) +
                                            " ms); connection closed"));
      }
      self->deadline_.cancel();
      if (ec) {
        if (auto refusal = ReadRefusal(ec, self->options_)) return self->Write(*refusal);
        return self->Close();
      }
      self->Dispatch();
    });
  }

  // The read deadline passed: the pending read is cancelled and answered 408 (a handshake
  // that did not finish is closed: there is no channel to answer on).
  void TimedOut() {
    timed_out_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().cancel(ignored);
    if (!handshaken_ && kTls) Close();
  }

  void Dispatch() {
    const auto& message = parser_->get();
    AdminRequest request{std::string(message.method_string()), std::string(message.target()),
                         std::string(message[http::field::authorization]), message.body()};
    auto responded = std::make_shared<std::atomic<bool>>(false);
    AdminResponder respond = [link = server_->link_, executor = stream_.get_executor(),
                              weak = weak_from_this(), responded](AdminResponse response) {
      if (responded->exchange(true)) return;
      std::lock_guard<std::mutex> lock(link->mu);
      if (!link->open) return;
      asio::post(executor, [weak, response = std::move(response)]() mutable {
        if (auto self = weak.lock()) static_cast<Session*>(self.get())->Write(std::move(response));
      });
    };
    server_->handler_(request, std::move(respond));
  }

  void Write(AdminResponse response) {
    if (closed_) return;
    response_.result(static_cast<http::status>(response.status));
    response_.version(parser_ && parser_->is_header_done() ? parser_->get().version() : 11);
    response_.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) response_.set(name, value);
    response_.keep_alive(false);
    response_.body() = std::move(response.body);
    response_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::milliseconds(options_.write_timeout_ms));
    http::async_write(stream_, response_,
                      [self = Self()](beast::error_code, size_t) { self->Close(); });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    deadline_.cancel();
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    server_->sessions_.erase(shared_from_this());
  }

  Stream stream_;
  asio::steady_timer deadline_;  // the read timeout (TLS handshake and request)
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  Impl* server_;
  const AdminServerOptions& options_;
  bool handshaken_ = false;
  bool timed_out_ = false;
  bool closed_ = false;
};

void AdminServer::Impl::RefuseOverCap(tcp::socket socket) {
  beast::error_code ignored;
  if (!tls_) {
    const std::string body =
        nlohmann::json{{"error", "too many open connections (admin.max_connections is " +
                                     std::to_string(options_.max_connections) + "); retry later"}}
            .dump() +
        "\n";
    const std::string text =
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
        "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    // A fresh socket's send buffer takes this whole; never block on the client.
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(text), ignored);
  }
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void AdminServer::Impl::Accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // the acceptor was closed
    if (!ec) {
      if (static_cast<int64_t>(sessions_.size()) >= options_.max_connections) {
        RefuseOverCap(std::move(socket));
      } else {
        std::shared_ptr<SessionBase> session;
        if (tls_) {
          session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              this, std::move(socket), *tls_);
        } else {
          session = std::make_shared<Session<beast::tcp_stream>>(this, std::move(socket));
        }
        sessions_.insert(session);
        session->Start();
      }
    }
    Accept();
  });
}

Result<std::unique_ptr<AdminServer>> AdminServer::Start(const std::string& address,
                                                        AdminHandler handler,
                                                        AdminServerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(handler), std::move(options));
  if (Status s = impl->Listen(address); !s.ok()) return s;
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() = default;

int AdminServer::port() const {
  return impl_->port();
}

bool IsLoopbackAddress(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") return true;
  beast::error_code ec;
  const asio::ip::address parsed = asio::ip::make_address(host, ec);
  return !ec && parsed.is_loopback();
}

}  // namespace touchstream::engine
