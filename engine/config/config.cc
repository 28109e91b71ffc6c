#include "engine/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include "engine/config/config_reader.h"
#include "engine/runtime/partitioner.h"
#include "rules/date_schedule.h"
#include "rules/expression.h"
#include "rules/field_catalog.h"
#include "rules/source.h"
#include "rules/zone_cache.h"

namespace touchstream::engine {

namespace {

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute() || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void ReadKafka(ConfigReader& r, const YAML::Node& node, KafkaConfig* kafka) {
  r.Read(node, "kafka",
         {{"bootstrap_servers",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &kafka->bootstrap_servers);
           }},
          {"group_id", [&](const YAML::Node& v,
                           const std::string& full) { r.String(v, full, &kafka->group_id); }},
          {"input_topics",
           [&](const YAML::Node& v, const std::string& full) {
             r.StringList(v, full, &kafka->input_topics);
           }},
          {"embedded_partitions",
           [&](const YAML::Node& v, const std::string& full) {
             int64_t n = kafka->embedded_partitions;
             r.Int(v, full, 1, &n);
             kafka->embedded_partitions = static_cast<int>(n);
           }},
          {"partitioner",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &kafka->partitioner);
             if (!r.failed() && !ParsePartitioner(kafka->partitioner)) {
               r.Fail(v, full, "expected consistent_random or murmur2_random");
             }
           }},
          {"consumer",
           [&](const YAML::Node& v, const std::string& full) {
             r.StringMap(v, full, &kafka->consumer_properties);
           }},
          {"producer", [&](const YAML::Node& v, const std::string& full) {
             r.StringMap(v, full, &kafka->producer_properties);
           }}});
}

// output.topic_formats: each key must be an output topic the section names (read after the
// rest of `output`, whatever the key order), each value json or protobuf.
void ReadTopicFormats(ConfigReader& r, const YAML::Node& node, const std::string& path,
                      OutputConfig* out) {
  r.StringMap(node, path, &out->topic_formats);
  if (r.failed()) return;
  for (const auto& entry : node) {
    const std::string topic = entry.first.as<std::string>();
    const std::string& format = out->topic_formats[topic];
    if (format != "json" && format != "protobuf") {
      return r.Fail(entry.second, path + "." + topic, "expected json or protobuf");
    }
  }
}

// Every topic_formats key names an output topic.
void CheckTopicFormats(ConfigReader& r, const YAML::Node& node, const OutputConfig& out) {
  std::set<std::string> topics = {out.default_topic, out.alerts_topic, out.decisions_topic};
  for (const auto& [channel, topic] : out.channel_topics) topics.insert(topic);
  topics.erase("");
  for (const auto& [topic, format] : out.topic_formats) {
    if (topics.count(topic)) continue;
    std::string list;
    for (const auto& t : topics) list += (list.empty() ? "" : ", ") + t;
    return r.Fail(node["topic_formats"][topic], "output.topic_formats." + topic,
                  "not an output topic (expected one of: " + list + ")");
  }
}

void ReadOutput(ConfigReader& r, const YAML::Node& node, OutputConfig* out) {
  r.Read(node, "output",
         {{"channel_topics",
           [&](const YAML::Node& v, const std::string& full) {
             r.StringMap(v, full, &out->channel_topics);
           }},
          {"default_topic", r.StringInto(&out->default_topic)},
          {"alerts_topic", r.StringInto(&out->alerts_topic)},
          {"decisions_topic", r.StringInto(&out->decisions_topic)},
          {"dead_letter_topic", r.StringInto(&out->dead_letter_topic)},
          {"actions_dead_letter_topic", r.StringInto(&out->actions_dead_letter_topic)},
          {"topic_hold_max_messages", r.IntInto(0, &out->topic_hold_max_messages)},
          {"format",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &out->format);
             if (out->format != "json" && out->format != "protobuf") {
               r.Fail(v, full, "expected json or protobuf");
             }
           }},
          {"topic_formats", [&](const YAML::Node& v, const std::string& full) {
             ReadTopicFormats(r, v, full, out);
           }}});
}

