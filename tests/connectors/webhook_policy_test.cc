// The webhook connector's delivery policy: outcome classification, backoff with jitter, retry
// limits and the per-channel rate limit, on a clock the tests drive.
#include "connectors/webhook_policy.h"

#include <gtest/gtest.h>

#include <random>

#include "connectors/webhook_client.h"

namespace touchstream::connectors {
namespace {

PostOutcome Http(int status) {
  PostOutcome outcome;
  outcome.http_status = status;
  return outcome;
}

PostOutcome Error(PostOutcome::Error error) {
  PostOutcome outcome;
  outcome.error = error;
  return outcome;
}

// 2xx is delivered; 5xx, timeouts and connection errors are retried; 4xx and the rest fail.
TEST(WebhookPolicyTest, ClassifiesOutcomes) {
  EXPECT_EQ(Classify(Http(200)), Verdict::kDelivered);
  EXPECT_EQ(Classify(Http(204)), Verdict::kDelivered);
  EXPECT_EQ(Classify(Http(500)), Verdict::kRetry);
  EXPECT_EQ(Classify(Http(503)), Verdict::kRetry);
  EXPECT_EQ(Classify(Error(PostOutcome::Error::kTimeout)), Verdict::kRetry);
  EXPECT_EQ(Classify(Error(PostOutcome::Error::kConnection)), Verdict::kRetry);
  EXPECT_EQ(Classify(Http(400)), Verdict::kFailed);
  EXPECT_EQ(Classify(Http(404)), Verdict::kFailed);
  EXPECT_EQ(Classify(Http(429)), Verdict::kFailed);
  EXPECT_EQ(Classify(Http(301)), Verdict::kFailed);
}

// The feedback status is the HTTP code, or names the transport failure.
TEST(WebhookPolicyTest, OutcomeStatusText) {
  EXPECT_EQ(OutcomeStatus(Http(200)), "200");
  EXPECT_EQ(OutcomeStatus(Http(400)), "400");
  EXPECT_EQ(OutcomeStatus(Error(PostOutcome::Error::kTimeout)), "timeout");
  EXPECT_EQ(OutcomeStatus(Error(PostOutcome::Error::kConnection)), "connection_error");
}

// Each backoff lies in [base/2, base], the base doubling per attempt up to the cap.
TEST(WebhookPolicyTest, BackoffDoublesWithJitterUpToTheCap) {
  RetryPolicy policy;
  policy.initial_backoff_ms = 100;
  policy.max_backoff_ms = 1000;
  std::mt19937_64 rng(7);
  const int64_t bases[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int64_t attempt = 1; attempt <= 7; ++attempt) {
    const int64_t base = bases[attempt - 1];
    int64_t low = base, high = 0;
    for (int i = 0; i < 200; ++i) {
      const int64_t wait = BackoffMs(policy, attempt, rng);
      ASSERT_GE(wait, base / 2) << "attempt " << attempt;
      ASSERT_LE(wait, base) << "attempt " << attempt;
      low = std::min(low, wait);
      high = std::max(high, wait);
    }
    // Jittered: 200 draws do not all land on one value.
    EXPECT_LT(low, high) << "attempt " << attempt;
  }
  // A huge attempt count neither overflows nor passes the cap.
  EXPECT_LE(BackoffMs(policy, 1000, rng), 1000);
}

// Only a retryable verdict is retried, and only while attempts remain.
TEST(WebhookPolicyTest, RetriesOnlyRetryableWithinMaxAttempts) {
  RetryPolicy policy;
  policy.max_attempts = 3;
  EXPECT_TRUE(ShouldRetry(policy, Verdict::kRetry, 1));
  EXPECT_TRUE(ShouldRetry(policy, Verdict::kRetry, 2));
  EXPECT_FALSE(ShouldRetry(policy, Verdict::kRetry, 3));
  EXPECT_FALSE(ShouldRetry(policy, Verdict::kFailed, 1));
  EXPECT_FALSE(ShouldRetry(policy, Verdict::kDelivered, 1));
}

// A burst up to the bucket size, then one send per 1000/per_second ms.
TEST(WebhookPolicyTest, RateLimiterAllowsBurstThenSteadyRate) {
  RateLimiter limiter(/*per_second=*/10, /*burst=*/3, /*now_ms=*/0);
  EXPECT_TRUE(limiter.TryAcquire(0));
  EXPECT_TRUE(limiter.TryAcquire(0));
  EXPECT_TRUE(limiter.TryAcquire(0));
  EXPECT_FALSE(limiter.TryAcquire(0));
  EXPECT_EQ(limiter.NextAvailableMs(0), 100);
  EXPECT_FALSE(limiter.TryAcquire(99));
  EXPECT_TRUE(limiter.TryAcquire(100));
  EXPECT_FALSE(limiter.TryAcquire(150));
  EXPECT_EQ(limiter.NextAvailableMs(150), 200);
  // Over 10 s at most 10/s pass (plus the burst left).
  int sent = 0;
  for (int64_t t = 200; t < 10200; ++t) sent += limiter.TryAcquire(t) ? 1 : 0;
  EXPECT_EQ(sent, 100);
  // Idle time refills the bucket only up to the burst.
  int burst = 0;
  while (limiter.TryAcquire(60000)) ++burst;
  EXPECT_EQ(burst, 3);
}

// per_second 0 means no limit.
TEST(WebhookPolicyTest, RateLimiterZeroIsUnlimited) {
  RateLimiter limiter(0, 1, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.TryAcquire(0));
  EXPECT_EQ(limiter.NextAvailableMs(5), 5);
}

// URLs: scheme, host, port (default per scheme), target; bad ones name the problem.
TEST(WebhookPolicyTest, ParsesUrls) {
  auto plain = ParseWebhookUrl("http://127.0.0.1:8080/hooks/email?x=1");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, "8080");
  EXPECT_EQ(plain->target, "/hooks/email?x=1");
  auto tls = ParseWebhookUrl("https://hooks.example.com");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, "443");
  EXPECT_EQ(tls->target, "/");
  auto v6 = ParseWebhookUrl("http://[::1]:9000/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "9000");
  EXPECT_NE(ParseWebhookUrl("ftp://x/").status().message().find("expected http:// or https://"),
            std::string::npos);
  EXPECT_NE(ParseWebhookUrl("http://h:port/").status().message().find("port must be a number"),
            std::string::npos);
  EXPECT_NE(ParseWebhookUrl("https://user:pw@h/").status().message().find("credentials"),
            std::string::npos);
  EXPECT_FALSE(ParseWebhookUrl("http:///x").ok());
}

}  // namespace
}  // namespace touchstream::connectors
