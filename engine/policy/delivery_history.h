// The customer's delivery history (CustomerState.delivery): what was sent or held out, for
// caps and exclusion groups, and the latest decisions, for explanation. Records are stamped
// with the step's event time (Step::time_ms), like every state change, so that `run` and
// `replay` of the same events leave the same state. Pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/policy/policy_config.h"
#include "touchstream/v1/action.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// Sent records kept per customer at most.
inline constexpr int kMaxSentRecords = 256;

// How long sent records are needed: the longest cap window and the exclusion period.
int64_t SentRetentionMs(const PolicyConfig& config);

// Appends `record`, dropping records older than record.ts_ms - retention_ms and the oldest
// beyond kMaxSentRecords.
void RecordSent(v1::SentRecord record, int64_t retention_ms, v1::DeliveryHistory* history);

// Appends the decision, stamped ts_ms (keeping the last config.history_size).
void RecordDecision(const v1::Decision& decision, std::string_view channel, int64_t ts_ms,
                    const PolicyConfig& config, v1::DeliveryHistory* history);

// Actions sent or held out after since_ms that `cap` counts ("" channel or category: any).
int64_t CountForCap(const v1::DeliveryHistory& history, const FrequencyCap& cap, int64_t since_ms);

// True when the cap counts an action of `category` on `channel`.
bool CapCounts(const FrequencyCap& cap, std::string_view category, std::string_view channel);

// True when something of exclusion group `group` was sent or held out after since_ms.
bool GroupUsedSince(const v1::DeliveryHistory& history, std::string_view group, int64_t since_ms);

}  // namespace touchstream::engine
