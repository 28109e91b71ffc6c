#include "engine/ops/admin_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "engine/ops/admin_api.h"

namespace touchstream::engine {

namespace {

constexpr std::string_view kBearer = "Bearer ";
constexpr std::string_view kCustomersPrefix = "/customers/";

std::array<unsigned char, 32> Sha256(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 15]);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `reason` may quote the request's method and path, which may hold bytes that are not UTF-8:
// they are written as U+FFFD (dump() would throw on the server thread and end the engine).
AdminResponse Refusal(int status, const std::string& reason) {
  AdminResponse response{status,
                         nlohmann::json{{"error", reason}}.dump(
                             -1, ' ', false, nlohmann::json::error_handler_t::replace) +
                             "\n",
                         "application/json",
                         {}};
  if (status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

// The route of `path` as an audit line may show it: customer ids replaced by "<id>", anything
// that is not a route of the API by "(not a route)" (a path may hold anything a client sent).
std::string AuditRoute(std::string_view path, std::string* customer_sha256) {
  if (path.substr(0, kCustomersPrefix.size()) == kCustomersPrefix) {
    Result<std::string> id = DecodeCustomerIdSegment(path.substr(kCustomersPrefix.size()));
    if (id.ok()) *customer_sha256 = Sha256Hex(*id).substr(0, 16);
    return "/customers/<id>";
  }
  for (std::string_view route : {"/healthz", "/readyz", "/rules", "/rules/reload", "/metrics"}) {
    if (path == route) return std::string(route);
  }
  return "(not a route)";
}

}  // namespace

std::string_view AdminRoleName(AdminRole role) {
  return role == AdminRole::kAdmin ? "admin" : "read";
}

std::string Sha256Hex(std::string_view text) {
  const auto digest = Sha256(text);
  return Hex(digest.data(), digest.size());
}

Result<std::vector<AdminTokenEntry>> ParseAdminTokens(std::string_view text,
                                                      const std::string& source) {
  std::vector<AdminTokenEntry> entries;
  std::set<std::string> names;
  std::string errors;
  auto fail = [&](size_t line, size_t column, const std::string& what) {
    errors += (errors.empty() ? "" : "\n") + source + ":" + std::to_string(line) + ":" +
              std::to_string(column) + ": error: " + what;
  };
  size_t line_number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    line = line.substr(0, line.find('#'));
    // Fields with their 1-based columns.
    std::vector<std::pair<std::string_view, size_t>> fields;
    for (size_t i = 0; i < line.size();) {
      if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
        ++i;
        continue;
      }
      const size_t field_start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
      fields.emplace_back(line.substr(field_start, i - field_start), field_start + 1);
    }
    if (fields.empty()) continue;
    if (fields.size() < 3) {
      fail(line_number, fields[0].second,
           "expected '<name> <role> <sha256 of the token>' (docs/security.md)");
      continue;
    }
    if (fields.size() > 3) {
      fail(line_number, fields[3].second, "unexpected text after the token's hash");
      continue;
    }
    AdminTokenEntry entry;
    entry.name = std::string(fields[0].first);
    if (!names.insert(entry.name).second) {
      fail(line_number, fields[0].second, "name: '" + entry.name + "' is already used");
    }
    if (fields[1].first == "read") {
      entry.role = AdminRole::kRead;
    } else if (fields[1].first == "admin") {
      entry.role = AdminRole::kAdmin;
    } else {
      fail(line_number, fields[1].second,
           "role: expected read or admin, got '" + std::string(fields[1].first) + "'");
    }
    // The value is never quoted: a token pasted here by mistake must not reach a log.
    const std::string_view hash = fields[2].first;
    bool hex = hash.size() == 64;
    for (size_t i = 0; hex && i < 32; ++i) {
      const int high = HexValue(hash[2 * i]), low = HexValue(hash[2 * i + 1]);
      hex = high >= 0 && low >= 0;
      if (hex) entry.sha256[i] = static_cast<unsigned char>(high * 16 + low);
    }
    if (!hex) {
      fail(line_number, fields[2].second,
           "sha256: expected the SHA-256 of the token as 64 hex digits (printf %s \"$TOKEN\" | "
           "sha256sum), got " +
               std::to_string(hash.size()) + " characters that are not one");
    }
    entries.push_back(std::move(entry));
  }
  if (!errors.empty()) return Status::InvalidArgument(errors);
  return entries;
}

