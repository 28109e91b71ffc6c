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
#include "rules/compiler.h"
#include "rules/date_schedule.h"
#include "rules/field_catalog.h"
#include "rules/policy_parser.h"
#include "rules/source.h"
#include "rules/zone_cache.h"

namespace touchstream::engine {

namespace {

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute() || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void ReadKafka(ConfigReader& r, const YAML::Node& node, KafkaConfig* kafka) {
  r.ForEach(node, "kafka",
            {"bootstrap_servers", "group_id", "input_topics", "embedded_partitions", "partitioner",
             "consumer", "producer"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "bootstrap_servers") r.String(v, full, &kafka->bootstrap_servers);
              if (key == "group_id") r.String(v, full, &kafka->group_id);
              if (key == "input_topics") r.StringList(v, full, &kafka->input_topics);
              if (key == "embedded_partitions") {
                int64_t n = 0;
                r.Int(v, full, 1, &n);
                kafka->embedded_partitions = static_cast<int>(n);
              }
              if (key == "partitioner") {
                r.String(v, full, &kafka->partitioner);
                if (!r.failed() && !ParsePartitioner(kafka->partitioner)) {
                  r.Fail(v, full, "expected consistent_random or murmur2_random");
                }
              }
              if (key == "consumer") r.StringMap(v, full, &kafka->consumer_properties);
              if (key == "producer") r.StringMap(v, full, &kafka->producer_properties);
            });
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
  r.ForEach(node, "output",
            {"channel_topics", "default_topic", "alerts_topic", "decisions_topic",
             "dead_letter_topic", "format", "topic_formats"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "channel_topics") r.StringMap(v, full, &out->channel_topics);
              if (key == "default_topic") r.String(v, full, &out->default_topic);
              if (key == "alerts_topic") r.String(v, full, &out->alerts_topic);
              if (key == "decisions_topic") r.String(v, full, &out->decisions_topic);
              if (key == "dead_letter_topic") r.String(v, full, &out->dead_letter_topic);
              if (key == "format") {
                r.String(v, full, &out->format);
                if (out->format != "json" && out->format != "protobuf")
                  r.Fail(v, full, "expected json or protobuf");
              }
              if (key == "topic_formats") ReadTopicFormats(r, v, full, out);
            });
}

void ReadState(ConfigReader& r, const YAML::Node& node, StateConfig* state) {
  r.ForEach(node, "state",
            {"dir", "block_cache_mb", "cache_customers", "retention", "retention_sweep_batch",
             "retention_sweep_interval_ms", "erase_event_type", "changelog", "changelog_topic"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "dir") r.String(v, full, &state->dir);
              if (key == "block_cache_mb") {
                int64_t mb = 0;
                r.Int(v, full, 1, &mb);
                state->block_cache_bytes = mb << 20;
              }
              if (key == "cache_customers") r.Int(v, full, 1, &state->cache_customers);
              if (key == "retention") r.Duration(v, full, true, &state->retention_ms);
              if (key == "retention_sweep_batch") r.Int(v, full, 1, &state->retention_sweep_batch);
              if (key == "retention_sweep_interval_ms") {
                r.Int(v, full, 1, &state->retention_sweep_interval_ms);
              }
              if (key == "erase_event_type") r.String(v, full, &state->erase_event_type);
              if (key == "changelog") {
                std::string text;
                r.String(v, full, &text);
                if (text != "true" && text != "false") {
                  if (!r.failed()) r.Fail(v, full, "expected true or false");
                } else {
                  state->changelog = text == "true";
                }
              }
              if (key == "changelog_topic") r.String(v, full, &state->changelog_topic);
            });
}