void ReadState(ConfigReader& r, const YAML::Node& node, StateConfig* state) {
  r.Read(node, "state",
         {{"dir",
           [&](const YAML::Node& v, const std::string& full) { r.String(v, full, &state->dir); }},
          {"block_cache_mb",
           [&](const YAML::Node& v, const std::string& full) {
             int64_t mb = state->block_cache_bytes >> 20;
             r.Int(v, full, 1, &mb);
             state->block_cache_bytes = mb << 20;
           }},
          {"cache_customers", r.IntInto(1, &state->cache_customers)},
          {"retention", r.DurationInto(true, &state->retention_ms)},
          {"retention_sweep_batch", r.IntInto(1, &state->retention_sweep_batch)},
          {"retention_sweep_interval_ms", r.IntInto(1, &state->retention_sweep_interval_ms)},
          {"erase_event_type",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &state->erase_event_type);
           }},
          {"sync_commits", [&](const YAML::Node& v,
                               const std::string& full) { r.Bool(v, full, &state->sync_commits); }},
          {"changelog", [&](const YAML::Node& v,
                            const std::string& full) { r.Bool(v, full, &state->changelog); }},
          {"changelog_topic", [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &state->changelog_topic);
           }}});
}

void ReadProcessing(ConfigReader& r, const YAML::Node& node, ProcessingConfig* p) {
  r.Read(node, "processing",
         {{"input_format",
           [&](const YAML::Node& v, const std::string& full) {
             r.String(v, full, &p->input_format);
             if (p->input_format != "json" && p->input_format != "protobuf" &&
                 p->input_format != "auto") {
               r.Fail(v, full, "expected json, protobuf or auto");
             }
           }},
          {"max_event_bytes", r.IntInto(16, &p->max_event_bytes)},
          {"commit_interval_ms", r.IntInto(1, &p->commit_interval_ms)},
          {"commit_max_events", r.IntInto(1, &p->commit_max_events)},
          {"max_in_flight", r.IntInto(1, &p->max_in_flight)},
          {"max_raise_depth", r.IntInto(0, &p->max_raise_depth)},
          {"max_timers_per_customer", r.IntInto(1, &p->max_timers_per_customer)},
          {"timer_interval_ms", r.IntInto(1, &p->timer_interval_ms)},
          {"timer_batch", r.IntInto(1, &p->timer_batch)},
          {"timer_round_ms", r.IntInto(1, &p->timer_round_ms)},
          {"store_failure_exit_ms", r.IntInto(0, &p->store_failure_exit_ms)},
          {"max_customer_id_bytes", r.IntInto(1, &p->max_customer_id_bytes)},
          {"min_event_time",
           [&](const YAML::Node& v, const std::string& full) {
             r.Timestamp(v, full, &p->min_event_time_ms);
           }},
          {"max_event_time",
           [&](const YAML::Node& v, const std::string& full) {
             r.Timestamp(v, full, &p->max_event_time_ms);
           }},
          {"rules_watch_interval_ms", r.IntInto(0, &p->rules_watch_interval_ms)}});
}

void ReadEvents(ConfigReader& r, const YAML::Node& node, rules::RuleEnvironment* env) {
  r.ForEach(node, "events", {},
            [&](const std::string& type, const YAML::Node& props, const std::string& path) {
              auto& declared = env->event_properties[type];
              r.ForEach(props, path, {},
                        [&](const std::string& name, const YAML::Node& v, const std::string& full) {
                          if (!v.IsScalar()) return r.Fail(v, full, "expected a type name");
                          auto type_or = rules::ParseValueType(v.Scalar());
                          if (!type_or.ok()) return r.Fail(v, full, type_or.status().message());
                          declared[name] = *type_or;
                        });
            });
}

