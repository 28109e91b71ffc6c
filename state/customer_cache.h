// CustomerCache: a write-back cache of hot customer states in front of a StateStore.
//
// The processing thread reads and modifies states here; FlushDirtyInto, called at each commit,
// puts every modified ("dirty") state into the commit's batch and then trims the cache to its
// capacity by evicting the least recently used entries (all clean at that point). Between two
// flushes the cache may hold more than `capacity` entries: dirty entries are never evicted, so
// nothing modified is lost and pointers from GetForUpdate stay valid. Erasing a customer is a
// change like any other: the entry becomes a dirty "erased" marker, the customer reads as
// absent until the flush, and the flush puts its deletion into the batch.
//
// Thread safety: none; owned and used by one processing thread.
// Ownership: the store is not owned and must outlive the cache.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "state/commit_batch.h"
#include "state/state_store.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

class CustomerCache {
 public:
  // `capacity`: entries kept after a flush.
  CustomerCache(StateStore* store, size_t capacity);
  CustomerCache(const CustomerCache&) = delete;
  CustomerCache& operator=(const CustomerCache&) = delete;

  // The customer's state for modification: cached, else loaded from the store (once), else a
  // fresh state (current schema_version, customer_id set; also after Erase). The entry is marked
  // dirty. The pointer is owned by the cache and valid until the next FlushDirtyInto or Erase of
  // this customer. Errors: the store's (Corruption, IOError); nothing is cached then.
  Result<v1::CustomerState*> GetForUpdate(std::string_view customer_id);

  // Copies the customer's state into *out (caching it clean when loaded from the store).
  // NotFound when the customer is neither cached nor stored, or erased since the last flush
  // (*out untouched); store errors.
  Status Get(std::string_view customer_id, v1::CustomerState* out);

  // The cached state, without loading or touching the LRU order: null when the customer is
  // not cached or erased since the last flush. Valid as GetForUpdate's pointer is.
  const v1::CustomerState* Peek(std::string_view customer_id) const;

  // Erases the customer: unflushed changes are discarded, the customer reads as absent, and
  // the next FlushDirtyInto deletes the stored state (right to be forgotten, retention).
  // Harmless for a customer that is not stored.
  void Erase(std::string_view customer_id);

  // Adds each dirty state to `batch` once (PutCustomer, or DeleteCustomer when erased) and
  // changes nothing in the cache: when the commit of `batch` fails, the states stay dirty and
  // the next AddDirtyTo adds them again (with any later change).
  void AddDirtyTo(CommitBatch* batch) const;
  // The batch of the last AddDirtyTo was committed: all entries become clean (erased ones leave
  // the cache), then least recently used entries are evicted until at most `capacity` remain.
  void MarkCommitted();
  // AddDirtyTo then MarkCommitted, for callers whose commit cannot fail half-way.
  void FlushDirtyInto(CommitBatch* batch) {
    AddDirtyTo(batch);
    MarkCommitted();
  }

  // Forgets every clean entry whose customer id satisfies `drop` (their stored states changed
  // behind the cache: a partition restored or dropped); dirty entries stay. Returns how many.
  size_t DropClean(const std::function<bool(std::string_view customer_id)>& drop);

  size_t size() const { return entries_.size(); }
  size_t dirty_count() const { return dirty_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  struct Entry {
    v1::CustomerState state;
    bool dirty = false;
    // Erased since the last flush (then also dirty); `state` is empty.
    bool erased = false;
    // Position in lru_.
    std::list<const std::string*>::iterator lru_position;
  };
  using EntryMap = std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>;

  // The cached entry (made most recently used), or the one loaded from the store; nullptr
  // with NotFound when the store has none.
  Result<Entry*> Lookup(std::string_view customer_id);
  Entry* Insert(std::string_view customer_id, v1::CustomerState state);

  StateStore* store_;
  size_t capacity_;
  EntryMap entries_;
  // Keys of entries_ (element keys are stable), most recently used first.
  std::list<const std::string*> lru_;
  // Dirty entries, each once.
  std::vector<Entry*> dirty_;
  // The entry of the last Lookup or Insert (the front of lru_), or null; reset whenever
  // entries leave the map.
  Entry* last_ = nullptr;
};

}  // namespace touchstream::state
