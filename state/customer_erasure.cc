#include "state/customer_erasure.h"

#include <string>
#include <vector>

namespace touchstream::state {

Result<ErasureCounts> EraseCustomer(StateStore* store, std::string_view customer_id) {
  ErasureCounts counts;
  CommitBatch batch;
  v1::CustomerState state;
  Status found = store->GetCustomer(customer_id, &state);
  if (found.ok()) {
    counts.had_state = true;
    for (const auto& [name, fire_ms] : state.timers()) {
      v1::Timer timer;
      timer.set_customer_id(std::string(customer_id));
      timer.set_name(name);
      timer.set_fire_ms(fire_ms);
      batch.DeleteTimer(timer);
      ++counts.timers;
    }
  } else if (found.code() != Status::Code::kNotFound) {
    return found;
  }
  batch.DeleteCustomer(std::string(customer_id));
  std::vector<uint64_t> outbox;
  Status scan = store->ForEachOutbox([&](uint64_t sequence, const v1::OutboxEntry& entry) {
    if (entry.key() == customer_id) outbox.push_back(sequence);
  });
  if (!scan.ok()) return scan;
  for (uint64_t sequence : outbox) batch.RemoveOutbox(sequence);
  counts.outbox_entries = outbox.size();
  if (Status s = store->Commit(batch, nullptr); !s.ok()) return s;
  return counts;
}

}  // namespace touchstream::state
