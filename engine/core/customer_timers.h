// CustomerTimers: arms and cancels per-customer timers for one processing thread.
//
// A timer lives in two places that change together: the store's timers column family (through
// the ops collected here and moved into the next commit's batch) and the customer's state
// (CustomerState.timers: name -> fire_ms), which is how a timer is found again to be cancelled
// or replaced without scanning the store, and how a stale stored timer is recognized when it
// fires (its fire_ms no longer matches the state's).
//
// Not thread-safe: owned by the EventProcessor.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "state/commit_batch.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

class CustomerTimers {
 public:
  explicit CustomerTimers(int64_t max_per_customer) : max_per_customer_(max_per_customer) {}

  // Arms (or re-arms, replacing) the customer's timer `name` at fire_ms with `payload`.
  // False, arming nothing, when the customer already has max_per_customer other timers.
  bool Arm(v1::CustomerState* state, const std::string& name, int64_t fire_ms,
           const v1::TimerPayload& payload);
  // Cancels the customer's timer `name`; no-op when none is armed.
  void Cancel(v1::CustomerState* state, const std::string& name);
  // Forgets a timer that fired (stale or not): removes it from the state when the state
  // still points at this firing, and deletes the stored timer.
  void Fired(v1::CustomerState* state, const v1::Timer& timer);
  // Cancels every timer whose name starts with `prefix`.
  void CancelPrefix(v1::CustomerState* state, const std::string& prefix);

  // Adds the operations collected since the last Committed to `batch`, in the order they were
  // made; they are kept until Committed (a failed commit loses none).
  void AddTo(state::CommitBatch* batch) const;
  // The batch of the last AddTo was committed: forgets its operations.
  void Committed() { ops_.clear(); }
  // The earliest fire_ms armed since the last ResetEarliestArmed (max int64 when none).
  int64_t earliest_armed_ms() const { return earliest_armed_ms_; }
  void ResetEarliestArmed() { earliest_armed_ms_ = std::numeric_limits<int64_t>::max(); }

 private:
  struct Op {
    bool put;
    v1::Timer timer;
  };
  int64_t max_per_customer_;
  std::vector<Op> ops_;
  int64_t earliest_armed_ms_ = std::numeric_limits<int64_t>::max();
};

}  // namespace touchstream::engine