void ReadProcessing(ConfigReader& r, const YAML::Node& node, ProcessingConfig* p) {
  r.ForEach(node, "processing",
            {"input_format", "max_event_bytes", "commit_interval_ms", "commit_max_events",
             "max_in_flight", "max_raise_depth", "max_timers_per_customer", "timer_interval_ms",
             "timer_batch", "rules_watch_interval_ms"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "input_format") {
                r.String(v, full, &p->input_format);
                if (p->input_format != "json" && p->input_format != "protobuf" &&
                    p->input_format != "auto") {
                  r.Fail(v, full, "expected json, protobuf or auto");
                }
              }
              if (key == "max_event_bytes") r.Int(v, full, 16, &p->max_event_bytes);
              if (key == "commit_interval_ms") r.Int(v, full, 1, &p->commit_interval_ms);
              if (key == "commit_max_events") r.Int(v, full, 1, &p->commit_max_events);
              if (key == "max_in_flight") r.Int(v, full, 1, &p->max_in_flight);
              if (key == "max_raise_depth") r.Int(v, full, 0, &p->max_raise_depth);
              if (key == "max_timers_per_customer") r.Int(v, full, 1, &p->max_timers_per_customer);
              if (key == "timer_interval_ms") r.Int(v, full, 1, &p->timer_interval_ms);
              if (key == "timer_batch") r.Int(v, full, 1, &p->timer_batch);
              if (key == "rules_watch_interval_ms") r.Int(v, full, 0, &p->rules_watch_interval_ms);
            });
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
  r.ForEach(node, "lifecycle",
            {"new_for", "at_risk_after", "churned_after", "won_back_for", "loyal_purchases",
             "stages", "reevaluate_every"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "new_for") r.Duration(v, full, false, &lifecycle->new_for_ms);
              if (key == "at_risk_after") r.Duration(v, full, false, &lifecycle->at_risk_after_ms);
              if (key == "churned_after") r.Duration(v, full, false, &lifecycle->churned_after_ms);
              if (key == "won_back_for") r.Duration(v, full, false, &lifecycle->won_back_for_ms);
              if (key == "loyal_purchases") r.Int(v, full, 1, &lifecycle->loyal_purchases);
              if (key == "stages") ReadStages(r, v, stages, when_nodes);
              if (key == "reevaluate_every") {
                r.Duration(v, full, true, &stages->reevaluate_every_ms);
                has_reevaluate = true;
              }
              if (key != "stages" && key != "reevaluate_every") threshold_key = full;
            });
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
  rules::CheckScope scope;
  scope.event_types = {"*"};
  for (size_t i = 0; i < nodes.size() && !r.failed(); ++i) {
    if (!nodes[i]) continue;  // the last stage
    const YAML::Node& node = *nodes[i];
    LifecycleStage& stage = config->stages[i];
    std::vector<rules::Diagnostic> diagnostics;
    rules::DiagnosticSink sink(&source, &diagnostics);
    const rules::ExprLocation location = rules::ExprLocation::ForScalar(
        source, node.Mark().line, node.Mark().column, stage.when_text);
    stage.rule.condition = rules::CompileExpression(stage.when_text, location, scope, env, &sink);
    if (!diagnostics.empty()) {
      const rules::Diagnostic& d = diagnostics.front();
      return r.Fail(node, stage.rule.file, "column " + std::to_string(d.column) + ": " + d.message);
    }
    const rules::ValueType type = stage.rule.condition->type;
    if (type != rules::ValueType::kBool && type != rules::ValueType::kDyn) {
      return r.Fail(node, stage.rule.file,
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
  r.ForEach(node, "rfm",
            {"purchase_event", "amount_property", "frequency_window", "monetary_window", "bucket",
             "scoring", "refresh", "recency_days", "frequency", "monetary", "segments",
             "default_segment", "no_purchase_segment"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "purchase_event") r.String(v, full, &rfm.purchase_event);
              if (key == "amount_property") r.String(v, full, &rfm.amount_property);
              if (key == "frequency_window") {
                r.Duration(v, full, false, &rfm.frequency_window_ms);
              }
              if (key == "monetary_window") {
                r.Duration(v, full, false, &rfm.monetary_window_ms);
              }
              if (key == "bucket") r.Duration(v, full, false, &rfm.bucket_ms);
              if (key == "refresh") r.Duration(v, full, false, &rfm.refresh_ms);
              if (key == "scoring") {
                std::string scoring;
                r.String(v, full, &scoring);
                if (scoring == "breakpoints") {
                  rfm.scoring = state::RfmScoring::kBreakpoints;
                } else if (scoring == "quantiles") {
                  rfm.scoring = state::RfmScoring::kQuantiles;
                } else {
                  r.Fail(v, full, "expected breakpoints or quantiles");
                }
              }
              if (key == "recency_days") Breakpoints(r, v, full, &rfm.breakpoints.recency_days);
              if (key == "frequency") Breakpoints(r, v, full, &rfm.breakpoints.frequency);
              if (key == "monetary") Breakpoints(r, v, full, &rfm.breakpoints.monetary);
              if (key == "segments") RfmSegments(r, v, full, &rfm.segments);
              if (key == "default_segment") r.String(v, full, &rfm.default_segment);
              if (key == "no_purchase_segment") r.String(v, full, &rfm.no_purchase_segment);
            });
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
  r.ForEach(node, "consent", {"event_type", "channels"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "event_type") r.String(v, full, &consent->event_type);
              if (key == "channels") r.StringList(v, full, &consent->channels);
            });
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
  r.ForEach(
      node, "clv",
      {"bg_nbd", "gamma_gamma", "horizon_weeks", "annual_discount_rate", "expected_purchases_days"},
      [&](const std::string& key, const YAML::Node& v, const std::string& full) {
        if (key == "bg_nbd") {
          has_bg_nbd = true;
          read_model(v, full,
                     {{"r", &clv->bg_nbd.r},
                      {"alpha", &clv->bg_nbd.alpha},
                      {"a", &clv->bg_nbd.a},
                      {"b", &clv->bg_nbd.b}});
        }
        if (key == "gamma_gamma") {
          has_gamma_gamma = true;
          read_model(v, full,
                     {{"p", &clv->gamma_gamma.p},
                      {"q", &clv->gamma_gamma.q},
                      {"gamma", &clv->gamma_gamma.gamma}});
          if (!r.failed() && clv->gamma_gamma.q <= 1) {
            r.Fail(v["q"], full + ".q",
                   "must be greater than 1 (the mean spend is infinite otherwise)");
          }
        }
        if (key == "horizon_weeks") r.Int(v, full, 1, &clv->horizon_weeks);
        if (!r.failed() && key == "horizon_weeks" && clv->horizon_weeks > 1040) {
          r.Fail(v, full, "must be at most 1040 (20 years)");
        }
        if (key == "annual_discount_rate") {
          ClvNumber(r, v, full, 0, false, 10, &clv->annual_discount_rate);
        }
        if (key == "expected_purchases_days") {
          ClvNumber(r, v, full, 0, true, 36500, &clv->expected_purchases_days);
        }
      });
  if (!has_bg_nbd) r.Fail(node, "clv.bg_nbd", "missing (required in a clv: section)");
  if (!has_gamma_gamma) r.Fail(node, "clv.gamma_gamma", "missing (required in a clv: section)");
}

