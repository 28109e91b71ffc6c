// The customer-value sections of the engine config: aggregates, lateness, rfm, consent, clv,
// satisfaction, value_tiers, loyalty and history (declared in engine/config/config_reader.h).
#include <yaml-cpp/yaml.h>

#include <array>
#include <cmath>
#include <optional>
#include <set>
#include <sstream>

#include "engine/config/config_reader.h"
#include "rules/date_schedule.h"
#include "rules/expression.h"
#include "rules/field_catalog.h"
#include "rules/source.h"

namespace touchstream::engine {

// ---- Windowed aggregates, lateness, RFM, consent ----

// aggregates: {name: "kind(type.property) over 90d [bucket 1d] [limit 64]"}
void ReadAggregates(ConfigReader& r, const YAML::Node& node, state::AnalyticsConfig* analytics,
                    rules::RuleEnvironment* env) {
  std::set<std::string, std::less<>> builtin;
  for (const rules::FieldDef& field : rules::FieldCatalog()) {
    constexpr std::string_view kPrefix = "customer.aggregates.";
    const std::string_view path = field.path;
    if (path.substr(0, kPrefix.size()) == kPrefix && path.find('<') == std::string_view::npos) {
      builtin.insert(std::string(path.substr(kPrefix.size())));
    }
  }
  r.ForEach(
      node, "aggregates", {},
      [&](const std::string& name, const YAML::Node& v, const std::string& full) {
        if (!v.IsScalar()) {
          return r.Fail(v, full, "expected a declaration such as 'sum(purchase.amount) over 90d'");
        }
        if (builtin.count(name)) {
          return r.Fail(v, full, "'" + name + "' is a built-in aggregate; choose another name");
        }
        auto declaration = state::ParseWindowDeclaration(name, v.Scalar());
        if (!declaration.ok()) return r.Fail(v, full, declaration.status().message());
        for (const auto& existing : analytics->windows) {
          if (existing.name == name) return r.Fail(v, full, "declared twice");
        }
        const bool integer = declaration->kind == v1::WindowState::COUNT ||
                             declaration->kind == v1::WindowState::DISTINCT;
        env->aggregates[name] = integer ? rules::ValueType::kInt : rules::ValueType::kDouble;
        analytics->windows.push_back(std::move(*declaration));
      });
}

namespace {

// Four numbers, as RFM breakpoints.
void Breakpoints(ConfigReader& r, const YAML::Node& node, const std::string& key,
                 std::array<double, 4>* out) {
  if (!node.IsSequence() || node.size() != 4) {
    return r.Fail(node, key, "expected a list of 4 non-decreasing numbers, e.g. [7, 30, 90, 180]");
  }
  for (size_t i = 0; i < 4; ++i) {
    double value = 0;
    if (!node[i].IsScalar() || !YAML::convert<double>::decode(node[i], value) ||
        !std::isfinite(value)) {
      return r.Fail(
          node[i], key,
          "expected a number, got '" + (node[i].IsScalar() ? node[i].Scalar() : "") + "'");
    }
    if (i > 0 && value < (*out)[i - 1]) {
      return r.Fail(node[i], key, "breakpoints must be non-decreasing");
    }
    (*out)[i] = value;
  }
}

}  // namespace

namespace {

// rfm.segments: [{champions: "r >= 4 && f >= 4"}, ...] (or a mapping, in document order).
void RfmSegments(ConfigReader& r, const YAML::Node& node, const std::string& key,
                 std::vector<state::RfmSegment>* out) {
  out->clear();
  auto row = [&](const std::string& name, const YAML::Node& condition, const std::string& at) {
    if (!condition.IsScalar()) {
      return r.Fail(condition, at, "expected a condition such as 'r >= 4 && f >= 4'");
    }
    auto segment = state::ParseRfmSegment(name, condition.Scalar());
    if (!segment.ok()) return r.Fail(condition, at, segment.status().message());
    out->push_back(std::move(*segment));
  };
  if (node.IsMap()) {
    r.ForEach(node, key, {},
              [&](const std::string& name, const YAML::Node& v, const std::string& full) {
                row(name, v, full);
              });
    return;
  }
  if (!node.IsSequence()) {
    return r.Fail(node, key, "expected a list of {segment: condition}, first match wins");
  }
  for (size_t i = 0; i < node.size() && !r.failed(); ++i) {
    const YAML::Node item = node[i];
    const std::string at = key + "[" + std::to_string(i) + "]";
    if (!item.IsMap() || item.size() != 1) {
      return r.Fail(item, at,
                    "expected one 'segment: condition' pair, e.g. champions: r >= 4 && f >= 4");
    }
    const auto entry = *item.begin();
    const std::string name = entry.first.as<std::string>();
    row(name, entry.second, at + "." + name);
  }
}

}  // namespace

void ReadRfm(ConfigReader& r, const YAML::Node& node, state::AnalyticsConfig* analytics) {
  analytics->rfm_enabled = true;
  state::RfmConfig& rfm = analytics->rfm;
  r.Read(node, "rfm",
         {{"purchase_event", r.StringInto(&rfm.purchase_event)},
          {"amount_property", r.StringInto(&rfm.amount_property)},
          {"frequency_window", r.DurationInto(false, &rfm.frequency_window_ms)},
          {"monetary_window", r.DurationInto(false, &rfm.monetary_window_ms)},
          {"bucket", r.DurationInto(false, &rfm.bucket_ms)},
          {"refresh", r.DurationInto(false, &rfm.refresh_ms)},
          {"scoring",
           [&](const YAML::Node& v, const std::string& full) {
             std::string scoring;
             r.String(v, full, &scoring);
             if (scoring == "breakpoints") {
               rfm.scoring = state::RfmScoring::kBreakpoints;
             } else if (scoring == "quantiles") {
               rfm.scoring = state::RfmScoring::kQuantiles;
             } else {
               r.Fail(v, full, "expected breakpoints or quantiles");
             }
           }},
          {"recency_days",
           [&](const YAML::Node& v, const std::string& full) {
             Breakpoints(r, v, full, &rfm.breakpoints.recency_days);
           }},
          {"frequency",
           [&](const YAML::Node& v, const std::string& full) {
             Breakpoints(r, v, full, &rfm.breakpoints.frequency);
           }},
          {"monetary",
           [&](const YAML::Node& v, const std::string& full) {
             Breakpoints(r, v, full, &rfm.breakpoints.monetary);
           }},
          {"segments", [&](const YAML::Node& v,
                           const std::string& full) { RfmSegments(r, v, full, &rfm.segments); }},
          {"default_segment", r.StringInto(&rfm.default_segment)},
          {"no_purchase_segment", r.StringInto(&rfm.no_purchase_segment)}});
  if (r.failed()) return;
  // Cross-field checks (windows are whole buckets, ...); the message names the key.
  const Status valid = state::ValidateRfmConfig(rfm);
  if (!valid.ok()) {
    const std::string& message = valid.message();
    const size_t colon = message.find(": ");
    r.Fail(node, colon == std::string::npos ? "rfm" : message.substr(0, colon),
           colon == std::string::npos ? message : message.substr(colon + 2));
  }
}

void ReadConsent(ConfigReader& r, const YAML::Node& node, state::ConsentConfig* consent) {
  r.Read(node, "consent",
         {{"event_type", r.StringInto(&consent->event_type)},
          {"channels", r.StringListInto(&consent->channels)}});
}

namespace {

// A number for clv.*: finite and within [min, max] (exclusive of min when min_exclusive).
void ClvNumber(ConfigReader& r, const YAML::Node& node, const std::string& key, double min,
               bool min_exclusive, double max, double* out) {
  double value = 0;
  if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || !std::isfinite(value)) {
    return r.Fail(node, key,
                  "expected a number, got '" + (node.IsScalar() ? node.Scalar() : "") + "'");
  }
  if (min_exclusive ? value <= min : value < min) {
    std::ostringstream bound;
    bound << min;
    return r.Fail(node, key,
                  (min_exclusive ? "must be greater than " : "must be at least ") + bound.str());
  }
  if (value > max) {
    std::ostringstream bound;
    bound << max;
    return r.Fail(node, key, "must be at most " + bound.str());
  }
  *out = value;
}

}  // namespace

