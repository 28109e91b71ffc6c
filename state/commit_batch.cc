#include "state/commit_batch.h"

#include <string_view>
#include <utility>

#include "state/customer_codec.h"

namespace touchstream::state {

namespace {

// Customer ids and timer names are joined with '\0' in store keys, so they must not contain it.
Status CheckKeyPart(std::string_view what, std::string_view value, bool allow_empty) {
  if (!allow_empty && value.empty()) {
    return Status::InvalidArgument(std::string(what) + " is empty");
  }
  if (value.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + " contains a NUL byte");
  }
  return Status::Ok();
}

Status CheckFireMs(std::string_view customer_id, std::string_view name, int64_t fire_ms) {
  if (fire_ms < 0) {
    return Status::InvalidArgument("timer '" + std::string(name) + "' of customer '" +
                                   std::string(customer_id) + "' has negative fire_ms " +
                                   std::to_string(fire_ms));
  }
  return Status::Ok();
}

struct OperationValidator {
  Status operator()(const CommitBatch::PutCustomerOp& op) const {
    return CheckKeyPart("customer id of PutCustomer", op.customer_id, false);
  }
  Status operator()(const CommitBatch::DeleteCustomerOp& op) const {
    return CheckKeyPart("customer id of DeleteCustomer", op.customer_id, false);
  }
  Status operator()(const CommitBatch::PutOffsetOp& op) const {
    if (op.partition < 0 || op.next_offset < 0) {
      return Status::InvalidArgument("PutOffset " + op.topic + "/" + std::to_string(op.partition) +
                                     " with negative partition or offset " +
                                     std::to_string(op.next_offset));
    }
    return Status::Ok();
  }
  Status operator()(const CommitBatch::AddOutboxOp&) const { return Status::Ok(); }
  Status operator()(const CommitBatch::RemoveOutboxOp&) const { return Status::Ok(); }
  Status operator()(const CommitBatch::PutTimerOp& op) const { return CheckTimer(op); }
  Status operator()(const CommitBatch::DeleteTimerOp& op) const { return CheckTimer(op); }
  Status operator()(const CommitBatch::AddImpactCountsOp& op) const {
    for (std::string_view part : {std::string_view(op.rule_id), std::string_view(op.arm)}) {
      if (part.empty() || part.find_first_of(std::string_view("/\0", 2)) != part.npos) {
        return Status::InvalidArgument("impact counters of rule '" + op.rule_id + "' arm '" +
                                       op.arm +
                                       "': rule id and arm must be non-empty, without "
                                       "'/' or NUL");
      }
    }
    return Status::Ok();
  }

  template <typename TimerOp>
  static Status CheckTimer(const TimerOp& op) {
    Status status = CheckKeyPart("customer id of a timer", op.customer_id, false);
    if (status.ok()) status = CheckKeyPart("timer name", op.name, true);
    if (status.ok()) status = CheckFireMs(op.customer_id, op.name, op.fire_ms);
    return status;
  }
};

}  // namespace

void CommitBatch::PutCustomer(const v1::CustomerState& state) {
  PutCustomerOp op{state.customer_id(), {}};
  bool encoded = false;
  if (state.schema_version() == kCustomerSchemaVersion) {
    encoded = state.SerializeToString(&op.encoded_state);
  } else {
    v1::CustomerState current = state;
    current.set_schema_version(kCustomerSchemaVersion);
    encoded = current.SerializeToString(&op.encoded_state);
  }
  if (!encoded && encoding_error_.ok()) {
    encoding_error_ = Status::InvalidArgument("cannot encode the state of customer '" +
                                              state.customer_id() + "'");
  }
  operations_.emplace_back(std::move(op));
}

void CommitBatch::DeleteCustomer(std::string customer_id) {
  operations_.emplace_back(DeleteCustomerOp{std::move(customer_id)});
}

void CommitBatch::PutOffset(std::string topic, int32_t partition, int64_t next_offset) {
  operations_.emplace_back(PutOffsetOp{std::move(topic), partition, next_offset});
}

void CommitBatch::AddOutbox(v1::OutboxEntry entry) {
  AddOutboxOp op;
  if (!entry.SerializeToString(&op.encoded_entry) && encoding_error_.ok()) {
    encoding_error_ =
        Status::InvalidArgument("cannot encode the outbox entry with id '" + entry.id() + "'");
  }
  operations_.emplace_back(std::move(op));
  ++outbox_additions_;
}

void CommitBatch::RemoveOutbox(uint64_t sequence) {
  operations_.emplace_back(RemoveOutboxOp{sequence});
}

void CommitBatch::PutTimer(const v1::Timer& timer) {
  PutTimerOp op{timer.customer_id(), timer.name(), timer.fire_ms(), {}};
  if (!timer.SerializeToString(&op.encoded_timer) && encoding_error_.ok()) {
    encoding_error_ = Status::InvalidArgument("cannot encode timer '" + timer.name() +
                                              "' of customer '" + timer.customer_id() + "'");
  }
  operations_.emplace_back(std::move(op));
}

void CommitBatch::DeleteTimer(const v1::Timer& timer) {
  operations_.emplace_back(DeleteTimerOp{timer.customer_id(), timer.name(), timer.fire_ms()});
}

void CommitBatch::AddImpactCounts(std::string rule_id, std::string arm,
                                  const v1::ImpactCounts& delta) {
  operations_.emplace_back(AddImpactCountsOp{std::move(rule_id), std::move(arm), delta});
}

void AddImpactCountsTo(const v1::ImpactCounts& delta, v1::ImpactCounts* total) {
  total->set_decisions(total->decisions() + delta.decisions());
  total->set_sent(total->sent() + delta.sent());
  total->set_converted(total->converted() + delta.converted());
  total->set_conversion_value(total->conversion_value() + delta.conversion_value());
}

Status CommitBatch::Validate() const {
  if (!encoding_error_.ok()) return encoding_error_;
  for (const Operation& operation : operations_) {
    Status status = std::visit(OperationValidator{}, operation);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace touchstream::state
