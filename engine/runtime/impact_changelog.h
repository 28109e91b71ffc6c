// Impact counters across instances (docs/scaling-out.md#impact-across-instances).
//
// Each instance counts, in its own store, the decisions and conversions it processed
// (ImpactTracker). So that `touchstream report impact` gives a deployment's totals whatever the
// number of instances and however partitions moved, every commit that adds to an instance's
// counters also writes, through the changelog (ChangelogWriter::ImpactRecord), that instance's
// new absolute counters of each (rule, arm) it touched, under a key naming the instance. The
// instance id is random, created with the store and kept in it: a store that is lost takes its
// id along, and the counters it had counted stay in the changelog under the old id. The
// deployment's counters are the sum, over instance ids, of each id's latest record
// (ReadImpactFromChangelog), which a compacted changelog keeps.
//
// Functions; not thread-safe with respect to the store (use from its thread).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/partition_reader.h"
#include "engine/runtime/changelog_writer.h"
#include "state/commit_batch.h"
#include "state/state_store.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// The store's instance id (decimal); created and committed at the first call. Errors: the
// store's.
Result<std::string> StoreInstanceId(state::StateStore* store);

// Appends to *out one impact record for every (rule, arm) `batch` adds counts to: the store's
// counters plus the batch's additions (the batch is not committed yet). Errors: the store's.
Status AppendImpactRecords(const state::CommitBatch& batch, state::StateStore* store,
                           const ChangelogWriter& writer, const std::string& instance_id,
                           std::vector<v1::OutboxEntry>* out);

// Reads every partition of `topic` from its start and commits into `into` (an empty store, e.g.
// state/in_memory_store.h) the sum over instances of each instance's latest counters, so that
// WriteImpactReport(into, ...) prints the deployment's report. Errors: the reader's (naming
// the partition), Corruption naming a record that does not decode, the store's.
Status ReadImpactFromChangelog(connectors::PartitionReader* reader, const std::string& topic,
                               state::StateStore* into);

}  // namespace touchstream::engine