// clv: {bg_nbd: {r, alpha, a, b}, gamma_gamma: {p, q, gamma}, horizon_weeks,
// annual_discount_rate, expected_purchases_days}; every model parameter is required.
void ReadClv(ConfigReader& r, const YAML::Node& node, ClvConfig* clv) {
  clv->enabled = true;
  constexpr double kHuge = 1e12;
  // Reads the parameters of one model, all required; `fields` pairs names with destinations.
  auto read_model = [&](const YAML::Node& model, const std::string& path,
                        const std::vector<std::pair<std::string, double*>>& fields) {
    std::set<std::string> known, seen;
    for (const auto& field : fields) known.insert(field.first);
    r.ForEach(model, path, known,
              [&](const std::string& key, const YAML::Node& v, const std::string& full) {
                for (const auto& field : fields) {
                  if (field.first == key) ClvNumber(r, v, full, 0, true, kHuge, field.second);
                }
                seen.insert(key);
              });
    for (const auto& field : fields) {
      if (!seen.count(field.first)) {
        r.Fail(model, path + "." + field.first,
               "missing (touchstream clv fit estimates it from purchase history)");
      }
    }
  };
  bool has_bg_nbd = false, has_gamma_gamma = false;
  using V = const YAML::Node&;
  using P = const std::string&;
  r.Read(node, "clv",
         {{"bg_nbd",
           [&](V v, P full) {
             has_bg_nbd = true;
             read_model(v, full,
                        {{"r", &clv->bg_nbd.r},
                         {"alpha", &clv->bg_nbd.alpha},
                         {"a", &clv->bg_nbd.a},
                         {"b", &clv->bg_nbd.b}});
           }},
          {"gamma_gamma",
           [&](V v, P full) {
             has_gamma_gamma = true;
             const size_t errors = r.error_count();
             read_model(v, full,
                        {{"p", &clv->gamma_gamma.p},
                         {"q", &clv->gamma_gamma.q},
                         {"gamma", &clv->gamma_gamma.gamma}});
             if (r.error_count() == errors && clv->gamma_gamma.q <= 1) {
               r.Fail(v["q"], full + ".q",
                      "must be greater than 1 (the mean spend is infinite otherwise)");
             }
           }},
          {"horizon_weeks",
           [&](V v, P full) {
             const size_t errors = r.error_count();
             r.Int(v, full, 1, &clv->horizon_weeks);
             if (r.error_count() == errors && clv->horizon_weeks > 1040) {
               r.Fail(v, full, "must be at most 1040 (20 years)");
             }
           }},
          {"annual_discount_rate",
           [&](V v, P full) { ClvNumber(r, v, full, 0, false, 10, &clv->annual_discount_rate); }},
          {"expected_purchases_days", [&](V v, P full) {
             ClvNumber(r, v, full, 0, true, 36500, &clv->expected_purchases_days);
           }}});
  if (!has_bg_nbd) r.Fail(node, "clv.bg_nbd", "missing (required in a clv: section)");
  if (!has_gamma_gamma) r.Fail(node, "clv.gamma_gamma", "missing (required in a clv: section)");
}

