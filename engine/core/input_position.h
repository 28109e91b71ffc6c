// The input position a customer's state accounts for (CustomerState.last_input), which makes
// re-applying an input event a no-op: after a restore from the changelog, or a crash between
// the changelog and the offsets, input is read again from an offset the state may be ahead of.
//
// Positions compare only within one topic partition: an event from another topic or partition
// than the recorded one is never taken for a duplicate (the customer moved, or several input
// topics feed it). Pure functions; thread-safe.
#pragma once

#include "connectors/kafka_record.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// True when `state` already applied `record`: its last applied input is on the record's topic
// and partition at an offset >= the record's.
bool AlreadyApplied(const v1::CustomerState& state, const connectors::SourceRecord& record);

// Records `record` as the last input applied to *state.
void RecordApplied(const connectors::SourceRecord& record, v1::CustomerState* state);

}  // namespace touchstream::engine
