// EffectiveConfigYaml: the settings an EngineConfig holds, defaults included, as a YAML config
// file (what `touchstream config check` prints).
#pragma once

#include <cstdint>
#include <string>

#include "engine/config/config.h"

namespace touchstream::engine {

// A duration in the config grammar (base/duration.h), largest units first: 90d, 1h30m, 250ms;
// "0" for zero. Negative durations are written with a leading '-'.
std::string FormatConfigDuration(int64_t ms);

// The effective settings of `config` as a YAML document. The operational sections (kafka, output,
// state, processing, rules, metrics, admin, logging), history, satisfaction, consent, the
// lifecycle thresholds and the policy's settings, caps, addresses and experiments are written
// from the loaded values, every key with its default when the file left it out; paths are
// absolute. The sections that only exist as written (events, calendars, aggregates, lateness,
// rfm, clv, value_tiers, loyalty, lifecycle stages, quiet_hours/send_window) are copied from
// `file_text`, the text `config` was loaded from. Loading the output gives the same settings.
// `file_text` must be the YAML `config` was loaded from (it parsed then).
std::string EffectiveConfigYaml(const EngineConfig& config, const std::string& file_text);

}  // namespace touchstream::engine
