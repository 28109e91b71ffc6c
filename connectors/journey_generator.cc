#include "connectors/journey_generator.h"

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <string_view>

#include "base/time_format.h"

namespace touchstream::connectors {
namespace {

constexpr int64_t kDayMs = 86'400'000;
// Sessions start at least this long before the end of the period, so all their events fit.
constexpr int64_t kSessionRoomMs = 2 * 3'600'000;

enum class Persona {
  kBrowser,
  kBargainHunter,
  kLoyalBuyer,
  kLapser,
  kComplainer,
  kSurveyAnswerer,
  kConsentChanger,
  kProfileUpdater,
};
constexpr int kPersonaCount = 8;
// Share of customers (in percent) per persona, in enum order.
constexpr std::array<int, kPersonaCount> kPersonaWeights = {25, 15, 15, 10, 8, 10, 7, 10};
constexpr std::array<std::string_view, kPersonaCount> kPersonaNames = {
    "browser",    "bargain_hunter",  "loyal_buyer",     "lapser",
    "complainer", "survey_answerer", "consent_changer", "profile_updater"};

constexpr std::array<std::string_view, 6> kCategories = {"books",  "electronics", "garden",
                                                         "beauty", "toys",        "fashion"};
constexpr std::array<std::string_view, 4> kComplaintReasons = {"late_delivery", "damaged_item",
                                                               "billing", "rude_staff"};
constexpr std::array<std::string_view, 3> kConsentChannels = {"email", "sms", "push"};
constexpr std::array<std::string_view, 5> kTimeZones = {
    "Europe/Paris", "America/New_York", "Asia/Tokyo", "Europe/London", "Australia/Sydney"};
constexpr std::array<std::string_view, 6> kFirstNames = {"Ada",    "Grace",   "Alan",
                                                         "Edsger", "Barbara", "Ken"};

// Random choices with a fixed mapping from the engine's 64-bit output, identical everywhere
// (std::*_distribution differ between standard libraries).
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, n), n > 0 (modulo bias is negligible for the small n used here).
  uint64_t Below(uint64_t n) { return engine_() % n; }
  // Uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // True with probability percent/100.
  bool Percent(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  std::mt19937_64 engine_;
};

// SplitMix64 finalizer: independent engine seeds per customer from one seed.
uint64_t MixSeed(uint64_t seed, uint64_t customer) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (customer + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

Persona PickPersona(int customer, Random& random) {
  if (customer < kPersonaCount) return static_cast<Persona>(customer);
  int roll = static_cast<int>(random.Below(100));
  for (int i = 0; i < kPersonaCount; ++i) {
    if (roll < kPersonaWeights[i]) return static_cast<Persona>(i);
    roll -= kPersonaWeights[i];
  }
  return Persona::kBrowser;
}

// Builds one customer's events; sessions are runs of events a few minutes apart.
class JourneyBuilder {
 public:
  JourneyBuilder(int customer, Persona persona, const JourneyOptions& options, Random& random,
                 std::vector<v1::TouchpointEvent>* out)
      : customer_(customer),
        customer_id_("c-" + std::to_string(customer)),
        source_("journey-generator/" + std::string(kPersonaNames[static_cast<int>(persona)])),
        start_ms_(options.start_ms),
        period_ms_(static_cast<int64_t>(options.days) * kDayMs),
        random_(random),
        out_(out) {}

  // Starts a session at a random time within [from, to) of the period (fractions 0..1 as
  // per-mille to stay in integers).
  void StartSession(int from_permille, int to_permille) {
    const int64_t room = period_ms_ - kSessionRoomMs;
    const int64_t from = room * from_permille / 1000;
    const int64_t to = std::max(from + 1, room * to_permille / 1000);
    now_ms_ = start_ms_ + random_.Between(from, to - 1);
  }

  v1::TouchpointEvent& Emit(std::string_view type, std::string_view channel) {
    now_ms_ += random_.Between(20'000, 600'000);
    v1::TouchpointEvent& event = out_->emplace_back();
    event.set_customer_id(customer_id_);
    event.set_type(std::string(type));
    event.set_ts_ms(now_ms_);
    event.set_channel(std::string(channel));
    event.set_source(source_);
    return event;
  }

  std::string_view OnlineChannel() { return random_.Percent(50) ? "web" : "app"; }

  void PageView() {
    v1::TouchpointEvent& event = Emit("page_view", OnlineChannel());
    SetString(event, "page", "/products/" + std::to_string(random_.Between(1, 500)));
    SetString(event, "category", std::string(random_.Pick(kCategories)));
  }

  void CartAdd() {
    v1::TouchpointEvent& event = Emit("cart_add", OnlineChannel());
    SetString(event, "sku", "SKU-" + std::to_string(random_.Between(1, 200)));
    SetDouble(event, "price", static_cast<double>(random_.Between(199, 9999)) / 100.0);
    SetInt(event, "quantity", random_.Between(1, 3));
  }

  // A purchase worth between min_cents and max_cents; returns the amount.
  double Purchase(int64_t min_cents, int64_t max_cents) {
    const std::string_view channel = random_.Percent(20) ? "store" : OnlineChannel();
    v1::TouchpointEvent& event = Emit("purchase", channel);
    const double amount = static_cast<double>(random_.Between(min_cents, max_cents)) / 100.0;
    SetDouble(event, "amount", amount);
    SetString(event, "sku", "SKU-" + std::to_string(random_.Between(1, 200)));
    SetString(event, "category", std::string(random_.Pick(kCategories)));
    SetInt(event, "quantity", random_.Between(1, 3));
    return amount;
  }

  void Login() { Emit("login", OnlineChannel()); }

  void Complaint(int ticket) {
    v1::TouchpointEvent& complaint = Emit("complaint", random_.Percent(50) ? "email" : "web");
    const std::string reason(random_.Pick(kComplaintReasons));
    SetString(complaint, "reason", reason);
    SetInt(complaint, "severity", random_.Between(1, 5));
    const std::string channel = complaint.channel();  // Emit below may move `complaint`.
    v1::TouchpointEvent& opened = Emit("ticket_opened", channel);
    SetString(opened, "ticket_id", "t-" + std::to_string(customer_) + "-" + std::to_string(ticket));
    SetString(opened, "topic", reason);
  }

  void Surveys() {
    // Each random draw is its own statement: argument evaluation order is unspecified.
    if (random_.Percent(70)) {
      v1::TouchpointEvent& nps = Emit("nps_response", "email");
      SetInt(nps, "score", random_.Between(0, 10));
    }
    if (random_.Percent(50)) {
      v1::TouchpointEvent& csat = Emit("csat_response", "email");
      SetInt(csat, "score", random_.Between(1, 5));
    }
  }

  void ConsentChange() {
    v1::TouchpointEvent& event = Emit("consent_change", random_.Percent(50) ? "email" : "web");
    SetString(event, "channel", std::string(random_.Pick(kConsentChannels)));
    SetBool(event, "granted", random_.Percent(40));
  }

  void ProfileUpdate() {
    v1::TouchpointEvent& event = Emit("profile_update", OnlineChannel());
    SetString(event, "name", std::string(random_.Pick(kFirstNames)) + " " + customer_id_);
    SetString(event, "email", customer_id_ + "@example.com");
    SetString(event, "time_zone", std::string(random_.Pick(kTimeZones)));
    const int64_t birth_year = random_.Between(1950, 2005);
    const int64_t day_of_year = random_.Between(0, 364);
    const int64_t birthday_ms = (DaysFromCivil(birth_year, 1, 1) + day_of_year) * kDayMs;
    SetString(event, "birthday", FormatRfc3339Ms(birthday_ms).substr(0, 10));
  }

  int SessionCount(int base, int per_day_divisor) {
    return base + static_cast<int>(random_.Below(period_ms_ / kDayMs / per_day_divisor + 1));
  }

 private:
  static void SetString(v1::TouchpointEvent& e, const std::string& k, std::string v) {
    (*e.mutable_properties())[k].set_string_value(std::move(v));
  }
  static void SetDouble(v1::TouchpointEvent& e, const std::string& k, double v) {
    (*e.mutable_properties())[k].set_double_value(v);
  }
  static void SetInt(v1::TouchpointEvent& e, const std::string& k, int64_t v) {
    (*e.mutable_properties())[k].set_int_value(v);
  }
  static void SetBool(v1::TouchpointEvent& e, const std::string& k, bool v) {
    (*e.mutable_properties())[k].set_bool_value(v);
  }

  const int customer_;
  const std::string customer_id_;
  const std::string source_;
  const int64_t start_ms_;
  const int64_t period_ms_;
  Random& random_;
  std::vector<v1::TouchpointEvent>* out_;
  int64_t now_ms_ = 0;
};

void GenerateCustomer(int customer, const JourneyOptions& options,
                      std::vector<v1::TouchpointEvent>* out) {
  Random random(MixSeed(options.seed, static_cast<uint64_t>(customer)));
  const Persona persona = PickPersona(customer, random);
  JourneyBuilder journey(customer, persona, options, random, out);
  switch (persona) {
    case Persona::kBrowser:
      for (int s = journey.SessionCount(3, 2); s > 0; --s) {
        journey.StartSession(0, 1000);
        for (int v = static_cast<int>(random.Between(1, 5)); v > 0; --v) journey.PageView();
        if (random.Percent(5)) journey.CartAdd();
        if (random.Percent(2)) journey.Purchase(500, 6000);
      }
      break;
    case Persona::kBargainHunter:
      for (int s = journey.SessionCount(2, 3); s > 0; --s) {
        journey.StartSession(0, 1000);
        for (int v = static_cast<int>(random.Between(1, 3)); v > 0; --v) journey.PageView();
        for (int c = static_cast<int>(random.Between(1, 2)); c > 0; --c) journey.CartAdd();
        if (random.Percent(20)) journey.Purchase(300, 4000);
      }
      break;
    case Persona::kLoyalBuyer: {
      const bool big_spender =
          customer == static_cast<int>(Persona::kLoyalBuyer) || random.Percent(30);
      for (int s = journey.SessionCount(4, 3); s > 0; --s) {
        journey.StartSession(0, 1000);
        journey.Login();
        journey.PageView();
        if (random.Percent(80)) {
          big_spender ? journey.Purchase(15000, 45000) : journey.Purchase(800, 9000);
        }
      }
      break;
    }
    case Persona::kLapser:
      for (int s = static_cast<int>(random.Between(3, 7)); s > 0; --s) {
        journey.StartSession(0, 333);
        journey.PageView();
        if (random.Percent(50)) journey.Purchase(1000, 12000);
      }
      break;
    case Persona::kComplainer: {
      for (int s = static_cast<int>(random.Between(1, 3)); s > 0; --s) {
        journey.StartSession(0, 500);
        journey.Purchase(1500, 20000);
      }
      for (int ticket = static_cast<int>(random.Between(1, 2)); ticket > 0; --ticket) {
        journey.StartSession(500, 1000);
        journey.Complaint(ticket);
      }
      break;
    }
    case Persona::kSurveyAnswerer:
      for (int s = static_cast<int>(random.Between(1, 3)); s > 0; --s) {
        journey.StartSession(0, 1000);
        journey.Purchase(1000, 15000);
        journey.Surveys();
      }
      break;
    case Persona::kConsentChanger:
      for (int s = static_cast<int>(random.Between(1, 3)); s > 0; --s) {
        journey.StartSession(0, 1000);
        journey.PageView();
        journey.ConsentChange();
      }
      break;
    case Persona::kProfileUpdater:
      for (int s = static_cast<int>(random.Between(1, 2)); s > 0; --s) {
        journey.StartSession(0, 1000);
        journey.Login();
        journey.ProfileUpdate();
      }
      break;
  }
}

}  // namespace

std::vector<v1::TouchpointEvent> GenerateJourneys(const JourneyOptions& options) {
  std::vector<v1::TouchpointEvent> events;
  if (options.customers <= 0 || options.days <= 0) return events;
  for (int customer = 0; customer < options.customers; ++customer) {
    GenerateCustomer(customer, options, &events);
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const v1::TouchpointEvent& a, const v1::TouchpointEvent& b) {
                     return a.ts_ms() < b.ts_ms();
                   });
  const std::string prefix = std::to_string(options.seed) + "-";
  for (size_t i = 0; i < events.size(); ++i) events[i].set_event_id(prefix + std::to_string(i + 1));
  return events;
}

}  // namespace touchstream::connectors
