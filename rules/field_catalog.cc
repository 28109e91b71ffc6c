#include "rules/field_catalog.h"

#include <cmath>

#include "proto/state_read.h"
#include "proto/window_read.h"

namespace touchstream::rules {

namespace {

using touchstream::v1::CustomerState;
using touchstream::v1::RuleHistory;
using touchstream::v1::TypeActivity;
using Ctx = FieldContext;
using Key = std::string_view;
using T = ValueType;

const TypeActivity& Activity(const Ctx& c, Key type) {
  auto it = c.customer.activity().find(type);
  return it == c.customer.activity().end() ? TypeActivity::default_instance() : it->second;
}

// A model value (rules/customer_models.h): null without models or when not computable.
RtValue ModelValue(const Ctx& c, ModelField field) {
  if (c.models == nullptr) return RtValue::Null();
  const double value = c.models->Value(field, c.customer, c.now_ms);
  return std::isnan(value) ? RtValue::Null() : RtValue::Double(value);
}

const touchstream::v1::ChannelEngagement& Engagement(const Ctx& c, Key channel) {
  auto it = c.customer.channels().find(channel);
  return it == c.customer.channels().end() ? touchstream::v1::ChannelEngagement::default_instance()
                                           : it->second;
}

int64_t Last90d(const touchstream::v1::WindowState& window, const Ctx& c) {
  return ReadWindow(window, c.now_ms).count;
}

// engaged / sent over the last 90 days; null when nothing was sent.
RtValue Rate90d(const Ctx& c, Key channel, bool clicks) {
  const auto& e = Engagement(c, channel);
  const int64_t sent = Last90d(e.sent_90d(), c);
  if (sent == 0) return RtValue::Null();
  const int64_t engaged = Last90d(clicks ? e.clicked_90d() : e.opened_90d(), c);
  return RtValue::Double(static_cast<double>(engaged) / static_cast<double>(sent));
}

const RuleHistory& History(const Ctx& c, Key rule_id) {
  auto it = c.customer.rules().find(rule_id);
  return it == c.customer.rules().end() ? RuleHistory::default_instance() : it->second;
}

const touchstream::v1::Satisfaction& Sat(const Ctx& c) {
  return c.customer.satisfaction();
}

// The oldest lot not expired as of now (null when none or when points do not expire).
const touchstream::v1::PointsLot* NextExpiringLot(const Ctx& c) {
  const auto& loyalty = c.customer.loyalty();
  if (loyalty.expire_after_ms() <= 0) return nullptr;
  for (const auto& lot : loyalty.lots()) {
    if (lot.earned_ms() + loyalty.expire_after_ms() > c.now_ms) return &lot;
  }
  return nullptr;
}

RtValue ProtoMapEntry(const google::protobuf::Map<std::string, touchstream::v1::Value>& map,
                      Key key) {
  auto it = map.find(key);
  return it == map.end() ? RtValue::Null() : FromProtoValue(it->second);
}

// One line per field: path, type, meaning, accessor.
constexpr FieldDef
    kFields
        [] =
            {
                {"event.id", T::kString, "Unique id of the event",
                 [](const Ctx& c, Key) { return RtValue::String(c.event.event_id()); }},
                {"event.type", T::kString, "Event type: purchase, page_view, cart_add, login, ...",
                 [](const Ctx& c, Key) { return RtValue::String(c.event.type()); }},
                {"event.channel", T::kString,
                 "Channel the touchpoint happened on: web, app, store, ...",
                 [](const Ctx& c, Key) { return RtValue::String(c.event.channel()); }},
                {"event.ts", T::kTimestamp, "Event time",
                 [](const Ctx& c, Key) { return RtValue::TimestampOrNull(c.event.ts_ms()); }},
                {"event.source", T::kString, "Producing system (free text)",
                 [](const Ctx& c, Key) { return RtValue::String(c.event.source()); }},
                {"event.properties", T::kMap,
                 "All properties of the event (for `in`, `size`, `[name]`)",
                 [](const Ctx& c, Key) {
                   return RtValue::Map(MapKind::kEventProperties, &c.event.properties());
                 }},
                {"event.properties.<name>", T::kDyn,
                 "A property of the event; typed as declared for the trigger's event types, else "
                 "dyn",
                 [](const Ctx& c, Key k) { return ProtoMapEntry(c.event.properties(), k); }, true},
                {"customer.id", T::kString, "Customer id",
                 [](const Ctx& c, Key) { return RtValue::String(c.customer.customer_id()); }},
                {"customer.first_seen", T::kTimestamp, "Time of the customer's first event",
                 [](const Ctx& c, Key) {
                   return RtValue::TimestampOrNull(c.customer.first_seen_ms());
                 }},
                {"customer.last_seen", T::kTimestamp,
                 "Time of the customer's latest event (this one included)",
                 [](const Ctx& c, Key) {
                   return RtValue::TimestampOrNull(c.customer.last_seen_ms());
                 }},
                {"customer.aggregates.event_count", T::kInt, "Number of events of any type",
                 [](const Ctx& c, Key) {
                   return RtValue::Int(c.customer.aggregates().event_count());
                 }},
                {"customer.aggregates.purchase_count", T::kInt, "Number of purchases",
                 [](const Ctx& c, Key) {
                   return RtValue::Int(c.customer.aggregates().purchase_count());
                 }},
                {"customer.aggregates.total_spend", T::kDouble, "Sum of purchase amounts",
                 [](const Ctx& c, Key) {
                   return RtValue::Double(c.customer.aggregates().total_spend());
                 }},
                {"customer.aggregates.first_purchase", T::kTimestamp,
                 "Time of the first purchase (null if none)",
                 [](const Ctx& c, Key) {
                   return RtValue::TimestampOrNull(c.customer.aggregates().first_purchase_ms());
                 }},
                {"customer.aggregates.last_purchase", T::kTimestamp,
                 "Time of the latest purchase (null if none)",
                 [](const Ctx& c, Key) {
                   return RtValue::TimestampOrNull(c.customer.aggregates().last_purchase_ms());
                 }},
                {"customer.aggregates.max_purchase", T::kDouble, "Largest single purchase amount",
                 [](const Ctx& c, Key) {
                   return RtValue::Double(c.customer.aggregates().max_purchase());
                 }},
                // Windowed aggregates, RFM and consent (state/customer_analytics.h maintains them).
                {"customer.aggregates.<name>", T::kDyn,
                 "A windowed aggregate declared under `aggregates:` in the engine config, as of "
                 "now: count "
                 "and distinct are int, sum/min/max/avg double (min, max, avg null when the window "
                 "is empty)",
                 [](const Ctx& c, Key k) {
                   auto it = c.customer.windows().find(k);
                   if (it == c.customer.windows().end()) return RtValue::Null();
                   const WindowReading r = ReadWindow(it->second, c.now_ms);
                   switch (it->second.kind()) {
                     case touchstream::v1::WindowState::COUNT:
                     case touchstream::v1::WindowState::DISTINCT:
                       return RtValue::Int(r.count);
                     case touchstream::v1::WindowState::SUM:
                       return RtValue::Double(r.value);
                     default:
                       return r.count == 0 ? RtValue::Null() : RtValue::Double(r.value);
                   }
                 },
                 /*typed_by_event_declarations=*/false, /*typed_by_aggregate_declarations=*/true},
                {"customer.rfm.recency_days", T::kInt,
                 "Whole days since the latest purchase (null if none)",
                 [](const Ctx& c, Key) {
                   const auto& rfm = c.customer.rfm();
                   if (rfm.last_purchase_ms() == 0) return RtValue::Null();
                   const int64_t elapsed = rfm.as_of_ms() - rfm.last_purchase_ms();
                   return RtValue::Int(elapsed <= 0 ? 0 : elapsed / 86'400'000);
                 }},
                {"customer.rfm.frequency", T::kInt, "Purchases in the RFM frequency window",
                 [](const Ctx& c, Key) { return RtValue::Int(c.customer.rfm().frequency()); }},
                {"customer.rfm.monetary", T::kDouble,
                 "Sum of purchase amounts in the RFM monetary window",
                 [](const Ctx& c, Key) { return RtValue::Double(c.customer.rfm().monetary()); }},
                {"customer.rfm.r_score", T::kInt,
                 "Recency score 1-5, 5 most recent (0: never purchased)",
                 [](const Ctx& c, Key) { return RtValue::Int(c.customer.rfm().r_score()); }},
                {"customer.rfm.f_score", T::kInt,
                 "Frequency score 1-5, 5 most frequent (0: never purchased)",
                 [](const Ctx& c, Key) { return RtValue::Int(c.customer.rfm().f_score()); }},
                {"customer.rfm.m_score", T::kInt,
                 "Monetary score 1-5, 5 highest spend (0: never purchased)",
                 [](const Ctx& c, Key) { return RtValue::Int(c.customer.rfm().m_score()); }},
                {"customer.rfm.segment", T::kString,
                 "RFM segment from the configured table: champions, loyal, at_risk, lost, ...",
                 [](const Ctx& c, Key) { return RtValue::String(c.customer.rfm().segment()); }},
                {"customer.consent.<channel>", T::kBool,
                 "May the channel be used: opted in by the latest consent event and not "
                 "do_not_contact",
                 [](const Ctx& c, Key k) {
                   auto it = c.customer.consent().find(k);
                   return RtValue::Bool(it != c.customer.consent().end() && it->second.granted() &&
                                        !c.customer.do_not_contact());
                 }},
                // Channel feedback (state/channel_feedback.h; docs/channels.md).
                {"customer.channels.<channel>.sent", T::kInt,
                 "Actions sent on the channel (0 if none)",
                 [](const Ctx& c, Key k) { return RtValue::Int(Engagement(c, k).sent()); }},
                {"customer.channels.<channel>.delivered", T::kInt,
                 "Deliveries the channel reported (action_delivered)",
                 [](const Ctx& c, Key k) { return RtValue::Int(Engagement(c, k).delivered()); }},
                {"customer.channels.<channel>.opened", T::kInt,
                 "Opens the channel reported (action_opened)",
                 [](const Ctx& c, Key k) { return RtValue::Int(Engagement(c, k).opened()); }},
                {"customer.channels.<channel>.clicked", T::kInt,
                 "Clicks the channel reported (action_clicked)",
                 [](const Ctx& c, Key k) { return RtValue::Int(Engagement(c, k).clicked()); }},
                {"customer.channels.<channel>.failed", T::kInt,
                 "Failures the channel reported (action_failed)",
                 [](const Ctx& c, Key k) { return RtValue::Int(Engagement(c, k).failed()); }},
                {"customer.channels.<channel>.bounced", T::kInt,
                 "Bounces, hard and soft (action_bounced)",
                 [](const Ctx& c, Key k) { return RtValue::Int(Engagement(c, k).bounced()); }},
                {"customer.channels.<channel>.last_sent", T::kTimestamp,
                 "Time of the latest action sent on the channel (null if none)",
                 [](const Ctx& c, Key k) {
                   return RtValue::TimestampOrNull(Engagement(c, k).last_sent_ms());
                 }},
                {"customer.channels.<channel>.last_delivered", T::kTimestamp,
                 "Time of the latest delivery (null if none)",
                 [](const Ctx& c, Key k) {
                   return RtValue::TimestampOrNull(Engagement(c, k).last_delivered_ms());
                 }},
                {"customer.channels.<channel>.last_opened", T::kTimestamp,
                 "Time of the latest open (null if none)",
                 [](const Ctx& c, Key k) {
                   return RtValue::TimestampOrNull(Engagement(c, k).last_opened_ms());
                 }},
                {"customer.channels.<channel>.last_clicked", T::kTimestamp,
                 "Time of the latest click (null if none)",
                 [](const Ctx& c, Key k) {
                   return RtValue::TimestampOrNull(Engagement(c, k).last_clicked_ms());
                 }},
                {"customer.channels.<channel>.sent_90d", T::kInt,
                 "Actions sent on the channel in the last 90 days",
                 [](const Ctx& c, Key k) {
                   return RtValue::Int(Last90d(Engagement(c, k).sent_90d(), c));
                 }},
                {"customer.channels.<channel>.opened_90d", T::kInt, "Opens in the last 90 days",
                 [](const Ctx& c, Key k) {
                   return RtValue::Int(Last90d(Engagement(c, k).opened_90d(), c));
                 }},
                {"customer.channels.<channel>.clicked_90d", T::kInt, "Clicks in the last 90 days",
                 [](const Ctx& c, Key k) {
                   return RtValue::Int(Last90d(Engagement(c, k).clicked_90d(), c));
                 }},
                {"customer.channels.<channel>.open_rate_90d", T::kDouble,
                 "opened_90d / sent_90d (null when nothing was sent in the last 90 days)",
                 [](const Ctx& c, Key k) { return Rate90d(c, k, false); }},
                {"customer.channels.<channel>.click_rate_90d", T::kDouble,
                 "clicked_90d / sent_90d (null when nothing was sent in the last 90 days)",
                 [](const Ctx& c, Key k) { return Rate90d(c, k, true); }},
                {"customer.channels.<channel>.reachable", T::kBool,
                 "False after a hard bounce or soft_bounce_limit soft bounces, until the address "
                 "changes",
                 [](const Ctx& c, Key k) {
                   return RtValue::Bool(!Engagement(c, k).unreachable());
                 }},
                {"customer.do_not_contact", T::kBool,
                 "Global do-not-contact flag from consent events",
                 [](const Ctx& c, Key) { return RtValue::Bool(c.customer.do_not_contact()); }},
                {"customer.activity", T::kMap,
                 "Event types the customer has had (for `'login' in ...`)",
                 [](const Ctx& c, Key) {
                   return RtValue::Map(MapKind::kActivity, &c.customer.activity());
                 }},
                {"customer.activity.<event_type>.count", T::kInt,
                 "Number of events of that type (0 if none)",
                 [](const Ctx& c, Key k) { return RtValue::Int(Activity(c, k).count()); }},
                {"customer.activity.<event_type>.first", T::kTimestamp,
                 "Time of the first event of that type",
                 [](const Ctx& c, Key k) {
                   return RtValue::TimestampOrNull(Activity(c, k).first_ms());
                 }},
                {"customer.activity.<event_type>.last", T::kTimestamp,
                 "Time of the latest event of that type",
                 [](const Ctx& c, Key k) {
                   return RtValue::TimestampOrNull(Activity(c, k).last_ms());
                 }},
                {"customer.profile", T::kMap, "All profile attributes (for `in`, `size`, `[name]`)",
                 [](const Ctx& c, Key) {
                   return RtValue::Map(MapKind::kProfile, &c.customer.profile());
                 }},
                {"customer.profile.<attr>", T::kDyn, "A profile attribute (null when not set)",
                 [](const Ctx& c, Key k) { return ProtoMapEntry(c.customer.profile(), k); }},
                {"customer.clv.p_alive", T::kDouble,
                 "Probability that the customer is still active (BG/NBD); null before the first "
                 "purchase",
                 [](const Ctx& c, Key) { return ModelValue(c, ModelField::kProbabilityAlive); }},
                {"customer.clv.expected_purchases", T::kDouble,
                 "Expected purchases in the next clv.expected_purchases_days days (BG/NBD)",
                 [](const Ctx& c, Key) { return ModelValue(c, ModelField::kExpectedPurchases); }},
                {"customer.clv.expected_spend", T::kDouble,
                 "Expected value of one future purchase (Gamma-Gamma)",
                 [](const Ctx& c, Key) { return ModelValue(c, ModelField::kExpectedSpend); }},
                {"customer.clv.value", T::kDouble,
                 "Predicted discounted value over clv.horizon_weeks (BG/NBD x Gamma-Gamma)",
                 [](const Ctx& c, Key) { return ModelValue(c, ModelField::kPredictedClv); }},
                {"customer.tags", T::kList,
                 "Tags set by rules' tag actions (for `'vip' in customer.tags`)",
                 [](const Ctx& c, Key) { return RtValue::StringList(&c.customer.tags()); }},
                {"customer.loyalty.points", T::kInt,
                 "Loyalty points balance (points expired by now removed)",
                 [](const Ctx& c, Key) {
                   return RtValue::Int(PointsAt(c.customer.loyalty(), c.now_ms));
                 }},
                {"customer.loyalty.earned", T::kInt, "Loyalty points earned in total",
                 [](const Ctx& c, Key) {
                   return RtValue::Int(c.customer.loyalty().earned_total());
                 }},
                {"customer.loyalty.redeemed", T::kInt, "Loyalty points redeemed in total",
                 [](const Ctx& c, Key) {
                   return RtValue::Int(c.customer.loyalty().redeemed_total());
                 }},
                // Expiry, loyalty tiers, satisfaction, value tiers, event history (README "Customer
                // state reference").
                {"customer.loyalty.expired", T::kInt, "Loyalty points expired in total (as of now)",
                 [](const Ctx& c, Key) {
                   return RtValue::Int(ExpiredPointsAt(c.customer.loyalty(), c.now_ms));
                 }},
                {"customer.loyalty.next_expiry", T::kTimestamp,
                 "When the oldest unexpired points expire (null when none or no expiry)",
                 [](const Ctx& c, Key) {
                   const auto* lot = NextExpiringLot(c);
                   return lot == nullptr
                              ? RtValue::Null()
                              : RtValue::Timestamp(lot->earned_ms() +
                                                   c.customer.loyalty().expire_after_ms());
                 }},
                {"customer.loyalty.next_expiry_points", T::kInt,
                 "Points expiring at next_expiry (0 if none)",
                 [](const Ctx& c, Key) {
                   const auto* lot = NextExpiringLot(c);
                   return RtValue::Int(lot == nullptr ? 0 : lot->points());
                 }},
                {"customer.loyalty.tier", T::kString,
                 "Loyalty tier by loyalty.tiers (\"\" below every level or not configured)",
                 [](const Ctx& c, Key) { return RtValue::String(c.customer.loyalty().tier()); }},
                {"customer.loyalty.tier_since", T::kTimestamp,
                 "When the customer entered the loyalty tier",
                 [](const Ctx& c, Key) {
                   return RtValue::TimestampOrNull(c.customer.loyalty().tier_since_ms());
                 }},
                {"customer.satisfaction.nps", T::kInt,
                 "Latest NPS score 0-10 (null before any answer)",
                 [](const Ctx& c, Key) {
                   return Sat(c).nps_ms() == 0 ? RtValue::Null() : RtValue::Int(Sat(c).nps_score());
                 }},
                {"customer.satisfaction.nps_at", T::kTimestamp, "Time of the latest NPS answer",
                 [](const Ctx& c, Key) { return RtValue::TimestampOrNull(Sat(c).nps_ms()); }},
                {"customer.satisfaction.nps_category", T::kString,
                 "Category of the latest NPS score: promoter, passive, detractor (null before any "
                 "answer)",
                 [](const Ctx& c, Key) {
                   return Sat(c).nps_ms() == 0 ? RtValue::Null()
                                               : RtValue::String(NpsCategory(Sat(c).nps_score()));
                 }},
                {"customer.satisfaction.nps_running", T::kDouble,
                 "(promoters - detractors) / answers * 100 over all the customer's NPS answers "
                 "(null if none)",
                 [](const Ctx& c, Key) {
                   const double nps = RunningNps(Sat(c));
                   return std::isnan(nps) ? RtValue::Null() : RtValue::Double(nps);
                 }},
                {"customer.satisfaction.nps_responses", T::kInt, "Number of NPS answers",
                 [](const Ctx& c, Key) {
                   return RtValue::Int(Sat(c).nps_promoters() + Sat(c).nps_passives() +
                                       Sat(c).nps_detractors());
                 }},
                {"customer.satisfaction.nps_promoters", T::kInt, "NPS answers 9-10",
                 [](const Ctx& c, Key) { return RtValue::Int(Sat(c).nps_promoters()); }},
                {"customer.satisfaction.nps_passives", T::kInt, "NPS answers 7-8",
                 [](const Ctx& c, Key) { return RtValue::Int(Sat(c).nps_passives()); }},
                {"customer.satisfaction.nps_detractors", T::kInt, "NPS answers 0-6",
                 [](const Ctx& c, Key) { return RtValue::Int(Sat(c).nps_detractors()); }},
                {"customer.satisfaction.csat", T::kDouble,
                 "Latest CSAT score (null before any answer)",
                 [](const Ctx& c, Key) {
                   return Sat(c).csat_ms() == 0 ? RtValue::Null()
                                                : RtValue::Double(Sat(c).csat_score());
                 }},
                {"customer.satisfaction.csat_at", T::kTimestamp, "Time of the latest CSAT answer",
                 [](const Ctx& c, Key) { return RtValue::TimestampOrNull(Sat(c).csat_ms()); }},
                {"customer.satisfaction.csat_average", T::kDouble,
                 "Mean of all the customer's CSAT scores (null if none)",
                 [](const Ctx& c, Key) {
                   return Sat(c).csat_count() == 0
                              ? RtValue::Null()
                              : RtValue::Double(Sat(c).csat_sum() /
                                                static_cast<double>(Sat(c).csat_count()));
                 }},
                {"customer.satisfaction.csat_responses", T::kInt, "Number of CSAT answers",
                 [](const Ctx& c, Key) { return RtValue::Int(Sat(c).csat_count()); }},
                {"customer.satisfaction.open_tickets", T::kInt,
                 "Support tickets opened and not resolved",
                 [](const Ctx& c, Key) { return RtValue::Int(Sat(c).open_tickets_size()); }},
                {"customer.satisfaction.oldest_open_ticket", T::kTimestamp,
                 "When the oldest open ticket was opened (null if none; age: now - this)",
                 [](const Ctx& c, Key) {
                   return Sat(c).open_tickets().empty()
                              ? RtValue::Null()
                              : RtValue::Timestamp(Sat(c).open_tickets(0).opened_ms());
                 }},
                {"customer.satisfaction.tickets_opened", T::kInt, "Support tickets opened in total",
                 [](const Ctx& c, Key) { return RtValue::Int(Sat(c).tickets_opened()); }},
                {"customer.satisfaction.tickets_resolved", T::kInt,
                 "Support tickets resolved in total",
                 [](const Ctx& c, Key) { return RtValue::Int(Sat(c).tickets_resolved()); }},
                {"customer.value.score", T::kDouble,
                 "Value score from value_tiers.score after the latest event (null if not "
                 "configured)",
                 [](const Ctx& c, Key) {
                   return c.customer.has_value() ? RtValue::Double(c.customer.value().score())
                                                 : RtValue::Null();
                 }},
                {"customer.value.tier", T::kString,
                 "Value tier by value_tiers.tiers (\"\" below every level; null if not configured)",
                 [](const Ctx& c, Key) {
                   return c.customer.has_value() ? RtValue::String(c.customer.value().tier())
                                                 : RtValue::Null();
                 }},
                {"customer.value.since", T::kTimestamp, "When the customer entered the value tier",
                 [](const Ctx& c, Key) {
                   return RtValue::TimestampOrNull(c.customer.value().since_ms());
                 }},
                {"customer.history.event_types", T::kList,
                 "Types of the customer's latest events, newest (this one) first (history.size)",
                 [](const Ctx& c, Key) {
                   return RtValue::StringList(&c.customer.history().types());
                 }},
                {"customer.history.event_ids", T::kList, "Ids of the latest events, newest first",
                 [](const Ctx& c, Key) {
                   return RtValue::StringList(&c.customer.history().event_ids());
                 }},
                {"customer.history.channels", T::kList,
                 "Channels of the latest events, newest first",
                 [](const Ctx& c,
                    Key) { return RtValue::StringList(&c.customer.history().channels()); }},
                {"customer.history.previous_type",
                 T::kString, "Type of the event before this one (null if none)",
                 [](const Ctx& c, Key) {
                   const auto& h = c.customer.history();
                   return h.types_size() < 2 ? RtValue::Null() : RtValue::String(h.types(1));
                 }},
                {"customer.history.previous_at", T::kTimestamp, "Time of the event before this one",
                 [](const Ctx& c, Key) {
                   const auto& h = c.customer.history();
                   return h.ts_ms_size() < 2 ? RtValue::Null() : RtValue::Timestamp(h.ts_ms(1));
                 }},
                {"customer.lifecycle.stage", T::kString,
                 "Lifecycle stage: prospect, new, active, loyal, at_risk, churned, won_back",
                 [](const Ctx& c, Key) { return RtValue::String(c.customer.lifecycle().stage()); }},
                {"customer.lifecycle.since", T::kTimestamp,
                 "When the customer entered the current stage",
                 [](const Ctx& c,
                    Key) { return RtValue::TimestampOrNull(c.customer.lifecycle().since_ms()); }},
                {"customer.lifecycle.previous", T::kString,
                 "The stage before the current one (\"\" if none)",
                 [](const Ctx& c,
                    Key) { return RtValue::String(c.customer.lifecycle().previous_stage()); }},
                {"customer.rules", T::kMap, "Rules that have fired for the customer (for `in`)",
                 [](const Ctx& c, Key) {
                   return RtValue::Map(MapKind::kRuleHistory, &c.customer.rules());
                 }},
                {"customer.rules.<rule_id>.fire_count", T::kInt,
                 "Times that rule fired for the customer",
                 [](const Ctx& c, Key k) { return RtValue::Int(History(c, k).fire_count()); }},
                {"customer.rules.<rule_id>.last_fired", T::kTimestamp,
                 "When that rule last fired (null if never)",
                 [](const Ctx& c,
                    Key k) { return RtValue::TimestampOrNull(History(c, k).last_fired_ms()); }},
                {"rule.id", T::kString, "Id of the rule being evaluated",
                 [](const Ctx& c, Key) { return RtValue::String(c.rule_id); }},
                {"rule.version", T::kString, "Version of the rule being evaluated",
                 [](const Ctx& c, Key) { return RtValue::String(c.rule_version); }},
                {"now", T::kTimestamp, "Current time (event time in replay)",
                 [](const Ctx& c, Key) { return RtValue::Timestamp(c.now_ms); }},
};

bool IsParameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '<' && segment.back() == '>';
}

}  // namespace

