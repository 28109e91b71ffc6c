#include "tests/testing/fault_injecting_store.h"

#include <utility>

namespace touchstream::test {

FaultInjectingStore::FaultInjectingStore(state::StateStore& inner) : inner_(&inner) {}

FaultInjectingStore::FaultInjectingStore(std::unique_ptr<state::StateStore> inner)
    : owned_(std::move(inner)), inner_(owned_.get()) {}

void FaultInjectingStore::FailNextCommits(int64_t n, std::optional<Status> status) {
  commits_.fail_next = n;
  commits_.next_status = std::move(status);
}

void FaultInjectingStore::FailCommitsFrom(int64_t k, std::optional<Status> status) {
  commits_.fail_from = k < 1 ? 1 : k;
  commits_.from_status = std::move(status);
}

void FaultInjectingStore::FailNextReads(int64_t n, std::optional<Status> status) {
  reads_.fail_next = n;
  reads_.next_status = std::move(status);
}

void FaultInjectingStore::FailReadsFrom(int64_t k, std::optional<Status> status) {
  reads_.fail_from = k < 1 ? 1 : k;
  reads_.from_status = std::move(status);
}

void FaultInjectingStore::ClearFaults() {
  for (Plan* plan : {&commits_, &reads_}) {
    plan->fail_next = 0;
    plan->next_status.reset();
    plan->fail_from = 0;
    plan->from_status.reset();
  }
}

Status FaultInjectingStore::Admit(Plan& plan, std::string_view method) {
  const int64_t call = ++plan.calls;
  std::optional<Status> chosen;
  bool fail = false;
  if (plan.fail_next > 0) {
    --plan.fail_next;
    chosen = plan.next_status;
    fail = true;
  } else if (plan.fail_from > 0 && call >= plan.fail_from) {
    chosen = plan.from_status;
    fail = true;
  }
  if (!fail) return Status::Ok();
  ++plan.failed;
  if (chosen.has_value() && !chosen->ok()) return *chosen;
  return Status::IOError("injected fault: " + std::string(method) + " call #" +
                         std::to_string(call));
}

Status FaultInjectingStore::GetCustomer(std::string_view customer_id, v1::CustomerState* out) {
  if (Status s = Admit(reads_, "GetCustomer"); !s.ok()) return s;
  return inner_->GetCustomer(customer_id, out);
}

Status FaultInjectingStore::Commit(const state::CommitBatch& batch,
                                   std::vector<uint64_t>* outbox_sequences) {
  if (Status s = Admit(commits_, "Commit"); !s.ok()) return s;
  return inner_->Commit(batch, outbox_sequences);
}

std::optional<int64_t> FaultInjectingStore::GetOffset(std::string_view topic, int32_t partition) {
  if (!Admit(reads_, "GetOffset").ok()) return std::nullopt;
  return inner_->GetOffset(topic, partition);
}

Status FaultInjectingStore::ForEachOutbox(
    const std::function<void(uint64_t sequence, const v1::OutboxEntry&)>& fn) {
  if (Status s = Admit(reads_, "ForEachOutbox"); !s.ok()) return s;
  return inner_->ForEachOutbox(fn);
}

Status FaultInjectingStore::ForEachCustomer(
    const std::function<bool(const v1::CustomerState&)>& fn) {
  if (Status s = Admit(reads_, "ForEachCustomer"); !s.ok()) return s;
  return inner_->ForEachCustomer(fn);
}

Status FaultInjectingStore::ForEachCustomerFrom(
    std::string_view first_id, const std::function<bool(const v1::CustomerState&)>& fn) {
  if (Status s = Admit(reads_, "ForEachCustomerFrom"); !s.ok()) return s;
  return inner_->ForEachCustomerFrom(first_id, fn);
}

Status FaultInjectingStore::DueTimers(int64_t up_to_ms, size_t limit, std::vector<v1::Timer>* out) {
  if (Status s = Admit(reads_, "DueTimers"); !s.ok()) return s;
  return inner_->DueTimers(up_to_ms, limit, out);
}

Status FaultInjectingStore::ForEachImpactCounts(
    const std::function<void(const std::string& rule_id, const std::string& arm,
                             const v1::ImpactCounts& counts)>& fn) {
  if (Status s = Admit(reads_, "ForEachImpactCounts"); !s.ok()) return s;
  return inner_->ForEachImpactCounts(fn);
}

Status FaultInjectingStore::Flush() {
  return inner_->Flush();
}

std::optional<state::StoreStats> FaultInjectingStore::Stats() {
  return inner_->Stats();
}

}  // namespace touchstream::test
