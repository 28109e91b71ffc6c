// rules_bench: the rule language's performance figures (Google Benchmark).
//
//   BM_CompileRulePack/1000      load (YAML, parse, check, compile) a generated 1,000-rule pack;
//                                the `per_rule` counter is the time per rule.
//   BM_EvaluateCondition/<name>  Evaluator::EvaluateCondition on one typical condition, warm
//                                scratch; the target is well under 100 ns for `typical`.
//   BM_ProcessEvent/N            EventProcessor::ProcessEvent per purchase event with N loaded
//                                rules, of which 10 listen to purchases (the rest to other
//                                types); in-memory store, warm cache of 1,000 customers,
//                                100,000 events per run. A summary line prints the
//                                N=10000 / N=10 ratio (target <= 2).
//   BM_ProcessEventOneType/N     the same with N rules all on purchases, each keyed to its own
//                                sku (`event.properties.sku == "SKU-k" && ...`), each event
//                                of one of the N skus: the rule index (rules/rule_index.h)
//                                picks the one rule; ratio N=10000 / N=10 printed (target <= 2).
//   BM_ProcessEventOneTypeScan/N the same pack with the sku test second, which the index
//                                cannot use: every condition is evaluated (the cost without it).
//
// Usage: rules_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/core/processor.h"
#include "engine/ops/metrics.h"
#include "rules/evaluator.h"
#include "rules/loader.h"
#include "state/customer_cache.h"
#include "state/in_memory_store.h"

