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
  using V = const YAML::Node&;
  using P = const std::string&;
  // quiet_hours: {from, to, mode} (no sending between), or send_window (sending only between).
  auto window = [&](bool quiet) {
    return [&r, policy, quiet](V v, P full) {
      if (policy->has_quiet_hours) return r.Fail(v, full, "give quiet_hours or send_window");
      int from = -1;
      int to = -1;
      rules::QuietHours& q = policy->quiet_hours;
      const size_t errors = r.error_count();
      r.Read(v, full,
             {{"from", [&](V t, P f) { ClockTime(r, t, f, &from); }},
              {"to", [&](V t, P f) { ClockTime(r, t, f, &to); }},
              {"mode", [&](V t, P f) {
                 if (!t.IsScalar() || (t.Scalar() != "defer" && t.Scalar() != "drop")) {
                   return r.Fail(t, f, "expected defer or drop");
                 }
                 q.defer = t.Scalar() == "defer";
               }}});
      if (r.error_count() != errors) return;
      if (from < 0 || to < 0 || from == to) {
        return r.Fail(v, full, "needs different 'from' and 'to' local times (\"21:00\")");
      }
      q.from_minute = quiet ? from : to;
      q.to_minute = quiet ? to : from;
      policy->has_quiet_hours = true;
    };
  };
  r.Read(node, "policy",
         {{"enabled",
           [&](V v, P full) {
             if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) {
               return r.Fail(v, full, "expected true or false");
             }
             policy->enabled = v.Scalar() == "true";
           }},
          {"default_time_zone",
           [&](V v, P full) {
             const size_t errors = r.error_count();
             r.String(v, full, &policy->default_time_zone);
             if (r.error_count() == errors && !rules::ZoneCache().Find(policy->default_time_zone) &&
                 policy->default_time_zone != "UTC") {
               r.Fail(v, full, "unknown time zone '" + policy->default_time_zone + "'");
             }
           }},
          {"max_actions_per_moment", r.IntInto(0, &policy->max_actions_per_moment)},
          {"exclusion_period", r.DurationInto(true, &policy->exclusion_period_ms)},
          {"history_size", r.IntInto(0, &policy->history_size)},
          {"unknown_consent",
           [&](V v, P full) {
             if (!v.IsScalar() || (v.Scalar() != "allow" && v.Scalar() != "deny")) {
               return r.Fail(v, full, "expected allow or deny");
             }
             policy->unknown_consent_allowed = v.Scalar() == "allow";
           }},
          {"addresses", [&](V v, P full) { r.StringMap(v, full, &policy->addresses); }},
          {"experiments",
           [&](V v, P full) {
             r.ForEach(v, full, {}, [&](const std::string& name, V e, P f) {
               policy->experiment_salts[name] = name;
               r.Read(e, f, {{"salt", r.StringInto(&policy->experiment_salts[name])}});
             });
           }},
          {"quiet_hours", window(true)},
          {"send_window", window(false)},
          {"caps", [&](V v, P full) {
             if (!v.IsSequence()) return r.Fail(v, full, "expected a list of caps");
             for (const YAML::Node& item : v) {
               FrequencyCap cap;
               const size_t errors = r.error_count();
               r.Read(item, full,
                      {{"name", r.StringInto(&cap.name)},
                       {"max", r.IntInto(1, &cap.max)},
                       {"per", r.DurationInto(false, &cap.per_ms)},
                       {"channel", r.StringInto(&cap.channel)},
                       {"categories", r.StringListInto(&cap.categories)}});
               if (r.error_count() != errors) continue;
               if (cap.name.empty() || cap.max == 0 || cap.per_ms == 0) {
                 r.Fail(item, full,
                        "each cap needs name, max and per ({name: weekly, max: 3, per: 7d})");
                 continue;
               }
               policy->caps.push_back(std::move(cap));
             }
           }}});
}

}  // namespace touchstream::engine
