// Right to be forgotten: deleting every trace of one customer from a StateStore.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/status.h"
#include "state/state_store.h"

namespace touchstream::state {

struct ErasureCounts {
  bool had_state = false;
  size_t timers = 0;          // armed timers deleted
  size_t outbox_entries = 0;  // produced-but-unacknowledged messages keyed by the customer
};

// Deletes, in one atomic commit, the customer's state (profile, consent, aggregates, rule
// history, loyalty...), every timer it had armed, and every outbox entry keyed by its id
// (actions and decisions not yet acknowledged by Kafka). Costs one read of the customer and one
// scan of the outbox (bounded by the in-flight limit). Must not run while an engine has the
// store open. Errors: the store's.
Result<ErasureCounts> EraseCustomer(StateStore* store, std::string_view customer_id);

}  // namespace touchstream::state