Result<std::vector<AdminTokenEntry>> LoadAdminTokens(const std::string& tokens_file,
                                                     const char* env_value) {
  if (!tokens_file.empty()) {
    std::ifstream in(tokens_file);
    if (!in) return Status::NotFound("admin.tokens_file: cannot read " + tokens_file);
    std::stringstream text;
    text << in.rdbuf();
    return ParseAdminTokens(text.str(), tokens_file);
  }
  if (env_value == nullptr) return std::vector<AdminTokenEntry>{};
  std::string text(env_value);
  for (char& c : text) {
    if (c == ';') c = '\n';
  }
  return ParseAdminTokens(text, "TOUCHSTREAM_ADMIN_TOKENS");
}

std::optional<AdminRole> RequiredRole(std::string_view method, std::string_view path) {
  if (method == "GET" || method == "HEAD") {
    if (path == "/healthz" || path == "/readyz") return std::nullopt;
    // The console's static files hold no data (engine/ops/console_assets.h); the pages send
    // the token themselves on every API request they make.
    if (path == "/console" || path.substr(0, 9) == "/console/") return std::nullopt;
    return AdminRole::kRead;
  }
  // Checking posted rule text reads nothing and changes nothing (console_routes.h).
  if (method == "POST" && path == "/rules/check") return AdminRole::kRead;
  // Trying a rule file on the history replays a file in memory and changes nothing either.
  if (method == "POST" && path == "/rules/try") return AdminRole::kRead;
  return AdminRole::kAdmin;
}

AdminAccess::AdminAccess(std::vector<AdminTokenEntry> tokens, WithoutTokens without_tokens,
                         Logger* log)
    : tokens_(std::move(tokens)), without_tokens_(without_tokens), log_(log) {}

const AdminTokenEntry* AdminAccess::Find(std::string_view authorization) const {
  if (authorization.substr(0, kBearer.size()) != kBearer) return nullptr;
  const auto digest = Sha256(authorization.substr(kBearer.size()));
  // Every entry is compared, in constant time, whichever matches.
  const AdminTokenEntry* found = nullptr;
  for (const AdminTokenEntry& entry : tokens_) {
    if (CRYPTO_memcmp(digest.data(), entry.sha256.data(), digest.size()) == 0) found = &entry;
  }
  return found;
}

AdminHandler AdminAccess::Protect(AdminHandler inner) const {
  return [this, inner = std::move(inner)](const AdminRequest& request, AdminResponder respond) {
    std::string_view path = request.target;
    path = path.substr(0, path.find('?'));
    const std::optional<AdminRole> required = RequiredRole(request.method, path);
    if (!required) return inner(request, std::move(respond));

    const bool open = tokens_.empty() && without_tokens_ == WithoutTokens::kOpen;
    const AdminTokenEntry* token = open ? nullptr : Find(request.authorization);
    std::optional<AdminResponse> refusal;
    if (!open && tokens_.empty()) {
      refusal = Refusal(401,
                        "no admin tokens are configured (admin.tokens_file or "
                        "TOUCHSTREAM_ADMIN_TOKENS) and admin.address is not loopback: only "
                        "/healthz and /readyz answer");
    } else if (!open && token == nullptr) {
      refusal =
          Refusal(401, request.authorization.empty() ? "missing 'Authorization: Bearer <token>'"
                                                     : "the bearer token is not valid");
    } else if (!open && *required == AdminRole::kAdmin && token->role != AdminRole::kAdmin) {
      refusal = Refusal(403, "token '" + token->name + "' has role " +
                                 std::string(AdminRoleName(token->role)) + "; " + request.method +
                                 " " + std::string(path) + " needs admin");
    }
    if (*required != AdminRole::kAdmin) {
      if (refusal) return respond(std::move(*refusal));
      return inner(request, std::move(respond));
    }
    // Audited: one line once the response is known.
    std::string customer_sha256;
    const std::string route = AuditRoute(path, &customer_sha256);
    auto audit = [log = log_, who = token != nullptr ? token->name : std::string("-"),
                  method = request.method, route, customer_sha256](int status) {
      if (log == nullptr) return;
      const LogLevel level = status < 400 ? LogLevel::kInfo : LogLevel::kWarn;
      const std::string message =
          "admin request " + method + " " + route + " answered " + std::to_string(status);
      if (customer_sha256.empty()) {
        log->Log(level, "audit", message,
                 {{"token", who}, {"method", method}, {"route", route}, {"status", status}});
      } else {
        log->Log(level, "audit", message,
                 {{"token", who},
                  {"method", method},
                  {"route", route},
                  {"customer_sha256", customer_sha256},
                  {"status", status}});
      }
    };
    if (refusal) {
      audit(refusal->status);
      return respond(std::move(*refusal));
    }
    inner(request, [audit, respond = std::move(respond)](AdminResponse response) {
      audit(response.status);
      respond(std::move(response));
    });
  };
}

}  // namespace touchstream::engine
