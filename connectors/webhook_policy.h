// The delivery policy of the webhook connector, apart from any I/O so it can be tested alone:
// what an HTTP outcome means (delivered, retry, failed), how long to wait before the next
// attempt (exponential backoff with jitter), and a per-channel rate limit (a token bucket).
//
// Times are milliseconds on a caller-supplied monotonic clock, so tests drive them directly.
// Thread safety: the free functions are pure; a RateLimiter is not thread safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace touchstream::connectors {

// How one POST ended, as the HTTP client saw it.
struct PostOutcome {
  enum class Error { kNone, kTimeout, kConnection };
  // kNone when a response arrived (http_status is then set).
  Error error = Error::kNone;
  // The response's status code; 0 when no response arrived.
  int http_status = 0;
  // What went wrong, for logs ("connect: Connection refused"); empty on a response.
  std::string error_text;
};

enum class Verdict {
  kDelivered,  // 2xx: done.
  kRetry,      // 5xx, a timeout or a connection error: try again after a backoff.
  kFailed,     // anything else (4xx, 1xx, 3xx: redirects are not followed): never retried.
};

Verdict Classify(const PostOutcome& outcome);

// The feedback status of an outcome: the HTTP status code as text ("200", "400", "503"), or
// "timeout" / "connection_error" when no response arrived.
std::string OutcomeStatus(const PostOutcome& outcome);

struct RetryPolicy {
  // Attempts in all, the first included (>= 1). Default 8.
  int64_t max_attempts = 8;
  // Backoff before the second attempt; doubles each attempt up to max_backoff_ms. Defaults
  // 500 ms and 60 s.
  int64_t initial_backoff_ms = 500;
  int64_t max_backoff_ms = 60000;
};

// The wait before attempt `attempts_done + 1` (attempts_done >= 1): with
// base = min(max_backoff_ms, initial_backoff_ms * 2^(attempts_done - 1)), a value drawn
// uniformly from [base / 2, base] ("equal jitter": never less than half the base, so retries of
// many actions that failed together spread out without collapsing to zero).
int64_t BackoffMs(const RetryPolicy& policy, int64_t attempts_done, std::mt19937_64& rng);

// True when an action whose last attempt gave `verdict` after `attempts_done` attempts must be
// tried again.
bool ShouldRetry(const RetryPolicy& policy, Verdict verdict, int64_t attempts_done);

// A token bucket: `per_second` sends a second on average, bursts of at most `burst` (>= 1).
// per_second 0 means no limit.
class RateLimiter {
 public:
  RateLimiter(int64_t per_second, int64_t burst, int64_t now_ms);

  // Takes a token and returns true when one is available at now_ms; else returns false.
  bool TryAcquire(int64_t now_ms);
  // The earliest time at which TryAcquire can succeed (now_ms when it can now).
  int64_t NextAvailableMs(int64_t now_ms);

 private:
  void Refill(int64_t now_ms);

  const int64_t per_second_;
  const double burst_;
  double tokens_;
  int64_t last_ms_;
};

}  // namespace touchstream::connectors