// ---- Satisfaction, value tiers, loyalty, history ----

void ReadSatisfaction(ConfigReader& r, const YAML::Node& node, state::SatisfactionConfig* s) {
  r.ForEach(node, "satisfaction",
            {"nps_event", "csat_event", "ticket_opened_event", "ticket_resolved_event",
             "score_property", "ticket_id_property", "max_open_tickets"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "nps_event") r.String(v, full, &s->nps_event);
              if (key == "csat_event") r.String(v, full, &s->csat_event);
              if (key == "ticket_opened_event") r.String(v, full, &s->ticket_opened_event);
              if (key == "ticket_resolved_event") r.String(v, full, &s->ticket_resolved_event);
              if (key == "score_property") r.String(v, full, &s->score_property);
              if (key == "ticket_id_property") r.String(v, full, &s->ticket_id_property);
              if (key == "max_open_tickets") r.Int(v, full, 1, &s->max_open_tickets);
              if (!r.failed() && key == "max_open_tickets" && s->max_open_tickets > 1000) {
                r.Fail(v, full, "must be at most 1000");
              }
            });
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
  r.ForEach(node, "value_tiers", {"score", "tiers"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "score") {
                r.String(v, full, &tiers->score_text);
                *score_node = v;
              }
              if (key == "tiers") Levels(r, v, full, &tiers->levels);
            });
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
  rules::DiagnosticSink sink(&source, &diagnostics);
  const rules::ExprLocation location = rules::ExprLocation::ForScalar(
      source, node.Mark().line, node.Mark().column, tiers->score_text);
  rules::CheckScope scope;
  scope.event_types = {"*"};
  tiers->score = rules::CompileExpression(tiers->score_text, location, scope, env, &sink);
  if (!diagnostics.empty()) {
    const rules::Diagnostic& d = diagnostics.front();
    return r.Fail(node, "value_tiers.score",
                  "column " + std::to_string(d.column) + ": " + d.message);
  }
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
  r.ForEach(node, "loyalty", {"points_expire_after", "tiers"},
            [&](const std::string& key, const YAML::Node& v, const std::string& full) {
              if (key == "points_expire_after") {
                r.Duration(v, full, true, &loyalty->points_expire_after_ms);
              }
              if (key != "tiers") return;
              r.ForEach(v, full, {"basis", "levels"},
                        [&](const std::string& k, const YAML::Node& t, const std::string& at) {
                          if (k == "basis") {
                            r.String(t, at, &loyalty->tier_basis);
                            *basis_node = t;
                          }
                          if (k == "levels") Levels(r, t, at, &loyalty->levels);
                        });
              if (r.failed()) return;
              if (!*basis_node)
                return r.Fail(v, full + ".basis", "missing (points or an aggregate)");
              if (loyalty->levels.empty()) return r.Fail(v, full + ".levels", "missing");
            });
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
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  EngineConfig config;
  config.source_file = file_name;
  const std::string base_dir = std::filesystem::path(file_name).parent_path().string();
  ConfigReader r(file_name);
  // Set by sections checked once the whole file is read.
  std::optional<YAML::Node> value_score_node, loyalty_basis_node;
  std::vector<std::optional<YAML::Node>> stage_when_nodes;
  try {
    r.ForEach(root, "", {"kafka",        "output",      "state",     "processing", "rules",
                         "events",       "metrics",     "lifecycle", "calendars",  "aggregates",
                         "lateness",     "rfm",         "consent",   "clv",        "admin",
                         "satisfaction", "value_tiers", "loyalty",   "history",    "policy"},
              [&](const std::string& key, const YAML::Node& v, const std::string& full) {
                if (key == "kafka") ReadKafka(r, v, &config.kafka);
                if (key == "output") ReadOutput(r, v, &config.output);
                if (key == "output" && !r.failed()) CheckTopicFormats(r, v, config.output);
                if (key == "state") ReadState(r, v, &config.state);
                if (key == "processing") ReadProcessing(r, v, &config.processing);
                if (key == "rules") r.StringList(v, full, &config.rules_paths);
                if (key == "events") ReadEvents(r, v, &config.rule_environment);
                if (key == "aggregates") {
                  ReadAggregates(r, v, &config.analytics, &config.rule_environment);
                }
                if (key == "lateness") {
                  r.Duration(v, full, true, &config.analytics.lateness_ms);
                }
                if (key == "rfm") ReadRfm(r, v, &config.analytics);
                if (key == "consent") ReadConsent(r, v, &config.analytics.consent);
                if (key == "clv") ReadClv(r, v, &config.clv);
                if (key == "satisfaction") ReadSatisfaction(r, v, &config.satisfaction);
                if (key == "value_tiers") {
                  ReadValueTiers(r, v, &config.value_tiers, &value_score_node);
                }
                if (key == "loyalty") ReadLoyalty(r, v, &config.loyalty, &loyalty_basis_node);
                if (key == "history") ReadHistory(r, v, &config.history_size);
                if (key == "policy") ReadPolicy(r, v, &config.policy);
                if (key == "lifecycle") ReadLifecycle(r, v, &config, &stage_when_nodes);
                if (key == "calendars") ReadCalendars(r, v, &config.rule_environment);
                if (key == "admin") {
                  r.ForEach(v, full, {"address"},
                            [&](const std::string&, const YAML::Node& a, const std::string& f) {
                              r.String(a, f, &config.admin.address);
                            });
                }
                if (key == "metrics") {
                  r.ForEach(v, full, {"address"},
                            [&](const std::string&, const YAML::Node& a, const std::string& f) {
                              r.String(a, f, &config.metrics_address);
                            });
                }
              });
    // Sections that refer to others (declared aggregates), whatever the order in the file.
    if (!r.failed() && value_score_node) {
      CompileValueScore(r, file_name, yaml_text, *value_score_node, config.rule_environment,
                        &config.value_tiers);
    }
    if (!r.failed() && !config.lifecycle_stages.stages.empty()) {
      CompileStageConditions(r, file_name, yaml_text, stage_when_nodes, config.rule_environment,
                             &config.lifecycle_stages);
      for (const LifecycleStage& stage : config.lifecycle_stages.stages) {
        config.rule_environment.lifecycle_stages.push_back(stage.name);
      }
    }
    if (!r.failed() && loyalty_basis_node) {
      CheckLoyaltyBasis(r, *loyalty_basis_node, config.analytics, config.loyalty.tier_basis);
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file_name + ":" + std::to_string(e.mark.line + 1) + ": " +
                                   e.msg);
  }
  if (r.failed()) return r.status();
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
