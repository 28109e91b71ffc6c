// A headless Chromium for browser tests, driven over the DevTools protocol
// (https://chromedevtools.github.io/devtools-protocol/) on a Boost.Beast websocket.
//
// Chromium::Start runs /usr/bin/chromium --headless=new with its own temporary profile folder
// and --remote-debugging-port=0, reads the port it chose from <profile>/DevToolsActivePort, and
// connects to its first page. RAII: the destructor closes the connection, kills the browser
// (SIGKILL, then reaps it) and removes the profile folder, also when a test fails half way.
//
// Thread safety: none; one test thread drives one browser.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::testing {

inline constexpr const char* kChromiumPath = "/usr/bin/chromium";

class Chromium {
 public:
  // Starts the browser and connects to its page; Unavailable (naming what did not happen) when
  // the browser did not start or answer within `timeout`.
  static Result<std::unique_ptr<Chromium>> Start(std::chrono::milliseconds timeout);
  ~Chromium();
  Chromium(const Chromium&) = delete;
  Chromium& operator=(const Chromium&) = delete;

  // Sends one command and returns its "result"; the protocol's error, or Unavailable when no
  // answer came within `timeout`. Events that arrive meanwhile are skipped.
  Result<nlohmann::json> Call(const std::string& method, const nlohmann::json& params,
                              std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Page.navigate to `url` (returns once the navigation is committed, not loaded).
  Status Navigate(const std::string& url);
  // Runtime.evaluate of `expression` (a promise is awaited); the value, returned by value. A
  // JavaScript exception is an error naming it.
  Result<nlohmann::json> Evaluate(const std::string& expression);
  // Evaluates `expression` every 100 ms until it is true; Unavailable naming the expression
  // and its last value when it is not within `timeout`.
  Status WaitFor(const std::string& expression, std::chrono::milliseconds timeout);
  // Page.captureScreenshot of the whole page, written as a PNG file to `path`.
  Status Screenshot(const std::filesystem::path& path);

 private:
  class Connection;
  Chromium(std::unique_ptr<test::TempDir> profile, pid_t pid);

  std::unique_ptr<test::TempDir> profile_;
  pid_t pid_;
  std::unique_ptr<Connection> connection_;
  int64_t next_id_ = 1;
};

}  // namespace touchstream::testing
