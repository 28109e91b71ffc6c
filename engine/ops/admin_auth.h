// AdminAccess: who may use which admin route (docs/security.md), the one layer between the
// admin HTTP server and the routes (engine/ops/admin_api.h), applied by wrapping the handler.
//
// Tokens are bearer tokens ("Authorization: Bearer <token>"); only their SHA-256 is kept, read
// from admin.tokens_file or the TOUCHSTREAM_ADMIN_TOKENS environment variable, one entry a
// line (';' also separates entries in the variable):
//   <name> <role> <sha256 of the token, 64 hex digits>     # '#' starts a comment
// e.g. `echo "ops-alice admin $(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)"`. A presented
// token is hashed and compared with every entry in constant time (CRYPTO_memcmp).
//
// Policy (RequiredRole): GET /healthz, GET /readyz and the web console's static files (GET
// /console/..., docs/console.md: no data, only the pages) are open; every other GET or HEAD needs
// the `read` role, as do POST /rules/check and POST /rules/try (they compile posted text, and
// replay a history file in memory, and change nothing);
// any other method (erase, reload, future writes) needs `admin`, which also
// grants read. No valid token: 401 with "WWW-Authenticate: Bearer"; a valid token without the
// role: 403. With no token entries at all the access is `open` (every route as before: for a
// loopback-only address) or `closed` (only the open routes answer; the rest 401).
//
// Audit: every request needing `admin` gets one log line (component "audit") once answered,
// or refused: token name, method, route with any customer id replaced by "<id>" and the id's
// SHA-256 (first 16 hex digits) in its own field, and the HTTP status. Never a token or a
// customer id.
//
// Thread safety: immutable after construction; Protect's handler may be called from any thread.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/ops/admin_server.h"
#include "engine/ops/log.h"

namespace touchstream::engine {

enum class AdminRole { kRead, kAdmin };

// "read" or "admin".
std::string_view AdminRoleName(AdminRole role);

struct AdminTokenEntry {
  std::string name;  // who holds it; logged in audit lines
  AdminRole role = AdminRole::kRead;
  std::array<unsigned char, 32> sha256{};
};

// The entries of a tokens text (format above). `source` names it in errors, which point at the
// line and column: "tokens.txt:3:11: error: role: expected read or admin, got 'root'". Names
// must be unique.
Result<std::vector<AdminTokenEntry>> ParseAdminTokens(std::string_view text,
                                                      const std::string& source);

// The entries of admin.tokens_file when `tokens_file` is set (NotFound when it cannot be read),
// else of `env_value` (the TOUCHSTREAM_ADMIN_TOKENS variable; null or empty: no entries).
Result<std::vector<AdminTokenEntry>> LoadAdminTokens(const std::string& tokens_file,
                                                     const char* env_value);

// The SHA-256 of `text` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view text);

// The role a request needs (policy above); nullopt when the route is open to anyone.
std::optional<AdminRole> RequiredRole(std::string_view method, std::string_view path);

class AdminAccess {
 public:
  enum class WithoutTokens { kOpen, kClosed };

  // `log` (audit lines) must outlive the access and the handlers Protect returns.
  AdminAccess(std::vector<AdminTokenEntry> tokens, WithoutTokens without_tokens, Logger* log);

  // `inner` behind the policy: it is called only for requests the token allows.
  // The AdminAccess must outlive the returned handler.
  AdminHandler Protect(AdminHandler inner) const;

 private:
  // The entry whose hash matches the bearer token in `authorization`, or null.
  const AdminTokenEntry* Find(std::string_view authorization) const;

  std::vector<AdminTokenEntry> tokens_;
  WithoutTokens without_tokens_;
  Logger* log_;
};

}  // namespace touchstream::engine
