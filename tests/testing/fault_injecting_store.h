// FaultInjectingStore: a state::StateStore decorator that makes commits and reads fail on
// demand, for tests of how the layers above a store react to a failing disk (after LevelDB's
// fault-injecting test Env).
//
// Every call is forwarded to the inner store unless a fault applies to it. A failed call does
// not reach the inner store at all, so it has no effect there: a failed Commit applies nothing
// and leaves *outbox_sequences unchanged, as the StateStore contract says of a failed write.
//
// Two kinds of calls are counted separately, from 1, over the decorator's life:
//   commits: Commit.
//   reads:   GetCustomer, GetOffset, ForEachOutbox, ForEachCustomer, ForEachCustomerFrom,
//            DueTimers, ForEachImpactCounts.
// For each kind a call fails when either plan says so:
//   "next n":   the next n calls of that kind fail (FailNextCommits / FailNextReads);
//   "from k":   the k-th call of that kind and every later one fail (FailCommitsFrom /
//               FailReadsFrom; a k at or below the calls made so far means the next call).
// A failing call returns the chosen status; GetOffset, which has no status, returns nullopt
// (the contract's "cannot be read"). The default status is IOError("injected fault: <method>
// call #<n>"). Flush is always forwarded and not counted. ClearFaults() cancels both plans.
//
// Thread safety: none, like every StateStore (one thread at a time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "state/state_store.h"

namespace touchstream::test {

class FaultInjectingStore : public state::StateStore {
 public:
  // Decorates a store the caller keeps; `inner` must outlive this object.
  explicit FaultInjectingStore(state::StateStore& inner);
  // Decorates a store this object owns.
  explicit FaultInjectingStore(std::unique_ptr<state::StateStore> inner);

  // The next n commits fail with `status` (nullopt or an ok status: the default IOError).
  // Replaces an earlier "next n" plan for commits; n == 0 cancels it.
  void FailNextCommits(int64_t n, std::optional<Status> status = std::nullopt);
  // The k-th commit (k >= 1, counted from construction) and every later one fail. Replaces an
  // earlier "from k" plan for commits.
  void FailCommitsFrom(int64_t k, std::optional<Status> status = std::nullopt);
  // The same for reads.
  void FailNextReads(int64_t n, std::optional<Status> status = std::nullopt);
  void FailReadsFrom(int64_t k, std::optional<Status> status = std::nullopt);
  // Every call from now on is forwarded again. Counters are kept.
  void ClearFaults();

  // Calls made (failed or not) and calls failed, per kind.
  int64_t commit_calls() const { return commits_.calls; }
  int64_t failed_commits() const { return commits_.failed; }
  int64_t read_calls() const { return reads_.calls; }
  int64_t failed_reads() const { return reads_.failed; }

  // The decorated store, e.g. to check that a failed commit left it untouched.
  state::StateStore& inner() { return *inner_; }

  Status GetCustomer(std::string_view customer_id, v1::CustomerState* out) override;
  Status Commit(const state::CommitBatch& batch, std::vector<uint64_t>* outbox_sequences) override;
  std::optional<int64_t> GetOffset(std::string_view topic, int32_t partition) override;
  Status ForEachOutbox(
      const std::function<void(uint64_t sequence, const v1::OutboxEntry&)>& fn) override;
  Status ForEachCustomer(const std::function<bool(const v1::CustomerState&)>& fn) override;
  Status ForEachCustomerFrom(std::string_view first_id,
                             const std::function<bool(const v1::CustomerState&)>& fn) override;
  Status DueTimers(int64_t up_to_ms, size_t limit, std::vector<v1::Timer>* out) override;
  Status ForEachImpactCounts(
      const std::function<void(const std::string& rule_id, const std::string& arm,
                               const v1::ImpactCounts& counts)>& fn) override;
  Status Flush() override;
  std::optional<state::StoreStats> Stats() override;

 private:
  // The plans and counters of one kind of call.
  struct Plan {
    int64_t calls = 0;
    int64_t failed = 0;
    int64_t fail_next = 0;
    std::optional<Status> next_status;
    int64_t fail_from = 0;  // 0: no "from k" plan
    std::optional<Status> from_status;
  };

  // Counts a call of `plan`'s kind to `method`; ok to forward it, else the status to return.
  static Status Admit(Plan& plan, std::string_view method);

  std::unique_ptr<state::StateStore> owned_;
  state::StateStore* inner_;
  Plan commits_;
  Plan reads_;
};

}  // namespace touchstream::test
