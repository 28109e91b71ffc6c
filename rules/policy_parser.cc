#include "rules/policy_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "rules/date_schedule.h"

namespace touchstream::rules {

namespace {

constexpr std::string_view kEligibilityKeys[] = {"once", "cooldown", "max", "per"};
constexpr std::string_view kWindowKeys[] = {"from", "to", "mode"};
constexpr std::string_view kHoldoutKeys[] = {"percent", "experiment"};

bool Name(const YAML::Node& node, std::string_view what, YamlReader* r, std::string* out) {
  if (!r->Scalar(node, what, out)) return false;
  if (IsIdentifier(*out)) return true;
  r->ErrorAt(node, std::string(what) + " must be a name in lower_snake_case, not '" + *out + "'");
  return false;
}

void Eligibility(const YAML::Node& node, YamlReader* r, RulePolicy* p) {
  YamlEntries e;
  if (!node.IsMap()) {
    r->ErrorAt(node,
               "'eligibility' must be a map: {once: true}, {cooldown: 7d} or {max: 2, "
               "per: 30d}");
    return;
  }
  r->CheckKeys(node, kEligibilityKeys, "eligibility", &e);
  if (e.count("once")) {
    std::string text;
    if (r->Scalar(e["once"].second, "'once'", &text)) {
      if (text != "true" && text != "false") {
        r->ErrorAt(e["once"].second, "'once' must be true or false, not '" + text + "'");
      }
      p->once = text == "true";
    }
  }
  if (e.count("cooldown")) r->Duration(e["cooldown"].second, "'cooldown'", false, &p->cooldown_ms);
  if (e.count("max") != e.count("per")) {
    r->ErrorAt(node, "eligibility 'max' and 'per' go together: {max: 2, per: 30d}");
    return;
  }
  if (e.count("max")) {
    std::string text;
    if (r->Scalar(e["max"].second, "'max'", &text)) {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), p->max_runs);
      if (ec != std::errc() || end != text.data() + text.size() || p->max_runs < 1 ||
          p->max_runs > 1000) {
        r->ErrorAt(e["max"].second, "'max' must be an integer from 1 to 1000, not '" + text + "'");
      }
    }
    r->Duration(e["per"].second, "'per'", false, &p->max_per_ms);
  }
  if (e.empty()) r->ErrorAt(node, "'eligibility' needs once, cooldown or max + per");
}

// quiet_hours (send_window when `window`): {from: "21:00", to: "08:00", mode: defer|drop}.
void Window(const YAML::Node& node, bool window, YamlReader* r, RulePolicy* p) {
  const std::string what = window ? "send_window" : "quiet_hours";
  if (!node.IsMap()) {
    r->ErrorAt(node, "'" + what +
                         "' must be a map such as {from: \"21:00\", to: \"08:00\", "
                         "mode: defer}");
    return;
  }
  YamlEntries e;
  r->CheckKeys(node, kWindowKeys, what, &e);
  int minutes[2] = {0, 0};
  const char* keys[2] = {"from", "to"};
  for (int i = 0; i < 2; ++i) {
    if (!e.count(keys[i])) {
      r->ErrorAt(node, "'" + what + "' needs '" + keys[i] + "' (a local time such as \"21:00\")");
      continue;
    }
    std::string text;
    if (!r->Scalar(e[keys[i]].second, keys[i], &text)) continue;
    if (!ParseClockMinutes(text, &minutes[i])) {
      r->ErrorAt(e[keys[i]].second,
                 std::string("'") + keys[i] + "' must be a local time HH:MM, not '" + text + "'");
    }
  }
  if (minutes[0] % 1440 == minutes[1] % 1440) {
    r->ErrorAt(node, "'" + what + "' from and to must differ");
  }
  QuietHours& q = p->quiet_hours;
  q.from_minute = (window ? minutes[1] : minutes[0]) % 1440;
  q.to_minute = (window ? minutes[0] : minutes[1]) % 1440;
  q.defer = true;
  if (e.count("mode")) {
    std::string mode;
    if (r->Scalar(e["mode"].second, "'mode'", &mode)) {
      if (mode != "defer" && mode != "drop") {
        r->ErrorAt(e["mode"].second, "'mode' must be defer or drop, not '" + mode + "'");
      }
      q.defer = mode != "drop";
    }
  }
  p->has_quiet_hours = true;
}

void Holdout(const YAML::Node& node, YamlReader* r, const std::string& rule_id, RulePolicy* p) {
  YamlEntries e;
  if (!node.IsMap()) {
    r->ErrorAt(node, "'holdout' must be a map such as {percent: 10, experiment: spring_offer}");
    return;
  }
  r->CheckKeys(node, kHoldoutKeys, "holdout", &e);
  if (!e.count("percent")) {
    r->ErrorAt(node, "'holdout' needs 'percent' (0-100)");
  } else {
    std::string text;
    if (r->Scalar(e["percent"].second, "'percent'", &text)) {
      double v = -1;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v < 0 ||
          v > 100) {
        r->ErrorAt(e["percent"].second,
                   "'percent' must be a number from 0 to 100, not '" + text + "'");
      } else {
        p->holdout_percent = v;
      }
    }
  }
  p->experiment = rule_id;
  if (e.count("experiment")) {
    r->Scalar(e["experiment"].second, "'experiment'", &p->experiment);
  }
}

}  // namespace

void ParsePolicyKey(std::string_view key, const YAML::Node& node, YamlReader* r, Rule* rule) {
  RulePolicy& p = rule->policy;
  if (key == "category") {
    Name(node, "'category'", r, &p.category);
  } else if (key == "eligibility") {
    Eligibility(node, r, &p);
  } else if (key == "exclusion_group") {
    Name(node, "'exclusion_group'", r, &p.exclusion_group);
  } else if (key == "quiet_hours" || key == "send_window") {
    if (p.has_quiet_hours) {
      r->ErrorAt(node, "a rule has either 'quiet_hours' or 'send_window', not both");
      return;
    }
    Window(node, key == "send_window", r, &p);
  } else if (key == "holdout") {
    Holdout(node, r, rule->id, &p);
  } else if (key == "max_delay") {
    int64_t ms = 0;
    if (!r->Duration(node, "'max_delay'", false, &ms)) return;
    if (ms > kMaxMaxDelayMs) {
      r->ErrorAt(node, "'max_delay' must be at most 366d");
      return;
    }
    p.max_delay_ms = ms;
  }
}
}  // namespace touchstream::rules