// lifecycle.stages: [{name, when}, ...], the last without `when`; *when_nodes receives each
// condition's node, compiled by CompileStageConditions once the whole file is read.
void ReadStages(ConfigReader& r, const YAML::Node& node, LifecycleStagesConfig* config,
                std::vector<std::optional<YAML::Node>>* when_nodes) {
  if (!node.IsSequence() || node.size() == 0) {
    return r.Fail(node, "lifecycle.stages",
                  "expected a list of {name, when}, e.g. [{name: prospect, when: \"...\"}, "
                  "{name: active}]");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < node.size() && !r.failed(); ++i) {
    const std::string at = "lifecycle.stages[" + std::to_string(i) + "]";
    LifecycleStage stage;
    std::optional<YAML::Node> when;
    r.ForEach(node[i], at, {"name", "when"},
              [&](const std::string& k, const YAML::Node& v, const std::string& full) {
                if (k == "name") r.String(v, full, &stage.name);
                if (k == "when") {
                  r.String(v, full, &stage.when_text);
                  when = v;
                }
              });
    if (r.failed()) return;
    if (!node[i].IsMap()) return r.Fail(node[i], at, "expected a mapping {name, when}");
    const bool identifier =
        !stage.name.empty() && !std::isdigit(static_cast<unsigned char>(stage.name[0])) &&
        std::all_of(stage.name.begin(), stage.name.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!identifier) {
      return r.Fail(node[i], at + ".name",
                    "expected an identifier (letters, digits, _), got '" + stage.name + "'");
    }
    if (stage.name == "any" || stage.name == "none" || !names.insert(stage.name).second) {
      return r.Fail(node[i], at + ".name",
                    "'" + stage.name +
                        (stage.name == "any" || stage.name == "none" ? "' is reserved"
                                                                     : "' is already a stage"));
    }
    const bool last = i + 1 == node.size();
    if (last && when) {
      return r.Fail(*when, at + ".when", "the last stage must have no condition (it always holds)");
    }
    if (!last && !when) {
      return r.Fail(node[i], at + ".when", "missing (only the last stage has no condition)");
    }
    stage.rule.id = "lifecycle." + stage.name;
    stage.rule.file = at + ".when";
    config->stages.push_back(std::move(stage));
    when_nodes->push_back(when);
  }
}

void ReadLifecycle(ConfigReader& r, const YAML::Node& node, EngineConfig* config,
                   std::vector<std::optional<YAML::Node>>* when_nodes) {
  state::LifecycleConfig* lifecycle = &config->lifecycle;
  LifecycleStagesConfig* stages = &config->lifecycle_stages;
  std::string threshold_key;
  bool has_reevaluate = false;
  // A threshold key of the built-in stages: read, and remembered to refuse it with `stages`.
  auto threshold = [&](int64_t* out) {
    return [&r, &threshold_key, out](const YAML::Node& v, const std::string& full) {
      r.Duration(v, full, false, out);
      threshold_key = full;
    };
  };
  r.Read(node, "lifecycle",
         {{"new_for", threshold(&lifecycle->new_for_ms)},
          {"at_risk_after", threshold(&lifecycle->at_risk_after_ms)},
          {"churned_after", threshold(&lifecycle->churned_after_ms)},
          {"won_back_for", threshold(&lifecycle->won_back_for_ms)},
          {"loyal_purchases",
           [&](const YAML::Node& v, const std::string& full) {
             r.Int(v, full, 1, &lifecycle->loyal_purchases);
             threshold_key = full;
           }},
          {"stages",
           [&](const YAML::Node& v, const std::string&) { ReadStages(r, v, stages, when_nodes); }},
          {"reevaluate_every", [&](const YAML::Node& v, const std::string& full) {
             r.Duration(v, full, true, &stages->reevaluate_every_ms);
             has_reevaluate = true;
           }}});
  if (r.failed()) return;
  if (!stages->stages.empty() && !threshold_key.empty()) {
    return r.Fail(node, threshold_key, "applies only without lifecycle.stages");
  }
  if (stages->stages.empty() && has_reevaluate) {
    return r.Fail(node, "lifecycle.reevaluate_every", "applies only with lifecycle.stages");
  }
  if (lifecycle->churned_after_ms <= lifecycle->at_risk_after_ms) {
    r.Fail(node, "lifecycle.churned_after", "must be longer than lifecycle.at_risk_after");
  }
}

