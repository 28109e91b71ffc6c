#include "rules/action_parser.h"

#include <algorithm>
#include <map>
#include <string>

#include "rules/compiler.h"
#include "rules/template.h"

namespace touchstream::rules {

namespace {

constexpr std::string_view kActionKeys[] = {"emit", "set",   "add_points", "redeem",
                                            "tag",  "untag", "set_stage",  "raise"};
constexpr std::string_view kEmitKeys[] = {"kind", "channel", "template", "params", "payload"};
constexpr std::string_view kRaiseKeys[] = {"event", "properties"};
constexpr std::string_view kRootNames[] = {"event", "customer", "rule", "now"};

class ActionParser {
 public:
  ActionParser(const CheckScope& scope, YamlReader* reader, Rule* rule)
      : scope_(scope), r_(*reader), rule_(*rule) {}

  void Parse(const YAML::Node& node) {
    if (!node.IsMap() || node.size() != 1) {
      r_.ErrorAt(node, "each action must be a map with one key naming the action, e.g. 'emit:'");
      return;
    }
    YamlEntries e;
    if (!r_.CheckKeys(node, kActionKeys, "action", &e)) return;
    const auto& [name, nodes] = *e.begin();
    const YAML::Node value = nodes.second;
    if (name == "emit") {
      EmitAction emit;
      if (Emit(value, &emit)) rule_.actions.emplace_back(std::move(emit));
    } else if (name == "set") {
      Set(value);
    } else if (name == "add_points" || name == "redeem") {
      PointsAction points;
      points.redeem = name == "redeem";
      points.amount = r_.Expression(value, "'" + name + "'", scope_);
      if (points.amount != nullptr && !IsNumberOrDyn(points.amount->type)) {
        r_.ErrorAt(value, "'" + name + "' must be a number of points, but it is " +
                              std::string(ValueTypeName(points.amount->type)));
      } else if (points.amount != nullptr) {
        rule_.actions.emplace_back(std::move(points));
      }
    } else if (name == "tag" || name == "untag") {
      TagAction tag;
      tag.remove = name == "untag";
      if (r_.StringList(value, "'" + name + "'", true, &tag.tags)) {
        for (const std::string& t : tag.tags) {
          if (t.empty() || t.size() > 64) {
            r_.ErrorAt(value, "tags must be 1 to 64 characters long");
          }
        }
        rule_.actions.emplace_back(std::move(tag));
      }
    } else if (name == "set_stage") {
      SetStageAction stage;
      if (r_.Scalar(value, "'set_stage'", &stage.stage)) {
        const std::vector<std::string_view> stages = LifecycleStageNames(r_.env());
        if (std::find(stages.begin(), stages.end(), stage.stage) == stages.end()) {
          std::string message = "unknown lifecycle stage '" + stage.stage + "' (expected one of:";
          for (std::string_view s : stages) message += " " + std::string(s);
          r_.ErrorAt(value, message + ")");
        } else {
          rule_.actions.emplace_back(std::move(stage));
        }
      }
    } else if (name == "raise") {
      Raise(value);
    }
  }

 private:
  static bool IsNumberOrDyn(ValueType type) {
    return type == ValueType::kInt || type == ValueType::kDouble || type == ValueType::kDyn;
  }

  void Set(const YAML::Node& node) {
    if (!node.IsMap() || node.size() == 0) {
      r_.ErrorAt(node,
                 "'set' must be a map of profile attribute: expression, e.g. "
                 "{tier: '\"gold\"'}");
      return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      SetAction set;
      if (!r_.Scalar(it->first, "an attribute name", &set.attribute)) continue;
      if (!IsIdentifier(set.attribute)) {
        r_.ErrorAt(it->first, "attribute name '" + set.attribute + "' must be a simple name");
        continue;
      }
      set.value = r_.Expression(it->second, "the value of '" + set.attribute + "'", scope_);
      if (set.value != nullptr) rule_.actions.emplace_back(std::move(set));
    }
  }

  void Raise(const YAML::Node& node) {
    RaiseAction raise;
    if (node.IsScalar()) {
      raise.event_type = node.Scalar();
      if (r_.EventType(node, raise.event_type, false)) rule_.actions.emplace_back(std::move(raise));
      return;
    }
    if (!node.IsMap()) {
      r_.ErrorAt(node, "'raise' must be an event type, or a map with 'event' and 'properties'");
      return;
    }
    const size_t errors_before = r_.error_count();
    YamlEntries e;
    r_.CheckKeys(node, kRaiseKeys, "raise", &e);
    if (!e.count("event")) {
      r_.ErrorAt(node, "'raise' needs 'event' (the type of the event to raise)");
    } else if (r_.Scalar(e["event"].second, "'event'", &raise.event_type)) {
      r_.EventType(e["event"].second, raise.event_type, false);
      if (raise.event_type == kStageChangedEvent || raise.event_type == kTierChangedEvent) {
        r_.ErrorAt(e["event"].second, "'" + raise.event_type + "' is raised by the engine only");
      }
    }
    if (e.count("properties")) {
      const YAML::Node map = e["properties"].second;
      if (!map.IsMap()) {
        r_.ErrorAt(map, "'properties' must be a map of name: expression");
      } else {
        for (auto it = map.begin(); it != map.end(); ++it) {
          EmitParam property;
          if (!r_.Scalar(it->first, "a property name", &property.name)) continue;
          property.expr = r_.Expression(it->second, "property '" + property.name + "'", scope_);
          if (property.expr != nullptr) raise.properties.push_back(std::move(property));
        }
      }
    }
    if (r_.error_count() == errors_before) rule_.actions.emplace_back(std::move(raise));
  }