// ---- Satisfaction, value tiers, loyalty, history ----

void ReadSatisfaction(ConfigReader& r, const YAML::Node& node, state::SatisfactionConfig* s) {
  r.Read(node, "satisfaction",
         {{"nps_event", r.StringInto(&s->nps_event)},
          {"csat_event", r.StringInto(&s->csat_event)},
          {"ticket_opened_event", r.StringInto(&s->ticket_opened_event)},
          {"ticket_resolved_event", r.StringInto(&s->ticket_resolved_event)},
          {"score_property", r.StringInto(&s->score_property)},
          {"ticket_id_property", r.StringInto(&s->ticket_id_property)},
          {"max_open_tickets", [&](const YAML::Node& v, const std::string& full) {
             const size_t errors = r.error_count();
             r.Int(v, full, 1, &s->max_open_tickets);
             if (r.error_count() == errors && s->max_open_tickets > 1000) {
               r.Fail(v, full, "must be at most 1000");
             }
           }}});
}

namespace {

// [{name: bronze, min: 0}, {name: silver, min: 500}, ...]: names unique, min strictly
// ascending.
template <typename Level>
void Levels(ConfigReader& r, const YAML::Node& node, const std::string& key,
            std::vector<Level>* out) {
  out->clear();
  if (!node.IsSequence() || node.size() == 0) {
    return r.Fail(node, key, "expected a list of {name, min}, e.g. [{name: silver, min: 500}]");
  }
  for (size_t i = 0; i < node.size() && !r.failed(); ++i) {
    const std::string at = key + "[" + std::to_string(i) + "]";
    Level level;
    bool has_name = false, has_min = false;
    r.ForEach(node[i], at, {"name", "min"},
              [&](const std::string& k, const YAML::Node& v, const std::string& full) {
                if (k == "name") {
                  r.String(v, full, &level.name);
                  has_name = !level.name.empty();
                }
                if (k == "min") {
                  if (!v.IsScalar() || !YAML::convert<double>::decode(v, level.min) ||
                      !std::isfinite(level.min)) {
                    return r.Fail(v, full, "expected a number");
                  }
                  has_min = true;
                }
              });
    if (r.failed()) return;
    if (!has_name) return r.Fail(node[i], at + ".name", "missing");
    if (!has_min) return r.Fail(node[i], at + ".min", "missing");
    for (const Level& earlier : *out) {
      if (earlier.name == level.name) return r.Fail(node[i], at + ".name", "used twice");
    }
    if (!out->empty() && level.min <= out->back().min) {
      return r.Fail(node[i], at + ".min", "levels must be in strictly ascending order of min");
    }
    out->push_back(std::move(level));
  }
}

}  // namespace