std::span<const FieldDef> FieldCatalog() {
  return kFields;
}

const FieldDef* FindField(std::span<const std::string_view> segments, std::string_view* key) {
  for (const FieldDef& field : kFields) {
    std::string_view rest = field.path;
    std::string_view parameter;
    size_t i = 0;
    bool match = true;
    while (match && !rest.empty()) {
      const size_t dot = rest.find('.');
      const std::string_view segment = rest.substr(0, dot);
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
      if (i >= segments.size()) {
        match = false;
      } else if (IsParameter(segment)) {
        parameter = segments[i++];
      } else {
        match = segment == segments[i++];
      }
    }
    if (match && i == segments.size()) {
      *key = parameter;
      return &field;
    }
  }
  return nullptr;
}

RtValue FromProtoValue(const touchstream::v1::Value& value) {
  using V = touchstream::v1::Value;
  switch (value.kind_case()) {
    case V::kBoolValue:
      return RtValue::Bool(value.bool_value());
    case V::kIntValue:
      return RtValue::Int(value.int_value());
    case V::kDoubleValue:
      return RtValue::Double(value.double_value());
    case V::kStringValue:
      return RtValue::String(value.string_value());
    case V::kTimestampMs:
      return RtValue::Timestamp(value.timestamp_ms());
    case V::KIND_NOT_SET:
      break;
  }
  return RtValue::Null();
}

}  // namespace touchstream::rules
