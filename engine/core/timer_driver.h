// TimerDriver: fires the per-customer timers that are due, for `run` (processing time) and
// `replay` (event time).
//
// Timers are read from the store, so everything armed must be committed before they are
// read, and the deletion of the timers fired must be committed before the store is read
// again. FireDue therefore alternates: commit, read at most `batch` due timers, fire them,
// commit, ... A timer fires once: its deletion commits atomically with the state changes and
// outputs of its firing; after a crash before that commit it fires again on recovery with the
// same (deterministic) action ids.
//
// Held timers: timers of customers for which the hold (set_hold) returns true are neither fired
// nor deleted (their partition is being restored off the processing thread); they fire after
// the hold lifts and Refresh is called.
//
// Not thread-safe: used by the processing thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/processor.h"
#include "state/state_store.h"

namespace touchstream::engine {

class TimerDriver {
 public:
  // `store` and `processor` must outlive the driver.
  TimerDriver(state::StateStore* store, EventProcessor* processor, size_t batch)
      : store_(store), processor_(processor), batch_(batch) {}

  // The earliest time a timer may be due: the earliest stored timer at the last Refresh, or
  // an earlier one armed since. Max int64 when none.
  int64_t next_due_ms() const {
    return std::min(stored_next_ms_, processor_->earliest_armed_timer_ms());
  }

  // Timers of customers for which `hold` returns true are not fired (see above); null holds
  // none.
  void set_hold(std::function<bool(std::string_view customer_id)> hold) { hold_ = std::move(hold); }

  // Re-reads the earliest stored timer; timers armed before must have been committed. Call
  // after such a commit (FireDue does). Errors: the store's.
  Status Refresh();

  // Fires every timer due at or before up_to_ms through EventProcessor::FireTimer (now_ms is
  // passed on; in stream-time mode each timer's own time is used). `commit` must commit all
  // pending work (states, timer changes, outputs); it is called before the first read and
  // after each round. Outputs go to *out. Returns the number of timers fired. When every timer
  // due by up_to_ms is held, next_due_ms() becomes up_to_ms + 1 until the next Refresh.
  // When `time_left` is given and returns false after a round, FireDue stops there; the timers
  // still due stay due (next_due_ms() <= up_to_ms) and fire at the next call.
  Result<size_t> FireDue(int64_t up_to_ms, int64_t now_ms, const std::function<Status()>& commit,
                         std::vector<v1::OutboxEntry>* out,
                         const std::function<bool()>& time_left = nullptr);

 private:
  state::StateStore* store_;
  EventProcessor* processor_;
  size_t batch_;
  std::function<bool(std::string_view)> hold_;
  int64_t stored_next_ms_ = std::numeric_limits<int64_t>::min();  // unknown: look first
};

}  // namespace touchstream::engine
