// CommitBatch: the changes of one processing step — customer states, consumed offsets, outbox
// entries and timers — that a StateStore applies atomically (all or nothing) in one Commit.
//
// Operations are recorded in call order and applied in that order, so a later operation on the
// same key wins. Customer states, outbox entries and timers are encoded (serialized) when they
// are added, so the batch holds compact bytes rather than message copies.
//
// Thread safety: none; a batch is built and committed by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/status.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

class CommitBatch {
 public:
  // Stores `state` under its customer_id (replacing any stored state).
  struct PutCustomerOp {
    std::string customer_id;
    std::string encoded_state;
  };
  struct DeleteCustomerOp {
    std::string customer_id;
  };
  // Records the next offset to consume for a topic partition.
  struct PutOffsetOp {
    std::string topic;
    int32_t partition;
    int64_t next_offset;
  };
  // Appends an entry; the store assigns its sequence number at commit.
  struct AddOutboxOp {
    std::string encoded_entry;
  };
  struct RemoveOutboxOp {
    uint64_t sequence;
  };
  // Arms a timer, replacing the customer's timer of the same name whatever its fire_ms.
  struct PutTimerOp {
    std::string customer_id;
    std::string name;
    int64_t fire_ms;
    std::string encoded_timer;
  };
  // Deletes the timer at exactly (fire_ms, customer_id, name); no-op when there is none.
  struct DeleteTimerOp {
    std::string customer_id;
    std::string name;
    int64_t fire_ms;
  };
  // Adds `delta` to the stored impact counters of (rule_id, arm), field by field.
  struct AddImpactCountsOp {
    std::string rule_id;
    std::string arm;
    v1::ImpactCounts delta;
  };
  using Operation = std::variant<PutCustomerOp, DeleteCustomerOp, PutOffsetOp, AddOutboxOp,
                                 RemoveOutboxOp, PutTimerOp, DeleteTimerOp, AddImpactCountsOp>;

  // Written with schema_version kCustomerSchemaVersion (state/customer_codec.h).
  void PutCustomer(const v1::CustomerState& state);
  void DeleteCustomer(std::string customer_id);
  // `next_offset` is the offset of the next message to consume (last processed + 1).
  void PutOffset(std::string topic, int32_t partition, int64_t next_offset);
  void AddOutbox(v1::OutboxEntry entry);
  void RemoveOutbox(uint64_t sequence);
  void PutTimer(const v1::Timer& timer);
  // Only fire_ms, customer_id and name of `timer` are used.
  void DeleteTimer(const v1::Timer& timer);
  // Neither rule_id nor arm may be empty or contain '/' or '\0'.
  void AddImpactCounts(std::string rule_id, std::string arm, const v1::ImpactCounts& delta);

  bool empty() const { return operations_.empty(); }
  // Number of operations recorded.
  size_t size() const { return operations_.size(); }
  // Number of AddOutbox operations (the number of sequences Commit will assign).
  size_t outbox_additions() const { return outbox_additions_; }

  // For store implementations: the operations in call order.
  const std::vector<Operation>& operations() const { return operations_; }

  // Ok when every operation can be applied. InvalidArgument, naming the first offending
  // operation, when: a customer id is empty or contains '\0'; a timer name contains '\0'; a
  // timer's fire_ms is negative; a partition or offset is negative; an impact counters' rule
  // id or arm is empty or contains '/' or '\0'; a message could not be encoded. Stores call this
  // before applying anything, so an invalid batch changes nothing.
  Status Validate() const;

 private:
  std::vector<Operation> operations_;
  size_t outbox_additions_ = 0;
  // First encoding failure (a message over the 2 GiB protobuf limit), reported by Validate.
  Status encoding_error_;
};

// Adds `delta` to *total field by field (how stores apply AddImpactCountsOp).
void AddImpactCountsTo(const v1::ImpactCounts& delta, v1::ImpactCounts* total);

}  // namespace touchstream::state
