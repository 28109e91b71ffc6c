// An in-memory StateStore for unit tests of other layers: the same contract as the RocksDB
// store (ordering, outbox sequences, timer replacement, validation), nothing persisted.
// Thread safety: one thread at a time, like every StateStore.
#pragma once

#include <memory>

#include "state/state_store.h"

namespace touchstream::state {

// A new empty store. Outbox sequences start at 1.
std::unique_ptr<StateStore> NewInMemoryStore();

}  // namespace touchstream::state
