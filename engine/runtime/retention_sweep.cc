#include "engine/runtime/retention_sweep.h"

namespace touchstream::engine {

Result<RetentionSweep::StepResult> RetentionSweep::Step(int64_t now_ms,
                                                        std::vector<v1::OutboxEntry>* out) {
  StepResult result;
  if (!enabled()) return result;
  const int64_t cutoff_ms = now_ms - retention_ms_;
  std::vector<std::string> expired;
  std::string last_id;
  size_t examined = 0;
  // Ids are collected first: erasing goes through the cache, not under the store's iterator.
  Status scan = store_->ForEachCustomerFrom(cursor_, [&](const v1::CustomerState& customer) {
    last_id = customer.customer_id();
    if (customer.last_seen_ms() > 0 && customer.last_seen_ms() < cutoff_ms &&
        !(hold_ && hold_(customer.customer_id()))) {
      expired.push_back(customer.customer_id());
    }
    return ++examined < batch_;
  });
  if (!scan.ok()) return scan;
  for (const std::string& customer_id : expired) {
    auto erased = processor_->EraseCustomer(customer_id, out);
    if (!erased.ok()) return erased.status();
    metrics_->CustomerExpired();
  }
  result.expired = expired.size();
  result.wrapped = examined < batch_;
  // The smallest id after last_id is last_id followed by a NUL byte.
  cursor_ = result.wrapped ? std::string() : last_id + std::string(1, '\0');
  return result;
}

}  // namespace touchstream::engine
