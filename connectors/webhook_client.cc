#include "connectors/webhook_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <thread>
#include <type_traits>

namespace touchstream::connectors {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

Result<WebhookUrl> ParseWebhookUrl(const std::string& url) {
  WebhookUrl out;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return Status::InvalidArgument("url '" + url + "': expected http:// or https://");
  }
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) out.target = rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    return Status::InvalidArgument("url '" + url +
                                   "': credentials in the URL are not allowed (use the "
                                   "auth header and its secrets file)");
  }
  out.port = out.tls ? "443" : "80";
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    const size_t close = authority.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("url '" + url + "': bad host");
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return Status::InvalidArgument("url '" + url + "': bad host");
      }
      out.port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) out.port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Status::InvalidArgument("url '" + url + "': no host");
  if (out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("url '" + url + "': port must be a number");
  }
  return out;
}

class WebhookClient::Impl {
 public:
  Impl(WebhookEndpoint endpoint, WebhookUrl url)
      : endpoint_(std::move(endpoint)),
        url_(std::move(url)),
        ssl_ctx_(ssl::context::tls_client),
        work_(net::make_work_guard(io_)) {}

  ~Impl() {
    // Requests in flight are abandoned: their handlers are destroyed without being called.
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  Status Init() {
    if (url_.tls) {
      boost::system::error_code ec;
      if (endpoint_.tls_ca_file.empty()) {
        ssl_ctx_.set_default_verify_paths(ec);
        if (ec) {
          return Status::InvalidArgument("cannot load the system CA certificates: " + ec.message());
        }
      } else {
        ssl_ctx_.load_verify_file(endpoint_.tls_ca_file, ec);
        if (ec) {
          return Status::InvalidArgument("tls_ca_file '" + endpoint_.tls_ca_file +
                                         "': cannot load CA certificates: " + ec.message());
        }
      }
      ssl_ctx_.set_verify_mode(endpoint_.tls_verify ? ssl::verify_peer : ssl::verify_none);
    }
    thread_ = std::thread([this] { io_.run(); });
    return Status::Ok();
  }

  void Post(std::string body, std::string key, Done done);

  const WebhookEndpoint& endpoint() const { return endpoint_; }
  const WebhookUrl& url() const { return url_; }

 private:
  const WebhookEndpoint endpoint_;
  const WebhookUrl url_;
  // Before io_: the sessions io_ still holds when it is destroyed refer to it.
  ssl::context ssl_ctx_;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread thread_;
};

namespace {

using SslStream = beast::ssl_stream<beast::tcp_stream>;

// One request: resolve, connect, (TLS handshake), write, read, under one deadline timer that
// cancels whatever operation is pending when it fires.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... StreamArgs>
  Session(net::io_context& io, const WebhookEndpoint& endpoint, const WebhookUrl& url,
          std::string body, const std::string& key, WebhookClient::Done done,
          StreamArgs&&... stream_args)
      : url_(url),
        timeout_(endpoint.timeout),
        resolver_(io),
        stream_(io, std::forward<StreamArgs>(stream_args)...),
        deadline_(io),
        done_(std::move(done)) {
    request_.method(http::verb::post);
    request_.target(url.target);
    request_.version(11);
    const bool default_port = url.port == (url.tls ? "443" : "80");
    request_.set(http::field::host, default_port ? url.host : url.host + ":" + url.port);
    request_.set(http::field::user_agent, "touchstream-deliver");
    request_.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : endpoint.headers) request_.set(name, value);
    if (!endpoint.auth_header.empty()) request_.set(endpoint.auth_header, endpoint.auth_value);
    request_.set("Idempotency-Key", key);
    request_.body() = std::move(body);
    request_.prepare_payload();
  }

