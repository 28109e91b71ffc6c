// Rules reading windowed aggregates, RFM and consent: declared aggregates are typed by kind,
// unknown ones are load-time errors with a did-you-mean, and values are read as of `now`.
#include <gtest/gtest.h>

#include "expr_tester.h"
#include "rules/loader.h"

namespace touchstream::rules {
namespace {

using testing::ExprTester;
using Strings = std::vector<std::string>;

constexpr int64_t kDay = 86'400'000;

ExprTester WithAggregates() {
  ExprTester t;
  t.env.aggregates["spend_90d"] = ValueType::kDouble;
  t.env.aggregates["views_7d"] = ValueType::kInt;
  t.env.aggregates["min_price_30d"] = ValueType::kDouble;
  return t;
}

std::string FirstLine(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

// A typo in a declared aggregate's name is refused with a suggestion and a caret.
TEST(RulesAggregateFieldsTest, TypoSuggestsDeclaredName) {
  ExprTester t = WithAggregates();
  EXPECT_EQ(t.Errors("customer.aggregates.spend_9d > 100"),
            Strings{"<expr>:1:21: error: unknown field 'customer.aggregates.spend_9d' (did you "
                    "mean 'spend_90d'?)\ncustomer.aggregates.spend_9d > 100\n"
                    "                    ^"});
  // Built-in aggregates are still suggested, and the index form is checked the same way.
  EXPECT_EQ(FirstLine(t.Errors("customer.aggregates.total_spnd > 1")[0]),
            "<expr>:1:21: error: unknown field 'customer.aggregates.total_spnd' (did you mean "
            "'total_spend'?)");
  EXPECT_EQ(FirstLine(t.Errors("customer.aggregates['views_7]'] > 1")[0]),
            "<expr>:1:21: error: unknown field 'customer.aggregates.views_7]' (did you mean "
            "'views_7d'?)");
  EXPECT_EQ(FirstLine(t.Errors("customer.aggregates.zzz > 1")[0]),
            "<expr>:1:21: error: unknown field 'customer.aggregates.zzz'");
  // Without declarations, the message says where to declare them.
  ExprTester none;
  EXPECT_EQ(FirstLine(none.Errors("customer.aggregates.spend_90d > 1")[0]),
            "<expr>:1:21: error: unknown field 'customer.aggregates.spend_90d' (no windowed "
            "aggregates are declared: add them under `aggregates:` in the engine config)");
  // The object lists built-in and declared aggregates.
  EXPECT_EQ(FirstLine(t.Errors("customer.aggregates > 1")[0]),
            "<expr>:1:10: error: 'customer.aggregates' is not a value; use one of its fields: "
            "event_count, purchase_count, total_spend, first_purchase, last_purchase, "
            "max_purchase, min_price_30d, spend_90d, views_7d");
}

// Declared aggregates take the type of their kind, and type errors follow from it.
TEST(RulesAggregateFieldsTest, DeclaredTypes) {
  ExprTester t = WithAggregates();
  EXPECT_EQ(t.Type("customer.aggregates.spend_90d"), "double");
  EXPECT_EQ(t.Type("customer.aggregates.views_7d"), "int");
  EXPECT_EQ(t.Type("customer.aggregates['views_7d']"), "int");
  EXPECT_EQ(t.Type("customer.aggregates.views_7d + 1"), "int");
  EXPECT_EQ(t.Type("customer.aggregates.total_spend"), "double");
  EXPECT_EQ(FirstLine(t.Errors("customer.aggregates.views_7d == 'many'")[0]),
            "<expr>:1:30: error: operator '==' cannot be applied to int and string");
  EXPECT_EQ(t.Type("customer.rfm.recency_days"), "int");
  EXPECT_EQ(t.Type("customer.rfm.frequency"), "int");
  EXPECT_EQ(t.Type("customer.rfm.monetary"), "double");
  EXPECT_EQ(t.Type("customer.rfm.r_score"), "int");
  EXPECT_EQ(t.Type("customer.rfm.f_score"), "int");
  EXPECT_EQ(t.Type("customer.rfm.m_score"), "int");
  EXPECT_EQ(t.Type("customer.rfm.segment"), "string");
  EXPECT_EQ(t.Type("customer.consent.email"), "bool");
  EXPECT_EQ(t.Type("customer.do_not_contact"), "bool");
  EXPECT_EQ(FirstLine(t.Errors("customer.rfm.segmnt == 'x'")[0]),
            "<expr>:1:14: error: unknown field 'customer.rfm.segmnt' (did you mean 'segment'?)");
}

// A window hand-built as the state library stores it: 1d buckets over 7d.
touchstream::v1::WindowState Window(touchstream::v1::WindowState::Kind kind) {
  touchstream::v1::WindowState w;
  w.set_kind(kind);
  w.set_window_ms(7 * kDay);
  w.set_bucket_ms(kDay);
  const int64_t today = ExprTester::kNow / kDay;
  for (const auto& [index, count, sum, min, max] :
       {std::tuple{today - 7, 5, 500.0, 1.0, 400.0}, std::tuple{today - 6, 1, 10.5, 10.5, 10.5},
        std::tuple{today, 2, 30.0, 7.5, 22.5}}) {
    auto* b = w.add_buckets();
    b->set_index(index);
    b->set_count(count);
    b->set_sum(sum);
    b->set_min(min);
    b->set_max(max);
  }
  return w;
}

// Values are read as of now: buckets older than the window are ignored.
TEST(RulesAggregateFieldsTest, ValuesAsOfNow) {
  using W = touchstream::v1::WindowState;
  ExprTester t;
  t.env.aggregates = {{"n", ValueType::kInt},      {"s", ValueType::kDouble},
                      {"lo", ValueType::kDouble},  {"hi", ValueType::kDouble},
                      {"avg", ValueType::kDouble}, {"empty_min", ValueType::kDouble},
                      {"d", ValueType::kInt},      {"missing", ValueType::kInt}};
  auto& windows = *t.customer.mutable_windows();
  windows["n"] = Window(W::COUNT);
  windows["s"] = Window(W::SUM);
  windows["lo"] = Window(W::MIN);
  windows["hi"] = Window(W::MAX);
  windows["avg"] = Window(W::AVG);
  windows["empty_min"].set_kind(W::MIN);
  windows["empty_min"].set_window_ms(7 * kDay);
  windows["empty_min"].set_bucket_ms(kDay);
  W& d = windows["d"];
  d.set_kind(W::DISTINCT);
  d.set_window_ms(7 * kDay);
  d.set_bucket_ms(kDay);
  for (const auto& [hash, index] :
       {std::pair{1ull, ExprTester::kNow / kDay - 9}, std::pair{2ull, ExprTester::kNow / kDay - 1},
        std::pair{3ull, ExprTester::kNow / kDay}}) {
    d.add_distinct_hashes(hash);
    d.add_distinct_last_index(index);
  }
  EXPECT_EQ(t.Eval("customer.aggregates.n"), "int:3");
  EXPECT_EQ(t.Eval("customer.aggregates.s"), "double:40.5");
  EXPECT_EQ(t.Eval("customer.aggregates.lo"), "double:7.5");
  EXPECT_EQ(t.Eval("customer.aggregates.hi"), "double:22.5");
  EXPECT_EQ(t.Eval("customer.aggregates.avg"), "double:13.5");
  EXPECT_EQ(t.Eval("customer.aggregates.d"), "int:2");
  EXPECT_EQ(t.Eval("customer.aggregates.empty_min"), "null");
  EXPECT_EQ(t.Eval("has(customer.aggregates.empty_min)"), "bool:false");
  EXPECT_EQ(t.Eval("customer.aggregates.missing"), "null");
  // A day later the bucket of 6 days ago has left the window too.
  t.now_ms += kDay;
  EXPECT_EQ(t.Eval("customer.aggregates.n"), "int:2");
  EXPECT_EQ(t.Eval("customer.aggregates.s > 29.5"), "bool:true");
  EXPECT_EQ(t.Eval("customer.aggregates.lo"), "double:7.5");
}

// RFM and consent fields read the stored values.
TEST(RulesAggregateFieldsTest, RfmAndConsent) {
  ExprTester t;
  EXPECT_EQ(t.Eval("customer.rfm.recency_days"), "null");
  EXPECT_EQ(t.Eval("customer.rfm.segment"), "string:");
  auto* rfm = t.customer.mutable_rfm();
  rfm->set_last_purchase_ms(ExprTester::kNow - 10 * kDay - 1);
  rfm->set_as_of_ms(ExprTester::kNow);
  rfm->set_frequency(4);
  rfm->set_monetary(250.5);
  rfm->set_r_score(4);
  rfm->set_f_score(4);
  rfm->set_m_score(3);
  rfm->set_segment("loyal");
  EXPECT_EQ(t.Eval("customer.rfm.recency_days"), "int:10");
  EXPECT_EQ(t.Eval("customer.rfm.frequency"), "int:4");
  EXPECT_EQ(t.Eval("customer.rfm.monetary"), "double:250.5");
  EXPECT_EQ(t.Eval("customer.rfm.r_score * 100 + customer.rfm.f_score * 10 + customer.rfm.m_score"),
            "int:443");
  EXPECT_EQ(t.Eval("customer.rfm.segment == 'loyal'"), "bool:true");

  EXPECT_EQ(t.Eval("customer.consent.email"), "bool:false");  // no record: no consent
  auto& consent = *t.customer.mutable_consent();
  consent["email"].set_granted(true);
  consent["sms"].set_granted(false);
  EXPECT_EQ(t.Eval("customer.consent.email"), "bool:true");
  EXPECT_EQ(t.Eval("customer.consent.sms"), "bool:false");
  EXPECT_EQ(t.Eval("customer.do_not_contact"), "bool:false");
  t.customer.set_do_not_contact(true);
  EXPECT_EQ(t.Eval("customer.consent.email"), "bool:false");  // do-not-contact wins
  EXPECT_EQ(t.Eval("customer.do_not_contact"), "bool:true");
}

// Rule files are checked against the declarations when they are loaded.
TEST(RulesAggregateFieldsTest, RuleFileLoad) {
  constexpr char kRules[] = R"(- id: big_spender
  trigger: {event: purchase}
  condition: customer.aggregates.spend_9d > 500
  actions:
    - emit: {kind: offer, channel: email}
)";
  RuleEnvironment env;
  env.aggregates["spend_90d"] = ValueType::kDouble;
  LoadResult result = LoadRulesFromString(kRules, "rules/cart.yaml", env);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(FirstLine(result.errors[0].ToString()),
            "rules/cart.yaml:3:34: error: unknown field 'customer.aggregates.spend_9d' (did you "
            "mean 'spend_90d'?)");
}

}  // namespace
}  // namespace touchstream::rules
