// The web console's static files (docs/console.md): the HTML, CSS and JavaScript of
// engine/ops/console/, compiled into the binary by CMake (engine/ops/console/embed.cmake writes
// the generated console_assets_data.cc), so that one `touchstream` binary serves its console
// without a folder to install beside it, and the pages always match the routes they call.
//
// Thread safety: the assets are immutable; every function may be called from any thread.
#pragma once

#include <span>
#include <string_view>

#include "engine/ops/admin_server.h"

namespace touchstream::engine {

struct ConsoleAsset {
  std::string_view name;   // path below /console/, e.g. "rules.html"
  std::string_view bytes;  // the file's content
};

// Every embedded file (generated; defined in console_assets_data.cc).
std::span<const ConsoleAsset> ConsoleAssets();

// The Content-Type of a file by its extension: text/html, text/css, text/javascript,
// image/svg+xml, image/png (UTF-8 for the text types); application/octet-stream otherwise.
std::string_view ConsoleContentType(std::string_view name);

// Answers GET or HEAD of `path` below /console: "/console" redirects (308) to "/console/",
// "/console/" is index.html, "/console/<name>" the asset of that name with its Content-Type;
// any other path 404 and any other method 405, with a JSON {"error"} naming what was asked for.
// Responses carry Cache-Control: no-cache (a new binary serves new pages at once),
// X-Content-Type-Options: nosniff and a Content-Security-Policy that allows only the console's
// own files and requests to the same origin.
AdminResponse ServeConsoleAsset(std::string_view method, std::string_view path);

}  // namespace touchstream::engine
