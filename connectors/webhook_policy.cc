#include "connectors/webhook_policy.h"

#include <algorithm>
#include <cmath>

namespace touchstream::connectors {

Verdict Classify(const PostOutcome& outcome) {
  if (outcome.error != PostOutcome::Error::kNone) return Verdict::kRetry;
  if (outcome.http_status >= 200 && outcome.http_status < 300) return Verdict::kDelivered;
  if (outcome.http_status >= 500 && outcome.http_status < 600) return Verdict::kRetry;
  return Verdict::kFailed;
}

std::string OutcomeStatus(const PostOutcome& outcome) {
  switch (outcome.error) {
    case PostOutcome::Error::kTimeout:
      return "timeout";
    case PostOutcome::Error::kConnection:
      return "connection_error";
    case PostOutcome::Error::kNone:
      break;
  }
  return std::to_string(outcome.http_status);
}

int64_t BackoffMs(const RetryPolicy& policy, int64_t attempts_done, std::mt19937_64& rng) {
  int64_t base = std::max<int64_t>(policy.initial_backoff_ms, 1);
  for (int64_t i = 1; i < attempts_done && base < policy.max_backoff_ms; ++i) base *= 2;
  base = std::min(base, std::max<int64_t>(policy.max_backoff_ms, 1));
  std::uniform_int_distribution<int64_t> jitter(base / 2, base);
  return jitter(rng);
}

bool ShouldRetry(const RetryPolicy& policy, Verdict verdict, int64_t attempts_done) {
  return verdict == Verdict::kRetry && attempts_done < policy.max_attempts;
}

RateLimiter::RateLimiter(int64_t per_second, int64_t burst, int64_t now_ms)
    : per_second_(per_second),
      burst_(static_cast<double>(std::max<int64_t>(burst, 1))),
      tokens_(burst_),
      last_ms_(now_ms) {}

void RateLimiter::Refill(int64_t now_ms) {
  if (now_ms <= last_ms_) return;
  tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) *
                                           static_cast<double>(per_second_) / 1000.0);
  last_ms_ = now_ms;
}

bool RateLimiter::TryAcquire(int64_t now_ms) {
  if (per_second_ <= 0) return true;
  Refill(now_ms);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

int64_t RateLimiter::NextAvailableMs(int64_t now_ms) {
  if (per_second_ <= 0) return now_ms;
  Refill(now_ms);
  if (tokens_ >= 1.0) return now_ms;
  const double wait_ms = (1.0 - tokens_) * 1000.0 / static_cast<double>(per_second_);
  return now_ms + static_cast<int64_t>(std::ceil(wait_ms));
}

}  // namespace touchstream::connectors
