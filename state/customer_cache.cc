#include "state/customer_cache.h"

#include <algorithm>
#include <utility>

#include "state/customer_codec.h"

namespace touchstream::state {

CustomerCache::CustomerCache(StateStore* store, size_t capacity)
    : store_(store), capacity_(capacity) {}

Result<CustomerCache::Entry*> CustomerCache::Lookup(std::string_view customer_id) {
  // The processor asks for the same customer several times per event.
  if (last_ != nullptr && **last_->lru_position == customer_id) return last_;
  if (auto it = entries_.find(customer_id); it != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru_position);
    last_ = &it->second;
    return last_;
  }
  v1::CustomerState state;
  Status status = store_->GetCustomer(customer_id, &state);
  if (!status.ok()) return status;
  return Insert(customer_id, std::move(state));
}

CustomerCache::Entry* CustomerCache::Insert(std::string_view customer_id, v1::CustomerState state) {
  auto [it, inserted] = entries_.try_emplace(std::string(customer_id));
  Entry& entry = it->second;
  entry.state = std::move(state);
  lru_.push_front(&it->first);
  entry.lru_position = lru_.begin();
  last_ = &entry;
  return &entry;
}

namespace {
v1::CustomerState FreshState(std::string_view customer_id) {
  v1::CustomerState fresh;
  fresh.set_schema_version(kCustomerSchemaVersion);
  fresh.set_customer_id(std::string(customer_id));
  return fresh;
}
}  // namespace

Result<v1::CustomerState*> CustomerCache::GetForUpdate(std::string_view customer_id) {
  Result<Entry*> found = Lookup(customer_id);
  Entry* entry = nullptr;
  if (found.ok()) {
    entry = *found;
    if (entry->erased) {
      entry->state = FreshState(customer_id);
      entry->erased = false;
    }
  } else if (found.status().code() == Status::Code::kNotFound) {
    entry = Insert(customer_id, FreshState(customer_id));
  } else {
    return found.status();
  }
  if (!entry->dirty) {
    entry->dirty = true;
    dirty_.push_back(entry);
  }
  return &entry->state;
}

Status CustomerCache::Get(std::string_view customer_id, v1::CustomerState* out) {
  Result<Entry*> found = Lookup(customer_id);
  if (!found.ok()) return found.status();
  if ((*found)->erased) return Status::NotFound("customer '" + std::string(customer_id) + "'");
  *out = (*found)->state;
  return Status::Ok();
}

const v1::CustomerState* CustomerCache::Peek(std::string_view customer_id) const {
  auto it = entries_.find(customer_id);
  return it == entries_.end() || it->second.erased ? nullptr : &it->second.state;
}

void CustomerCache::Erase(std::string_view customer_id) {
  auto it = entries_.find(customer_id);
  Entry* entry = it != entries_.end() ? &it->second : Insert(customer_id, {});
  entry->state.Clear();
  entry->erased = true;
  if (!entry->dirty) {
    entry->dirty = true;
    dirty_.push_back(entry);
  }
}

size_t CustomerCache::DropClean(const std::function<bool(std::string_view customer_id)>& drop) {
  size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.dirty || !drop(it->first)) {
      ++it;
      continue;
    }
    if (&it->second == last_) last_ = nullptr;
    lru_.erase(it->second.lru_position);
    it = entries_.erase(it);
    ++dropped;
  }
  return dropped;
}

void CustomerCache::AddDirtyTo(CommitBatch* batch) const {
  for (const Entry* entry : dirty_) {
    if (entry->erased) {
      batch->DeleteCustomer(**entry->lru_position);
    } else {
      batch->PutCustomer(entry->state);
    }
  }
}

void CustomerCache::MarkCommitted() {
  last_ = nullptr;
  for (Entry* entry : dirty_) {
    entry->dirty = false;
    if (!entry->erased) continue;
    auto it = entries_.find(**entry->lru_position);
    lru_.erase(entry->lru_position);
    entries_.erase(it);
  }
  dirty_.clear();
  // Every entry is clean now, so the least recently used ones can go.
  while (entries_.size() > capacity_) {
    auto oldest = entries_.find(*lru_.back());
    lru_.pop_back();
    entries_.erase(oldest);
  }
}

}  // namespace touchstream::state
