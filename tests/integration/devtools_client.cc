#include "devtools_client.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "external_clients.h"

namespace touchstream::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class Chromium::Connection {
 public:
  Connection() : ws_(io_) {}

  // Connects to ws://127.0.0.1:<port><path>.
  Status Open(int port, const std::string& path) {
    try {
      tcp::resolver resolver(io_);
      asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
      ws_.handshake("127.0.0.1:" + std::to_string(port), path);
      ws_.read_message_max(64 * 1024 * 1024);  // screenshots are large
      return Status::Ok();
    } catch (const std::exception& e) {
      return Status::Unavailable("DevTools websocket " + path + ": " + e.what());
    }
  }

  // Bounds each blocking read by `timeout` (SO_RCVTIMEO: a read that waits longer fails).
  void SetReadTimeout(std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  Status Send(const std::string& text) {
    beast::error_code error;
    ws_.write(asio::buffer(text), error);
    if (error) return Status::Unavailable("DevTools write: " + error.message());
    return Status::Ok();
  }

  Result<std::string> Read() {
    beast::flat_buffer buffer;
    beast::error_code error;
    ws_.read(buffer, error);
    if (error) return Status::Unavailable("DevTools read: " + error.message());
    return beast::buffers_to_string(buffer.data());
  }

  ~Connection() {
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
  }

 private:
  asio::io_context io_;
  beast::websocket::stream<tcp::socket> ws_;
};

Chromium::Chromium(std::unique_ptr<test::TempDir> profile, pid_t pid)
    : profile_(std::move(profile)), pid_(pid), connection_(std::make_unique<Connection>()) {}

Chromium::~Chromium() {
  connection_.reset();
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  // profile_ (the TempDir) removes the profile folder.
}

Result<std::unique_ptr<Chromium>> Chromium::Start(std::chrono::milliseconds timeout) {
  auto profile = std::make_unique<test::TempDir>("touchstream-chromium");
  const std::string user_data = "--user-data-dir=" + profile->path().string();
  const std::string log = profile->File("chromium.log");
  const pid_t pid = ::fork();
  if (pid < 0) return Status::Unavailable("cannot fork for chromium");
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    // --no-sandbox: tests run as root in CI containers, where Chromium's sandbox cannot start.
    ::execl(kChromiumPath, kChromiumPath, "--headless=new", "--remote-debugging-port=0",
            user_data.c_str(), "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--window-size=1280,1000", "about:blank", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::unique_ptr<Chromium> browser(new Chromium(std::move(profile), pid));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::filesystem::path port_file = browser->profile_->path() / "DevToolsActivePort";
  int port = 0;
  while (port == 0) {
    if (std::ifstream in(port_file); in) in >> port;
    if (port != 0) break;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      browser->pid_ = -1;
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      return Status::Unavailable("chromium exited at start: " + text.str());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("chromium wrote no DevToolsActivePort within the timeout");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The first page target's websocket path, from the HTTP endpoint's target list.
  std::string page_path;
  while (page_path.empty()) {
    const std::string list =
        RunShell("curl -s -m 5 http://127.0.0.1:" + std::to_string(port) + "/json/list || true");
    auto targets = nlohmann::json::parse(list, nullptr, /*allow_exceptions=*/false);
    if (targets.is_array()) {
      for (const auto& target : targets) {
        if (target.value("type", "") != "page") continue;
        const std::string url = target.value("webSocketDebuggerUrl", "");
        const size_t path = url.find("/devtools/");
        if (path != std::string::npos) page_path = url.substr(path);
        break;
      }
    }
    if (page_path.empty()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Status::Unavailable("chromium listed no page target within the timeout");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (Status s = browser->connection_->Open(port, page_path); !s.ok()) return s;
  if (auto enabled = browser->Call("Page.enable", nlohmann::json::object()); !enabled.ok()) {
    return enabled.status();
  }
  return browser;
}

Result<nlohmann::json> Chromium::Call(const std::string& method, const nlohmann::json& params,
                                      std::chrono::milliseconds timeout) {
  const int64_t id = next_id_++;
  if (Status s = connection_->Send(
          nlohmann::json({{"id", id}, {"method", method}, {"params", params}}).dump());
      !s.ok()) {
    return s;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Status::Unavailable(method + ": no answer within the timeout");
    connection_->SetReadTimeout(left);
    Result<std::string> message = connection_->Read();
    if (!message.ok()) return Status::Unavailable(method + ": " + message.status().message());
    auto reply = nlohmann::json::parse(*message, nullptr, /*allow_exceptions=*/false);
    if (!reply.is_object() || reply.value("id", int64_t{-1}) != id) continue;  // an event
    if (reply.contains("error")) {
      return Status::InvalidArgument(method + ": " + reply["error"].dump());
    }
    return reply.value("result", nlohmann::json::object());
  }
}

Status Chromium::Navigate(const std::string& url) {
  auto result = Call("Page.navigate", {{"url", url}});
  if (!result.ok()) return result.status();
  if (result->contains("errorText")) {
    return Status::Unavailable("navigating to " + url + ": " + (*result)["errorText"].dump());
  }
  return Status::Ok();
}

Result<nlohmann::json> Chromium::Evaluate(const std::string& expression) {
  auto result = Call("Runtime.evaluate",
                     {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}});
  if (!result.ok()) return result.status();
  if (result->contains("exceptionDetails")) {
    return Status::InvalidArgument("JavaScript exception in `" + expression +
                                   "`: " + (*result)["exceptionDetails"].dump());
  }
  return (*result)["result"].value("value", nlohmann::json());
}

Status Chromium::WaitFor(const std::string& expression, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto value = Evaluate(expression);
    if (value.ok() && *value == true) return Status::Ok();
    last = value.ok() ? value->dump() : value.status().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::Unavailable("`" + expression + "` was not true within the timeout (last: " + last +
                             ")");
}

Status Chromium::Screenshot(const std::filesystem::path& path) {
  auto shot = Call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
  if (!shot.ok()) return shot.status();
  const std::string base64 = (*shot).value("data", "");
  std::string png(base64.size() / 4 * 3 + 3, '\0');
  const int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(png.data()),
                                      reinterpret_cast<const unsigned char*>(base64.data()),
                                      static_cast<int>(base64.size()));
  if (decoded < 0) return Status::InvalidArgument("the screenshot is not base64");
  // EVP_DecodeBlock counts the padding's bytes: drop one per '='.
  size_t size = static_cast<size_t>(decoded);
  for (size_t i = base64.size(); i > 0 && base64[i - 1] == '='; --i) --size;
  png.resize(size);
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << png;
  if (!out) return Status::IOError("cannot write " + path.string());
  return Status::Ok();
}

}  // namespace touchstream::testing