// value_tiers: {score: "<expression>", tiers: [{name, min}, ...]}; *score_node receives the
// expression's node, compiled by CompileValueScore once the whole file is read.
void ReadValueTiers(ConfigReader& r, const YAML::Node& node, ValueTiersConfig* tiers,
                    std::optional<YAML::Node>* score_node) {
  r.Read(node, "value_tiers",
         {{"score",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &tiers->score_text);
             *score_node = v;
           }},
          {"tiers", [&](const YAML::Node& v, const std::string& full) {
             Levels(r, v, full, &tiers->levels);
           }}});
  if (r.failed()) return;
  if (!*score_node) return r.Fail(node, "value_tiers.score", "missing");
  if (tiers->levels.empty()) return r.Fail(node, "value_tiers.tiers", "missing");
}

// Compiles value_tiers.score with the rules compiler; it must be a number (or dyn, checked
// when evaluated).
void CompileValueScore(ConfigReader& r, const std::string& file_name, const std::string& yaml_text,
                       const YAML::Node& node, const rules::RuleEnvironment& env,
                       ValueTiersConfig* tiers) {
  const rules::SourceFile source(file_name, yaml_text);
  std::vector<rules::Diagnostic> diagnostics;
  tiers->score = rules::CompileScalarExpression(tiers->score_text, source, node.Mark().line,
                                                node.Mark().column, env, &diagnostics);
  for (const rules::Diagnostic& d : diagnostics) {
    r.FailAt(d.line - 1, d.column - 1, "value_tiers.score", d.message);
  }
  if (!diagnostics.empty()) return;
  const rules::ValueType type = tiers->score->type;
  if (type != rules::ValueType::kInt && type != rules::ValueType::kDouble &&
      type != rules::ValueType::kDyn) {
    tiers->score = nullptr;
    return r.Fail(node, "value_tiers.score",
                  "expected a number, but '" + tiers->score_text + "' is " +
                      std::string(rules::ValueTypeName(type)));
  }
}

// loyalty: {points_expire_after: 365d, tiers: {basis: points|<aggregate>, levels: [...]}}
void ReadLoyalty(ConfigReader& r, const YAML::Node& node, state::LoyaltyConfig* loyalty,
                 std::optional<YAML::Node>* basis_node) {
  r.Read(node, "loyalty",
         {{"points_expire_after", r.DurationInto(true, &loyalty->points_expire_after_ms)},
          {"tiers", [&](const YAML::Node& v, const std::string& full) {
             const size_t errors = r.error_count();
             r.Read(v, full,
                    {{"basis",
                      [&](const YAML::Node& t, const std::string& at) {
                        r.String(t, at, &loyalty->tier_basis);
                        *basis_node = t;
                      }},
                     {"levels", [&](const YAML::Node& t, const std::string& at) {
                        Levels(r, t, at, &loyalty->levels);
                      }}});
             if (r.error_count() != errors) return;
             if (!*basis_node)
               return r.Fail(v, full + ".basis", "missing (points or an aggregate)");
             if (loyalty->levels.empty()) return r.Fail(v, full + ".levels", "missing");
           }}});
}

// The loyalty tier basis, once the aggregates are known: points or a declared sum/count.
void CheckLoyaltyBasis(ConfigReader& r, const YAML::Node& node,
                       const state::AnalyticsConfig& analytics, const std::string& basis) {
  if (basis == "points") return;
  std::string declared;
  for (const state::WindowDeclaration& d : analytics.windows) {
    if (d.name == basis) return;
    declared += ", " + d.name;
  }
  r.Fail(node, "loyalty.tiers.basis",
         "expected points or a declared aggregate (aggregates:), got '" + basis +
             "'; expected one of: points" + declared);
}

void ReadHistory(ConfigReader& r, const YAML::Node& node, int64_t* size) {
  r.ForEach(node, "history", {"size"},
            [&](const std::string&, const YAML::Node& v, const std::string& full) {
              r.Int(v, full, 0, size);
              if (!r.failed() && *size > state::kMaxHistorySize) {
                r.Fail(v, full, "must be at most " + std::to_string(state::kMaxHistorySize));
              }
            });
}

}  // namespace touchstream::engine