  void Start() {
    auto self = this->shared_from_this();
    deadline_.expires_after(timeout_);
    deadline_.async_wait([self](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the request finished first
      self->timed_out_ = true;
      self->resolver_.cancel();
      beast::get_lowest_layer(self->stream_).cancel();
    });
    resolver_.async_resolve(url_.host, url_.port,
                            [self](boost::system::error_code ec, tcp::resolver::results_type r) {
                              if (ec) return self->Fail("resolve", ec);
                              self->Connect(r);
                            });
  }

 private:
  void Connect(const tcp::resolver::results_type& results) {
    auto self = this->shared_from_this();
    beast::get_lowest_layer(stream_).async_connect(
        results, [self](boost::system::error_code ec, const tcp::endpoint&) {
          if (ec) return self->Fail("connect", ec);
          self->Handshake();
        });
  }

  void Handshake() {
    if constexpr (std::is_same_v<Stream, SslStream>) {
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str())) {
        return Fail("tls", boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                                     net::error::get_ssl_category()));
      }
      stream_.set_verify_callback(ssl::host_name_verification(url_.host));
      auto self = this->shared_from_this();
      stream_.async_handshake(ssl::stream_base::client, [self](boost::system::error_code ec) {
        if (ec) return self->Fail("tls handshake", ec);
        self->Write();
      });
    } else {
      Write();
    }
  }

  void Write() {
    auto self = this->shared_from_this();
    http::async_write(stream_, request_, [self](boost::system::error_code ec, size_t) {
      if (ec) return self->Fail("write", ec);
      self->Read();
    });
  }

  void Read() {
    auto self = this->shared_from_this();
    http::async_read(stream_, buffer_, response_, [self](boost::system::error_code ec, size_t) {
      if (ec) return self->Fail("read", ec);
      PostOutcome outcome;
      outcome.http_status = static_cast<int>(self->response_.result_int());
      self->Finish(outcome);
    });
  }

  void Fail(const char* stage, const boost::system::error_code& ec) {
    PostOutcome outcome;
    if (timed_out_) {
      outcome.error = PostOutcome::Error::kTimeout;
      outcome.error_text = std::string(stage) + ": timed out";
    } else {
      outcome.error = PostOutcome::Error::kConnection;
      outcome.error_text = std::string(stage) + ": " + ec.message();
    }
    Finish(outcome);
  }

  void Finish(const PostOutcome& outcome) {
    deadline_.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    done_(outcome);
  }

  const WebhookUrl& url_;
  const std::chrono::milliseconds timeout_;
  tcp::resolver resolver_;
  Stream stream_;
  net::steady_timer deadline_;
  WebhookClient::Done done_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  beast::flat_buffer buffer_;
  bool timed_out_ = false;
};

}  // namespace

void WebhookClient::Impl::Post(std::string body, std::string key, Done done) {
  // Sessions are created on the I/O thread, which owns every socket.
  net::post(io_,
            [this, body = std::move(body), key = std::move(key), done = std::move(done)]() mutable {
              if (url_.tls) {
                std::make_shared<Session<SslStream>>(io_, endpoint_, url_, std::move(body), key,
                                                     std::move(done), ssl_ctx_)
                    ->Start();
              } else {
                std::make_shared<Session<beast::tcp_stream>>(io_, endpoint_, url_, std::move(body),
                                                             key, std::move(done))
                    ->Start();
              }
            });
}

Result<std::unique_ptr<WebhookClient>> WebhookClient::Create(const WebhookEndpoint& endpoint) {
  auto url = ParseWebhookUrl(endpoint.url);
  if (!url.ok()) return url.status();
  auto impl = std::make_unique<Impl>(endpoint, *url);
  if (Status status = impl->Init(); !status.ok()) return status;
  return std::unique_ptr<WebhookClient>(new WebhookClient(std::move(impl)));
}

WebhookClient::WebhookClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebhookClient::~WebhookClient() = default;

void WebhookClient::Post(std::string body, std::string idempotency_key, Done done) {
  impl_->Post(std::move(body), std::move(idempotency_key), std::move(done));
}

}  // namespace touchstream::connectors