namespace touchstream {
namespace {

constexpr int64_t kNow = 1767607200000;  // 2026-01-05T10:00:00Z
constexpr int64_t kDay = 86400000;
constexpr int kCustomers = 1000;

// Declared property types, as deploy/config/demo.yaml declares them.
rules::RuleEnvironment BenchEnvironment() {
  rules::RuleEnvironment env;
  env.event_properties["purchase"] = {{"amount", rules::ValueType::kDouble},
                                      {"sku", rules::ValueType::kString},
                                      {"category", rules::ValueType::kString},
                                      {"quantity", rules::ValueType::kInt}};
  env.event_properties["nps_response"] = {{"score", rules::ValueType::kInt}};
  return env;
}

// A realistic condition (2-4 comparisons over event properties, aggregates, profile, activity
// and rule history) for the k-th rule; thresholds vary with k so no two rules are identical.
// Like real marketing rules, most are selective (once per customer, a high amount, a rare
// segment): with the ten purchase rules about one event in six produces an action.
std::string Condition(int k) {
  const std::string a = std::to_string(450 + k % 100) + ".0";  // a high amount
  const std::string n = std::to_string(2 + k % 5);             // a count
  const std::string once = "!(\"r-" + std::to_string(k) + "\" in customer.rules)";
  switch (k % 10) {
    case 0:
      return "event.properties.amount >= " + a +
             " && customer.aggregates.total_spend > 1000.0 && " + once;
    case 1:
      return "customer.profile.tier == \"gold\" && event.properties.amount > " + a;
    case 2:
      return "event.properties.category in [\"shoes\", \"bags\", \"watches\"] && "
             "customer.aggregates.purchase_count == " +
             n;
    case 3:
      return "days_since(customer.aggregates.last_purchase) > 30 && "
             "event.properties.quantity >= 2";
    case 4:
      return "customer.aggregates.purchase_count == " + n + " && event.channel == \"web\"";
    case 5:
      return "has(customer.profile.email) && event.properties.amount * "
             "double(event.properties.quantity) > " +
             a + " && " + once;
    case 6:
      return "customer.activity.page_view.count > " + n +
             " && customer.aggregates.max_purchase < event.properties.amount";
    case 7:
      return "event.properties.sku.startsWith(\"SKU-1\") && customer.profile.tier != \"bronze\" "
             "&& event.properties.amount > " +
             a;
    case 8:
      return "customer.aggregates.total_spend >= 2000.0 && "
             "customer.aggregates.total_spend - event.properties.amount < 2000.0";
    default:
      return "event.channel == \"app\" && hour_of_day(event.ts) >= 20 && "
             "customer.aggregates.purchase_count > " +
             n;
  }
}

// One rule in YAML: event trigger, condition, an emit with a template and a payload.
std::string RuleYaml(int k, const std::string& event_type) {
  std::string yaml = "- id: r-" + std::to_string(k) + "\n";
  yaml += "  description: generated rule " + std::to_string(k) + "\n";
  yaml += "  priority: " + std::to_string(k % 5) + "\n";
  yaml += "  trigger: {event: " + event_type + "}\n";
  yaml += "  condition: '" + Condition(k) + "'\n";
  yaml += "  actions:\n";
  yaml += "    - emit:\n";
  yaml += "        kind: offer\n";
  yaml += "        channel: [email, push]\n";
  yaml +=
      "        template: \"Hi {{ customer.profile.first_name }}, {{ "
      "round(customer.aggregates.total_spend) }} spent: here is offer " +
      std::to_string(k) + " on {{ event.properties.sku }}\"\n";
  yaml += "        payload: {coupon: \"C" + std::to_string(k) + "\"}\n";
  return yaml;
}

// Event types other than purchase: real ones, then app-specific ones, so that every type has
// about ten rules, as in a large real pack.
std::string OtherType(int k) {
  static const char* const kTypes[] = {"page_view",  "cart_add",        "login",    "complaint",
                                       "email_open", "search",          "app_open", "wishlist_add",
                                       "refund",     "checkout_started"};
  const int slot = k / 10;
  return slot < 10 ? kTypes[slot] : "app_event_" + std::to_string(slot);
}

// `total` rules: the first `purchase_rules` listen to purchases, the rest to other types.
std::string RulePack(int total, int purchase_rules) {
  std::string yaml;
  for (int k = 0; k < total; ++k) {
    yaml += RuleYaml(k, k < purchase_rules ? "purchase" : OtherType(k - purchase_rules));
  }
  return yaml;
}

std::shared_ptr<const rules::RuleSet> LoadOrDie(const std::string& yaml,
                                                const rules::RuleEnvironment& env) {
  rules::LoadResult result = rules::LoadRulesFromString(yaml, "bench.yaml", env);
  if (!result.ok()) {
    for (const auto& e : result.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    std::abort();
  }
  return result.rule_set;
}

v1::Value StringValue(const std::string& s) {
  v1::Value v;
  v.set_string_value(s);
  return v;
}

// A purchase event of customer c (deterministic variety of amounts, skus, channels).
v1::TouchpointEvent Purchase(int c, int seq, int64_t ts_ms) {
  static const char* const kCategories[] = {"shoes", "shirts", "bags", "books", "watches"};
  static const char* const kChannels[] = {"web", "app", "store"};
  v1::TouchpointEvent event;
  event.set_event_id("e-" + std::to_string(seq));
  event.set_customer_id("c-" + std::to_string(c));
  event.set_type("purchase");
  event.set_ts_ms(ts_ms);
  event.set_channel(kChannels[seq % 3]);
  event.set_source("checkout");
  auto& p = *event.mutable_properties();
  p["amount"].set_double_value(5.0 + (seq * 37 % 600));
  p["sku"].set_string_value("SKU-" + std::to_string(seq * 13 % 500));
  p["category"].set_string_value(kCategories[seq % 5]);
  p["quantity"].set_int_value(1 + seq % 3);
  return event;
}

// Profile attributes a real customer carries.
void FillProfile(int c, v1::CustomerState* customer) {
  static const char* const kTiers[] = {"gold", "silver", "bronze", "none"};
  auto& p = *customer->mutable_profile();
  p["first_name"] = StringValue("Name" + std::to_string(c));
  p["email"] = StringValue("c" + std::to_string(c) + "@example.com");
  p["tier"] = StringValue(kTiers[c % 4]);
  p["country"] = StringValue(c % 2 ? "FR" : "US");
  p["language"] = StringValue(c % 2 ? "fr" : "en");
  p["time_zone"] = StringValue(c % 2 ? "Europe/Paris" : "America/New_York");
}

// ---- 1. Compile time -----------------------------------------------------------------------

void BM_CompileRulePack(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string yaml = RulePack(n, n / 10);
  const rules::RuleEnvironment env = BenchEnvironment();
  for (auto _ : state) {
    auto set = LoadOrDie(yaml, env);
    benchmark::DoNotOptimize(set.get());
  }
  // Seconds per rule (rate over rules, inverted).
  state.counters["per_rule"] = benchmark::Counter(
      n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CompileRulePack)->Arg(1000)->Unit(benchmark::kMillisecond);

// ---- 2. Condition evaluation ---------------------------------------------------------------

struct ConditionCase {
  const char* name;
  const char* condition;
};
constexpr ConditionCase kConditions[] = {
    {"typical", "event.properties.amount >= 100.0 && customer.aggregates.total_spend > 1000.0"},
    {"profile_string", "customer.profile.tier == \"gold\""},
    {"in_list", "event.properties.category in [\"shoes\", \"bags\", \"watches\"]"},
    {"days_since", "days_since(customer.aggregates.last_purchase) > 30"},
    {"four_terms",
     "event.properties.amount >= 100.0 && customer.aggregates.total_spend > 1000.0 && "
     "customer.profile.tier == \"gold\" && event.channel == \"web\""},
};

void BM_EvaluateCondition(benchmark::State& state, const char* condition) {
  const auto set =
      LoadOrDie("- id: r\n  trigger: {event: purchase}\n  condition: '" + std::string(condition) +
                    "'\n  actions: [{emit: {kind: k, channel: c}}]\n",
                BenchEnvironment());
  const rules::Rule& rule = set->rules()[0];
  // Values chosen so that every comparison is evaluated (no short circuit) and is true.
  v1::TouchpointEvent event = Purchase(0, 0, kNow);
  auto& properties = *event.mutable_properties();
  properties["amount"].set_double_value(120.5);
  properties["category"].set_string_value("watches");
  event.set_channel("web");
  v1::CustomerState customer;
  customer.set_customer_id("c-0");
  FillProfile(0, &customer);
  (*customer.mutable_activity())["purchase"].set_count(12);
  (*customer.mutable_activity())["page_view"].set_count(40);
  (*customer.mutable_activity())["login"].set_count(9);
  customer.mutable_aggregates()->set_purchase_count(12);
  customer.mutable_aggregates()->set_total_spend(1520.5);
  customer.mutable_aggregates()->set_last_purchase_ms(kNow - 45 * kDay);
  (*customer.mutable_rules())["welcome"].set_fire_count(1);
  rules::EvalContext ctx{&event, &customer, kNow};
  rules::Evaluator evaluator;
  std::string error;
  int64_t true_count = 0;
  for (auto _ : state) {
    const rules::ConditionResult result = evaluator.EvaluateCondition(rule, ctx, &error);
    if (result == rules::ConditionResult::kError) {
      state.SkipWithError(error.c_str());
      break;
    }
    true_count += result == rules::ConditionResult::kTrue;
  }
  benchmark::DoNotOptimize(true_count);
}

// ---- 3. Per-event engine cost --------------------------------------------------------------

constexpr int kListening = 10;  // rules listening to the event's type, for every N

// Processes 100,000-iteration streams of purchases with `rules` loaded: warm-up history, then
// the measured purchases; `sku_keys` > 0 gives each customer's measured purchases one sku,
// "SKU-<j>" with j in [0, sku_keys) (spread evenly), so that every N fires one rule per event
// and each customer's rule history holds that one rule.
void RunPurchases(benchmark::State& state, const std::shared_ptr<const rules::RuleSet>& rules,
                  int sku_keys) {
  engine::EngineConfig config;
  config.rule_environment = BenchEnvironment();
  config.output.decisions_topic = "touchstream.decisions";
  config.output.channel_topics = {{"email", "touchstream.actions.email"},
                                  {"push", "touchstream.actions.push"}};
  auto store = state::NewInMemoryStore();
  state::CustomerCache cache(store.get(), kCustomers * 2);
  engine::EngineMetrics metrics;
  engine::EventProcessor processor(config, &cache, &metrics);
  processor.SetRules(rules);
  std::vector<v1::OutboxEntry> out;

  // Warm-up: every customer gets a profile and a history (page views, logins, purchases), so
  // the cache is warm and the aggregates realistic.
  int64_t ts = kNow - 60 * kDay;
  int seq = 0;
  for (int c = 0; c < kCustomers; ++c) {
    FillProfile(c, *cache.GetForUpdate("c-" + std::to_string(c)));
    for (const char* type : {"page_view", "login", "page_view"}) {
      v1::TouchpointEvent event = Purchase(c, seq++, ts += 1000);
      event.set_type(type);
      event.clear_properties();
      if (!processor.ProcessEvent(event, event.ts_ms(), &out).ok()) std::abort();
    }
    for (int k = 0; k < 1 + c % 4; ++k) {
      const auto event = Purchase(c, seq++, ts += 1000);
      if (!processor.ProcessEvent(event, event.ts_ms(), &out).ok()) std::abort();
    }
  }
  out.clear();

  // The measured stream: purchases spread over all customers (a stride coprime with 1000).
  std::vector<v1::TouchpointEvent> events;
  for (int k = 0; k < 4096; ++k) {
    const int c = k * 7 % kCustomers;
    events.push_back(Purchase(c, seq++, ts += 500));
    if (sku_keys > 0) {
      (*events.back().mutable_properties())["sku"].set_string_value(
          "SKU-" + std::to_string(static_cast<int64_t>(c) * 7919 % sku_keys));
    }
  }
  size_t next = 0;
  int64_t outbox_entries = 0;
  for (auto _ : state) {
    v1::TouchpointEvent& event = events[next];
    next = (next + 1) % events.size();
    event.set_ts_ms(ts += 500);  // time moves on as the stream repeats
    if (!processor.ProcessEvent(event, event.ts_ms(), &out).ok()) std::abort();
    // Hand the outbox off now and then, as a commit would.
    if (out.size() >= 256) {
      outbox_entries += static_cast<int64_t>(out.size());
      out.clear();
    }
  }
  outbox_entries += static_cast<int64_t>(out.size());
  state.counters["outbox_per_event"] =
      benchmark::Counter(static_cast<double>(outbox_entries) / state.iterations());
}

void BM_ProcessEvent(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto rules = LoadOrDie(RulePack(n, kListening), BenchEnvironment());
  if (rules->ForEventType("purchase").size() != kListening) std::abort();
  RunPurchases(state, rules, 0);
}

// N rules, all on purchases, each keyed to its own sku: `sku_first` puts the sku test first
// (the rule index selects the one rule of the event's sku), else second (every rule's
// condition is evaluated: what the same pack costs without the index).
std::string OneTypePack(int n, bool sku_first) {
  std::string yaml;
  for (int k = 0; k < n; ++k) {
    const std::string sku = "event.properties.sku == \"SKU-" + std::to_string(k) + "\"";
    const std::string spend = "customer.aggregates.total_spend > 100.0";
    yaml += "- id: r-" + std::to_string(k) + "\n  trigger: {event: purchase}\n  condition: '" +
            (sku_first ? sku + " && " + spend : spend + " && " + sku) +
            "'\n  actions:\n    - emit: {kind: offer, channel: email, template: \"offer " +
            std::to_string(k) + "\"}\n";
  }
  return yaml;
}

void BM_ProcessEventOneType(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  RunPurchases(state, LoadOrDie(OneTypePack(n, true), BenchEnvironment()), n);
}
void BM_ProcessEventOneTypeScan(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  RunPurchases(state, LoadOrDie(OneTypePack(n, false), BenchEnvironment()), n);
}

// A fixed event count, so that every N processes the same events from the same state (the
// state evolves as events arrive: purchase counts, rule histories, fire rates).
BENCHMARK(BM_ProcessEvent)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Iterations(100000);
BENCHMARK(BM_ProcessEventOneType)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Iterations(100000);
BENCHMARK(BM_ProcessEventOneTypeScan)->Arg(10)->Arg(1000)->Iterations(20000);

// Prints each run as usual and remembers the BM_ProcessEvent and BM_ProcessEventOneType medians
// (or single-run times) to print their N=10000 / N=10 ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(bool color) : ConsoleReporter(color ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      const std::string family = run.run_name.function_name;
      if (family != "BM_ProcessEvent" && family != "BM_ProcessEventOneType") continue;
      times_[family][run.run_name.args] = {run.GetAdjustedRealTime(), run.GetAdjustedCPUTime()};
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (auto& [family, by_n] : times_) {
      if (!by_n.count("10") || !by_n.count("10000")) continue;
      std::printf("%s ratio 10000/10 rules: %.2f wall, %.2f CPU (target <= 2)\n", family.c_str(),
                  by_n["10000"].first / by_n["10"].first, by_n["10000"].second / by_n["10"].second);
    }
  }

 private:
  // family -> N -> (wall, CPU) in ns
  std::map<std::string, std::map<std::string, std::pair<double, double>>> times_;
};

}  // namespace
}  // namespace touchstream

int main(int argc, char** argv) {
  for (const auto& c : touchstream::kConditions) {
    benchmark::RegisterBenchmark((std::string("BM_EvaluateCondition/") + c.name).c_str(),
                                 touchstream::BM_EvaluateCondition, c.condition);
  }
  // The ratio line is added to the console format only (--benchmark_format=json|csv as usual);
  // colors as the library does by default: on a terminal, unless --benchmark_color=false.
  bool console = true;
  bool color = isatty(STDOUT_FILENO) != 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--benchmark_format=", 0) == 0) console = arg == "--benchmark_format=console";
    if (arg.rfind("--benchmark_color=", 0) == 0) {
      const std::string value = arg.substr(arg.find('=') + 1);
      color = value == "true" || value == "yes" || value == "1" ||
              (value == "auto" && isatty(STDOUT_FILENO) != 0);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (console) {
    touchstream::RatioReporter reporter(color);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}
