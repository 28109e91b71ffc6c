#include "engine/core/input_position.h"

namespace touchstream::engine {

bool AlreadyApplied(const v1::CustomerState& state, const connectors::SourceRecord& record) {
  if (!state.has_last_input()) return false;
  const v1::InputPosition& last = state.last_input();
  return last.topic() == record.topic && last.partition() == record.partition &&
         record.offset <= last.offset();
}

void RecordApplied(const connectors::SourceRecord& record, v1::CustomerState* state) {
  v1::InputPosition* last = state->mutable_last_input();
  last->set_topic(record.topic);
  last->set_partition(record.partition);
  last->set_offset(record.offset);
}

}  // namespace touchstream::engine
