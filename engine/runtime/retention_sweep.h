// RetentionSweep: expires customers whose last activity (last_seen_ms) is older than
// state.retention, incrementally, for `run` (wall-clock time) and `replay` (stream time).
//
// Why a sweep and not a RocksDB compaction filter: an expired customer also has armed timers
// (column families "timers" and "timer_index", keyed by fire time) and may have unsent outbox
// entries, which must go in the same atomic commit as the state; a compaction filter sees one
// column family's keys at a time, at times RocksDB chooses, and cannot reach the write-back
// cache (which would write a cached copy back). The sweep erases through
// EventProcessor::EraseCustomer like an erase request, so the cache, timers and outbox are
// handled once, in one place.
//
// Each Step examines at most `batch` stored customers, in customer id order from where the
// previous step stopped, wrapping around at the end. Call it right after a commit (the cache
// then holds no unflushed changes, so the store is current); the erasures it makes are
// committed by the caller's next commit. Expired customers are counted in
// touchstream_customers_expired_total.
//
// Not thread-safe: runs on the processing thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/core/processor.h"
#include "engine/ops/metrics.h"
#include "state/state_store.h"

namespace touchstream::engine {

class RetentionSweep {
 public:
  // `store`, `processor` and `metrics` must outlive the sweep. retention_ms <= 0 disables it.
  RetentionSweep(int64_t retention_ms, size_t batch, state::StateStore* store,
                 EventProcessor* processor, EngineMetrics* metrics)
      : retention_ms_(retention_ms),
        batch_(batch),
        store_(store),
        processor_(processor),
        metrics_(metrics) {}

  bool enabled() const { return retention_ms_ > 0; }

  // Customers for which `hold` returns true are not expired by this pass (their partition is
  // being restored off the processing thread); a later pass examines them again. Null holds
  // none.
  void set_hold(std::function<bool(std::string_view customer_id)> hold) { hold_ = std::move(hold); }

  struct StepResult {
    size_t expired = 0;
    // The step reached the last stored customer: the next one starts from the first.
    bool wrapped = false;
  };

  // Expires, as of now_ms, the customers among the next `batch` stored ones whose last_seen_ms
  // is before now_ms - retention; entries of *out keyed by them are removed (EraseCustomer).
  // Errors: the store's; the cursor then stays where it was.
  Result<StepResult> Step(int64_t now_ms, std::vector<v1::OutboxEntry>* out);

 private:
  int64_t retention_ms_;
  size_t batch_;
  state::StateStore* store_;
  EventProcessor* processor_;
  EngineMetrics* metrics_;
  std::function<bool(std::string_view)> hold_;
  // First customer id of the next step ("" = from the beginning).
  std::string cursor_;
};

}  // namespace touchstream::engine