// Compiles the lifecycle.stages conditions with the rules compiler; each must be a bool (or
// dyn, checked when evaluated).
void CompileStageConditions(ConfigReader& r, const std::string& file_name,
                            const std::string& yaml_text,
                            const std::vector<std::optional<YAML::Node>>& nodes,
                            const rules::RuleEnvironment& env, LifecycleStagesConfig* config) {
  const rules::SourceFile source(file_name, yaml_text);
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i]) continue;  // the last stage
    const YAML::Node& node = *nodes[i];
    LifecycleStage& stage = config->stages[i];
    std::vector<rules::Diagnostic> diagnostics;
    stage.rule.condition = rules::CompileScalarExpression(stage.when_text, source, node.Mark().line,
                                                          node.Mark().column, env, &diagnostics);
    for (const rules::Diagnostic& d : diagnostics) {
      r.FailAt(d.line - 1, d.column - 1, stage.rule.file, d.message);
    }
    if (!diagnostics.empty()) continue;
    const rules::ValueType type = stage.rule.condition->type;
    if (type != rules::ValueType::kBool && type != rules::ValueType::kDyn) {
      r.Fail(node, stage.rule.file,
             "expected a bool condition, but '" + stage.when_text + "' is " +
                 std::string(rules::ValueTypeName(type)));
    }
  }
}

// calendars: {name: [YYYY-MM-DD, ...]}
void ReadCalendars(ConfigReader& r, const YAML::Node& node, rules::RuleEnvironment* env) {
  r.ForEach(node, "calendars", {},
            [&](const std::string& name, const YAML::Node& dates, const std::string& path) {
              std::vector<std::string> texts;
              r.StringList(dates, path, &texts);
              std::vector<int32_t>& days = env->calendars[name];
              for (size_t i = 0; i < texts.size() && !r.failed(); ++i) {
                const std::optional<int32_t> day = rules::ParseIsoDate(texts[i]);
                if (!day) {
                  const YAML::Node item = dates.IsSequence() ? dates[i] : dates;
                  return r.Fail(item, path, "expected a date YYYY-MM-DD, got '" + texts[i] + "'");
                }
                days.push_back(*day);
              }
              std::sort(days.begin(), days.end());
              days.erase(std::unique(days.begin(), days.end()), days.end());
            });
}

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

}  // namespace

const std::string& EngineConfig::TopicFor(const std::string& channel,
                                          const std::string& kind) const {
  if (kind == "alert" && !output.alerts_topic.empty()) return output.alerts_topic;
  auto it = output.channel_topics.find(channel);
  return it == output.channel_topics.end() ? output.default_topic : it->second;
}

connectors::Format EngineConfig::OutputFormatFor(const std::string& topic) const {
  auto it = output.topic_formats.find(topic);
  const std::string& name = it == output.topic_formats.end() ? output.format : it->second;
  return name == "json" ? connectors::Format::kJson : connectors::Format::kProtobuf;
}

