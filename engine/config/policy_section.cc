// The policy: section of the engine config (README "Delivery policy").
#include <string>

#include "engine/config/config_reader.h"
#include "rules/date_schedule.h"
#include "rules/zone_cache.h"

namespace touchstream::engine {
namespace {

// A local time of day "HH:MM" for policy.quiet_hours.
void ClockTime(ConfigReader& r, const YAML::Node& node, const std::string& key, int* minutes) {
  const std::string text = node.IsScalar() ? node.Scalar() : "";
  if (!rules::ParseClockMinutes(text, minutes)) {
    r.Fail(node, key, "expected a local time such as \"21:00\", got '" + text + "'");
  }
  *minutes %= 1440;
}

}  // namespace

// policy: {enabled, default_time_zone, max_actions_per_moment, exclusion_period, caps,
// quiet_hours, send_window, addresses, experiments, unknown_consent, history_size}
void ReadPolicy(ConfigReader& r, const YAML::Node& node, PolicyConfig* policy) {
  r.ForEach(
      node, "policy",
      {"enabled", "default_time_zone", "max_actions_per_moment", "exclusion_period", "caps",
       "quiet_hours", "send_window", "addresses", "experiments", "unknown_consent", "history_size"},
      [&](const std::string& key, const YAML::Node& v, const std::string& full) {
        if (key == "enabled") {
          if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) {
            return r.Fail(v, full, "expected true or false");
          }
          policy->enabled = v.Scalar() == "true";
        }
        if (key == "default_time_zone") {
          r.String(v, full, &policy->default_time_zone);
          if (!r.failed() && !rules::ZoneCache().Find(policy->default_time_zone) &&
              policy->default_time_zone != "UTC") {
            r.Fail(v, full, "unknown time zone '" + policy->default_time_zone + "'");
          }
        }
        if (key == "max_actions_per_moment") r.Int(v, full, 0, &policy->max_actions_per_moment);
        if (key == "exclusion_period") r.Duration(v, full, true, &policy->exclusion_period_ms);
        if (key == "history_size") r.Int(v, full, 0, &policy->history_size);
        if (key == "unknown_consent") {
          if (!v.IsScalar() || (v.Scalar() != "allow" && v.Scalar() != "deny")) {
            return r.Fail(v, full, "expected allow or deny");
          }
          policy->unknown_consent_allowed = v.Scalar() == "allow";
        }
        if (key == "addresses") r.StringMap(v, full, &policy->addresses);
        if (key == "experiments") {
          r.ForEach(
              v, full, {}, [&](const std::string& name, const YAML::Node& e, const std::string& f) {
                policy->experiment_salts[name] = name;
                r.ForEach(e, f, {"salt"},
                          [&](const std::string&, const YAML::Node& s, const std::string& sf) {
                            r.String(s, sf, &policy->experiment_salts[name]);
                          });
              });
        }
        if (key == "quiet_hours" || key == "send_window") {
          if (policy->has_quiet_hours) return r.Fail(v, full, "give quiet_hours or send_window");
          int from = -1;
          int to = -1;
          rules::QuietHours& q = policy->quiet_hours;
          r.ForEach(v, full, {"from", "to", "mode"},
                    [&](const std::string& k, const YAML::Node& t, const std::string& f) {
                      if (k == "from") ClockTime(r, t, f, &from);
                      if (k == "to") ClockTime(r, t, f, &to);
                      if (k == "mode") {
                        if (!t.IsScalar() || (t.Scalar() != "defer" && t.Scalar() != "drop")) {
                          return r.Fail(t, f, "expected defer or drop");
                        }
                        q.defer = t.Scalar() == "defer";
                      }
                    });
          if (r.failed()) return;
          if (from < 0 || to < 0 || from == to) {
            return r.Fail(v, full, "needs different 'from' and 'to' local times (\"21:00\")");
          }
          q.from_minute = key == "quiet_hours" ? from : to;
          q.to_minute = key == "quiet_hours" ? to : from;
          policy->has_quiet_hours = true;
        }
        if (key == "caps") {
          if (!v.IsSequence()) return r.Fail(v, full, "expected a list of caps");
          for (const YAML::Node& item : v) {
            FrequencyCap cap;
            r.ForEach(item, full, {"name", "max", "per", "channel", "categories"},
                      [&](const std::string& k, const YAML::Node& c, const std::string& f) {
                        if (k == "name") r.String(c, f, &cap.name);
                        if (k == "max") r.Int(c, f, 1, &cap.max);
                        if (k == "per") r.Duration(c, f, false, &cap.per_ms);
                        if (k == "channel") r.String(c, f, &cap.channel);
                        if (k == "categories") r.StringList(c, f, &cap.categories);
                      });
            if (r.failed()) return;
            if (cap.name.empty() || cap.max == 0 || cap.per_ms == 0) {
              return r.Fail(item, full,
                            "each cap needs name, max and per ({name: weekly, max: 3, "
                            "per: 7d})");
            }
            policy->caps.push_back(std::move(cap));
          }
        }
      });
}

}  // namespace touchstream::engine
