#include "state/in_memory_store.h"

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "state/customer_codec.h"

namespace touchstream::state {

namespace {

// Values are kept encoded, as in RocksDB, so that readers get copies and decoding is exercised.
class InMemoryStore final : public StateStore {
 public:
  Status GetCustomer(std::string_view customer_id, v1::CustomerState* out) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    auto it = customers_.find(customer_id);
    if (it == customers_.end()) {
      return Status::NotFound("customer '" + std::string(customer_id) + "'");
    }
    return DecodeCustomer(it->first, it->second, out);
  }

  // Validation first, then operations that cannot fail: all or nothing.
  Status Commit(const CommitBatch& batch, std::vector<uint64_t>* outbox_sequences) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (Status valid = batch.Validate(); !valid.ok()) return valid;
    for (const CommitBatch::Operation& operation : batch.operations()) {
      std::visit([&](const auto& op) { Apply(op, outbox_sequences); }, operation);
    }
    return Status::Ok();
  }

  std::optional<int64_t> GetOffset(std::string_view topic, int32_t partition) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    auto it = offsets_.find(std::make_pair(std::string(topic), partition));
    if (it == offsets_.end()) return std::nullopt;
    return it->second;
  }

  Status ForEachOutbox(
      const std::function<void(uint64_t sequence, const v1::OutboxEntry&)>& fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    v1::OutboxEntry entry;
    for (const auto& [sequence, encoded] : outbox_) {
      if (!entry.ParseFromString(encoded)) {
        return Status::Corruption("undecodable outbox entry " + std::to_string(sequence));
      }
      fn(sequence, entry);
    }
    return Status::Ok();
  }

  Status ForEachCustomer(const std::function<bool(const v1::CustomerState&)>& fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return ForEachCustomerFrom("", fn);
  }

  Status ForEachCustomerFrom(std::string_view first_id,
                             const std::function<bool(const v1::CustomerState&)>& fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    v1::CustomerState state;
    for (auto it = customers_.lower_bound(first_id); it != customers_.end(); ++it) {
      if (Status decoded = DecodeCustomer(it->first, it->second, &state); !decoded.ok()) {
        return decoded;
      }
      if (!fn(state)) break;
    }
    return Status::Ok();
  }

  Status DueTimers(int64_t up_to_ms, size_t limit, std::vector<v1::Timer>* out) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    size_t found = 0;
    for (auto it = timers_.begin();
         it != timers_.end() && std::get<0>(it->first) <= up_to_ms && found < limit;
         ++it, ++found) {
      if (!out->emplace_back().ParseFromString(it->second)) {
        out->pop_back();
        return Status::Corruption("undecodable timer '" + std::get<2>(it->first) +
                                  "' of customer '" + std::get<1>(it->first) + "'");
      }
    }
    return Status::Ok();
  }

  Status ForEachImpactCounts(const std::function<void(const std::string&, const std::string&,
                                                      const v1::ImpactCounts&)>& fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    for (const auto& [key, counts] : impact_) fn(key.first, key.second, counts);
    return Status::Ok();
  }

  Status Flush() override { return Status::Ok(); }

 private:
  using TimerId = std::pair<std::string, std::string>;             // customer_id, name
  using TimerKey = std::tuple<int64_t, std::string, std::string>;  // fire_ms, customer_id, name

  void Apply(const CommitBatch::AddImpactCountsOp& op, std::vector<uint64_t>*) {
    AddImpactCountsTo(op.delta, &impact_[std::make_pair(op.rule_id, op.arm)]);
  }
  void Apply(const CommitBatch::PutCustomerOp& op, std::vector<uint64_t>*) {
    customers_.insert_or_assign(op.customer_id, op.encoded_state);
  }
  void Apply(const CommitBatch::DeleteCustomerOp& op, std::vector<uint64_t>*) {
    customers_.erase(op.customer_id);
  }
  void Apply(const CommitBatch::PutOffsetOp& op, std::vector<uint64_t>*) {
    offsets_.insert_or_assign(std::make_pair(op.topic, op.partition), op.next_offset);
  }
  void Apply(const CommitBatch::AddOutboxOp& op, std::vector<uint64_t>* sequences) {
    outbox_.emplace(next_outbox_sequence_, op.encoded_entry);
    if (sequences != nullptr) sequences->push_back(next_outbox_sequence_);
    ++next_outbox_sequence_;
  }
  void Apply(const CommitBatch::RemoveOutboxOp& op, std::vector<uint64_t>*) {
    outbox_.erase(op.sequence);
  }
  void Apply(const CommitBatch::PutTimerOp& op, std::vector<uint64_t>*) {
    auto [index, inserted] = timer_index_.try_emplace(TimerId(op.customer_id, op.name), op.fire_ms);
    if (!inserted) {
      timers_.erase(TimerKey(index->second, op.customer_id, op.name));
      index->second = op.fire_ms;
    }
    timers_.insert_or_assign(TimerKey(op.fire_ms, op.customer_id, op.name), op.encoded_timer);
  }
  void Apply(const CommitBatch::DeleteTimerOp& op, std::vector<uint64_t>*) {
    timers_.erase(TimerKey(op.fire_ms, op.customer_id, op.name));
    auto index = timer_index_.find(TimerId(op.customer_id, op.name));
    if (index != timer_index_.end() && index->second == op.fire_ms) timer_index_.erase(index);
  }

  std::map<std::string, std::string, std::less<>> customers_;
  std::map<std::pair<std::string, int32_t>, int64_t> offsets_;
  std::map<uint64_t, std::string> outbox_;
  std::map<TimerKey, std::string> timers_;
  std::map<TimerId, int64_t> timer_index_;
  std::map<std::pair<std::string, std::string>, v1::ImpactCounts> impact_;  // rule id, arm
  uint64_t next_outbox_sequence_ = 1;
  // Held by every public method (recursive: a ForEach callback may call the store again).
  std::recursive_mutex mu_;
};

}  // namespace

std::unique_ptr<StateStore> NewInMemoryStore() {
  return std::make_unique<InMemoryStore>();
}

}  // namespace touchstream::state
