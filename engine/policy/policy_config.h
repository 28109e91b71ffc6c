// PolicyConfig: the `policy:` section of the engine config (README "Delivery policy").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rules/rule.h"

namespace touchstream::engine {

// A frequency cap: at most `max` actions sent to one customer per sliding window `per_ms`,
// counting the actions of rules whose category is in `categories` (empty: every category but
// operational) on `channel` (empty: every channel).
struct FrequencyCap {
  std::string name;
  int64_t max = 0;
  int64_t per_ms = 0;
  std::string channel;
  std::vector<std::string> categories;
};

struct PolicyConfig {
  // false: rule actions are sent at once to their first channel (no eligibility, consent,
  // caps, arbitration, quiet hours or holdout). Default true.
  bool enabled = true;
  // Time zone of customers without a valid `time_zone` profile attribute. Default UTC.
  std::string default_time_zone = "UTC";
  // Rules sending to one customer at one moment (one event or timer, with everything it
  // causes); 0 = no limit. Default 0.
  int64_t max_actions_per_moment = 0;
  // Rules of one exclusion group are exclusive within this period; 0 = within one moment.
  int64_t exclusion_period_ms = 0;
  std::vector<FrequencyCap> caps;
  // Quiet hours of every non-operational rule without its own. Default none.
  bool has_quiet_hours = false;
  rules::QuietHours quiet_hours;
  // Channel -> profile attribute holding its address ("email" -> "email"): a channel is
  // reachable when the attribute is a non-empty string. Channels not listed are always
  // reachable. Default none.
  std::map<std::string, std::string> addresses;
  // Experiment name -> salt of its holdout hash (default: the experiment name). Change the
  // salt to re-draw an experiment's holdout group.
  std::map<std::string, std::string> experiment_salts;
  // Whether a channel the customer has no consent record for may be used: "allow" (default,
  // opt-out regimes) or "deny" (opt-in: only channels with granted consent). A withdrawn
  // consent always blocks the channel.
  bool unknown_consent_allowed = true;
  // Decisions kept per customer in its history (state delivery.decisions). Default 10.
  int64_t history_size = 10;
};

}  // namespace touchstream::engine
