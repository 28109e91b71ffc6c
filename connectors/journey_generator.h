// Synthetic customer journeys for the demo, tests and benchmarks.
//
// Each customer follows one persona (recorded in the event's `source` as
// "journey-generator/<persona>"):
//   browser          page_view sessions, rarely a cart_add or purchase
//   bargain_hunter   page_view + cart_add (sku, price, quantity), most carts abandoned
//   loyal_buyer      login + frequent purchases; some big spenders pass 1000 lifetime
//   lapser           active (with purchases) in the first third of the period, then silent
//   complainer       purchases, then complaint (reason, severity) and ticket_opened
//   survey_answerer  purchases followed by nps_response (score 0-10) / csat_response (score 1-5)
//   consent_changer  consent_change (channel email/sms/push, granted bool)
//   profile_updater  profile_update (name, email, time_zone, birthday "YYYY-MM-DD")
// Purchases carry amount (double), sku (string), category (string), quantity (int). Event ids
// are "<seed>-<n>" (n = 1.. in time order), customer ids "c-<n>", channels web/app/store/email.
//
// Deterministic: the same options give the same events on every platform and standard library
// (std::mt19937_64 with hand-written range mapping). Pure and thread safe.
#pragma once

#include <cstdint>
#include <vector>

#include "touchstream/v1/event.pb.h"

namespace touchstream::connectors {

struct JourneyOptions {
  // Seed of the random stream; also the prefix of event ids. Default 42.
  uint64_t seed = 42;
  // Number of customers, c-0 .. c-<customers-1>. Default 1000. Customers c-0..c-7 take the
  // eight personas in the order above, so every persona is present from 8 customers on.
  int customers = 1000;
  // Start of the period. Default 2026-01-01T00:00:00Z.
  int64_t start_ms = 1767225600000;
  // Length of the period in days (>= 1). Default 30. All events fall in the period.
  int days = 30;
};

// All customers' events, sorted by ts_ms (ties keep generation order).
std::vector<v1::TouchpointEvent> GenerateJourneys(const JourneyOptions& options);

}  // namespace touchstream::connectors