  // channel: email | [email, sms] | best_of [push, email] | {best_of: [push, email]}
  void Channels(const YAML::Node& node, EmitAction* emit) {
    constexpr std::string_view kBestOf = "best_of";
    if (node.IsMap()) {
      if (node.size() != 1 || !node[std::string(kBestOf)]) {
        r_.ErrorAt(node, "'channel' as a map must be {best_of: [channel, ...]}");
        return;
      }
      emit->best_of = true;
      r_.StringList(node[std::string(kBestOf)], "'best_of'", false, &emit->channels);
    } else if (node.IsScalar() && node.Scalar().starts_with(kBestOf) &&
               node.Scalar().size() > kBestOf.size() &&
               (node.Scalar()[kBestOf.size()] == ' ' || node.Scalar()[kBestOf.size()] == '[')) {
      emit->best_of = true;
      std::string_view rest = std::string_view(node.Scalar()).substr(kBestOf.size());
      rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
      if (!rest.starts_with('[') || !rest.ends_with(']')) {
        r_.ErrorAt(node, "'channel: best_of' needs a list in brackets: best_of [push, email]");
        return;
      }
      rest = rest.substr(1, rest.size() - 2);
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        const size_t first = item.find_first_not_of(' ');
        const size_t last = item.find_last_not_of(' ');
        item = first == std::string_view::npos ? std::string_view()
                                               : item.substr(first, last - first + 1);
        if (!IsIdentifier(item)) {
          r_.ErrorAt(node, "'best_of': '" + std::string(item) + "' is not a channel name");
          return;
        }
        emit->channels.emplace_back(item);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else {
      r_.StringList(node, "'channel'", true, &emit->channels);
    }
    if (emit->channels.empty()) {
      r_.ErrorAt(node, "'channel' needs at least one channel");
    } else if (emit->best_of && emit->channels.size() < 2) {
      r_.ErrorAt(node, "'best_of' needs at least two channels to choose from");
    }
  }

  bool Emit(const YAML::Node& node, EmitAction* emit) {
    if (!node.IsMap()) {
      r_.ErrorAt(node, "'emit' must be a map with 'kind', 'channel' and usually 'template'");
      return false;
    }
    const size_t errors_before = r_.error_count();
    YamlEntries e;
    r_.CheckKeys(node, kEmitKeys, "emit", &e);
    if (!e.count("kind")) {
      r_.ErrorAt(node, "'emit' needs 'kind' (offer, alert, nudge, ...)");
    } else {
      r_.Scalar(e["kind"].second, "'kind'", &emit->kind);
    }
    if (!e.count("channel")) {
      r_.ErrorAt(node, "'emit' needs 'channel' (a channel, or a list in order of preference)");
    } else {
      Channels(e["channel"].second, emit);
    }
    // Params first: templates may refer to them by name.
    std::vector<ExprPtr> param_asts;
    std::map<std::string, const Expr*, std::less<>> params;
    if (e.count("params")) {
      const YAML::Node map = e["params"].second;
      if (!map.IsMap()) {
        r_.ErrorAt(map, "'params' must be a map of name: expression");
      } else {
        for (auto it = map.begin(); it != map.end(); ++it) {
          std::string name, text;
          if (!r_.Scalar(it->first, "a param name", &name) ||
              !r_.Scalar(it->second, "a param", &text)) {
            continue;
          }
          if (!IsIdentifier(name) || std::find(std::begin(kRootNames), std::end(kRootNames),
                                               name) != std::end(kRootNames)) {
            r_.ErrorAt(it->first, "param name '" + name +
                                      "' must be a simple name other than event, customer, "
                                      "rule, now");
            continue;
          }
          if (params.count(name)) {
            r_.ErrorAt(it->first, "param '" + name + "' appears twice");
            continue;
          }
          ExprPtr ast;
          auto program =
              CompileExpression(text, r_.Location(it->second), scope_, r_.env(), r_.sink(), &ast);
          if (program == nullptr) continue;
          params.emplace(name, ast.get());
          param_asts.push_back(std::move(ast));
          emit->params.push_back({name, std::move(program)});
        }
      }
    }
    CheckScope template_scope = scope_;
    template_scope.params = &params;
    if (e.count("template")) {
      const YAML::Node tmpl = e["template"].second;
      std::string text;
      if (r_.Scalar(tmpl, "'template'", &text)) {
        if (auto compiled =
                CompileTemplate(text, r_.Location(tmpl), template_scope, r_.env(), r_.sink())) {
          emit->message = std::move(*compiled);
        }
      }
    }
    if (e.count("payload")) {
      const YAML::Node map = e["payload"].second;
      if (!map.IsMap()) {
        r_.ErrorAt(map, "'payload' must be a map of key: template");
      } else {
        for (auto it = map.begin(); it != map.end(); ++it) {
          std::string key, text;
          if (!r_.Scalar(it->first, "a payload key", &key) ||
              !r_.Scalar(it->second, "a payload value", &text)) {
            continue;
          }
          if (params.count(key)) {
            r_.ErrorAt(it->first, "payload key '" + key +
                                      "' is also a param (params are added to the payload)");
            continue;
          }
          if (auto compiled = CompileTemplate(text, r_.Location(it->second), template_scope,
                                              r_.env(), r_.sink())) {
            emit->payload.push_back({key, std::move(*compiled)});
          }
        }
      }
    }
    return r_.error_count() == errors_before;
  }

  const CheckScope& scope_;
  YamlReader& r_;
  Rule& rule_;
};

}  // namespace

void ParseAction(const YAML::Node& node, const CheckScope& scope, YamlReader* reader, Rule* rule) {
  ActionParser(scope, reader, rule).Parse(node);
}

}  // namespace touchstream::rules