Result<EngineConfig> LoadConfigFromString(const std::string& yaml_text,
                                          const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": error: " + e.msg);
  }
  EngineConfig config;
  config.source_file = file_name;
  const std::string base_dir = std::filesystem::path(file_name).parent_path().string();
  ConfigReader r(file_name);
  // Set by sections checked once the whole file is read.
  std::optional<YAML::Node> value_score_node, loyalty_basis_node;
  std::vector<std::optional<YAML::Node>> stage_when_nodes;
  try {
    using V = const YAML::Node&;
    using P = const std::string&;
    auto address_into = [&](std::string* field) {
      return [&r, field](V v, P full) {
        r.Read(v, full, {{"address", [&r, field](V a, P f) { r.String(a, f, field); }}});
      };
    };
    r.Read(root, "",
           {{"kafka", [&](V v, P) { ReadKafka(r, v, &config.kafka); }},
            {"output",
             [&](V v, P) {
               ReadOutput(r, v, &config.output);
               if (!r.failed()) CheckTopicFormats(r, v, config.output);
             }},
            {"state", [&](V v, P) { ReadState(r, v, &config.state); }},
            {"processing", [&](V v, P) { ReadProcessing(r, v, &config.processing); }},
            {"rules", r.StringListInto(&config.rules_paths)},
            {"events", [&](V v, P) { ReadEvents(r, v, &config.rule_environment); }},
            {"metrics", address_into(&config.metrics_address)},
            {"lifecycle", [&](V v, P) { ReadLifecycle(r, v, &config, &stage_when_nodes); }},
            {"calendars", [&](V v, P) { ReadCalendars(r, v, &config.rule_environment); }},
            {"aggregates",
             [&](V v, P) { ReadAggregates(r, v, &config.analytics, &config.rule_environment); }},
            {"lateness", r.DurationInto(true, &config.analytics.lateness_ms)},
            {"rfm", [&](V v, P) { ReadRfm(r, v, &config.analytics); }},
            {"consent", [&](V v, P) { ReadConsent(r, v, &config.analytics.consent); }},
            {"clv", [&](V v, P) { ReadClv(r, v, &config.clv); }},
            {"admin", address_into(&config.admin.address)},
            {"satisfaction", [&](V v, P) { ReadSatisfaction(r, v, &config.satisfaction); }},
            {"value_tiers",
             [&](V v, P) { ReadValueTiers(r, v, &config.value_tiers, &value_score_node); }},
            {"loyalty", [&](V v, P) { ReadLoyalty(r, v, &config.loyalty, &loyalty_basis_node); }},
            {"history", [&](V v, P) { ReadHistory(r, v, &config.history_size); }},
            {"policy", [&](V v, P) { ReadPolicy(r, v, &config.policy); }}},
           /*sections=*/true);
    // Sections that refer to others (declared aggregates), whatever the order in the file;
    // checked when every section read without error.
    const bool sections_ok = !r.any_failed();
    r.BeginSection();
    if (sections_ok && value_score_node) {
      CompileValueScore(r, file_name, yaml_text, *value_score_node, config.rule_environment,
                        &config.value_tiers);
    }
    if (sections_ok && !config.lifecycle_stages.stages.empty()) {
      CompileStageConditions(r, file_name, yaml_text, stage_when_nodes, config.rule_environment,
                             &config.lifecycle_stages);
      for (const LifecycleStage& stage : config.lifecycle_stages.stages) {
        config.rule_environment.lifecycle_stages.push_back(stage.name);
      }
    }
    if (sections_ok && loyalty_basis_node) {
      CheckLoyaltyBasis(r, *loyalty_basis_node, config.analytics, config.loyalty.tier_basis);
    }
  } catch (const YAML::Exception& e) {
    r.FailAt(e.mark.line, e.mark.column, "", e.msg);
    return r.status();
  }
  if (r.any_failed()) return r.status();
  if (Status analytics = state::ValidateAnalyticsConfig(config.analytics); !analytics.ok()) {
    return Status::InvalidArgument(file_name + ": " + analytics.message());
  }
  config.state.dir = ResolvePath(base_dir, config.state.dir);
  for (auto& p : config.rules_paths) p = ResolvePath(base_dir, p);
  return config;
}

Result<EngineConfig> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return LoadConfigFromString(text.str(), path);
}

}  // namespace touchstream::engine
