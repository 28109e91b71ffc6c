#include "state/event_history.h"

#include <algorithm>

namespace touchstream::state {

namespace {

// Move the last element of a repeated field to the front in one pass over its array (of
// element pointers for strings, so no string is copied).
void RotateLastToFront(google::protobuf::RepeatedPtrField<std::string>* list) {
  if (list->size() > 1)
    std::rotate(list->pointer_begin(), list->pointer_end() - 1, list->pointer_end());
}
void RotateLastToFront(google::protobuf::RepeatedField<int64_t>* list) {
  if (list->size() > 1) std::rotate(list->begin(), list->end() - 1, list->end());
}

}  // namespace

void RecordEvent(int64_t size, const v1::TouchpointEvent& event, v1::CustomerState* state) {
  if (size <= 0) {
    if (state->has_history()) state->clear_history();
    return;
  }
  v1::EventHistory* h = state->mutable_history();
  // Drop entries beyond `size` (the four lists have the same length); when full, the oldest
  // entry's storage is reused for the new one.
  const int keep = static_cast<int>(size);
  while (h->types_size() > keep) {
    h->mutable_types()->RemoveLast();
    h->mutable_event_ids()->RemoveLast();
    h->mutable_channels()->RemoveLast();
    h->mutable_ts_ms()->RemoveLast();
  }
  if (h->types_size() < keep) {
    h->add_types();
    h->add_event_ids();
    h->add_channels();
    h->add_ts_ms(0);
  }
  const int last = h->types_size() - 1;
  h->set_types(last, event.type());
  h->set_event_ids(last, event.event_id());
  h->set_channels(last, event.channel());
  h->set_ts_ms(last, event.ts_ms());
  RotateLastToFront(h->mutable_types());
  RotateLastToFront(h->mutable_event_ids());
  RotateLastToFront(h->mutable_channels());
  RotateLastToFront(h->mutable_ts_ms());
}

}  // namespace touchstream::state
