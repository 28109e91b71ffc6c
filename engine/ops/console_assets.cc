#include "engine/ops/console_assets.h"

#include <nlohmann/json.hpp>
#include <string>

namespace touchstream::engine {

namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

AdminResponse Error(int status, const std::string& message) {
  return {status,
          nlohmann::json({{"error", message}})
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
              "\n",
          "application/json"};
}

}  // namespace

std::string_view ConsoleContentType(std::string_view name) {
  if (EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (EndsWith(name, ".svg")) return "image/svg+xml";
  if (EndsWith(name, ".png")) return "image/png";
  return "application/octet-stream";
}

AdminResponse ServeConsoleAsset(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return Error(405, "use GET " + std::string(path));
  if (path == "/console") {
    return {308, "", "text/plain; charset=utf-8", {{"Location", "/console/"}}};
  }
  std::string_view name = path.substr(std::string_view("/console/").size());
  if (name.empty()) name = "index.html";
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    if (asset.name != name) continue;
    return {200,
            std::string(asset.bytes),
            std::string(ConsoleContentType(name)),
            {{"Cache-Control", "no-cache"},
             {"X-Content-Type-Options", "nosniff"},
             {"Content-Security-Policy",
              "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"}}};
  }
  return Error(404, "the console has no file '" + std::string(name) + "' (docs/console.md)");
}

}  // namespace touchstream::engine
