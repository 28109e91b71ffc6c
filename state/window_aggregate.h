// Writing windowed aggregates (v1::WindowState): adding events to time buckets, expiring
// buckets, and the distinct-value hash. Reading is proto/window_read.h.
//
// Size bound per window: at most window_ms / bucket_ms buckets (<= 1000) for the bucketed
// kinds, at most distinct_limit (<= 1024) entries for DISTINCT; everything older than the
// window as of the customer's latest event is deleted when the next event is applied.
//
// Order independence: the updates are commutative (bucket counts, sums, minima, maxima; the
// latest bucket of a distinct value), so any arrival order of the same events gives the same
// window as long as each event is applied with latest_ms = the largest event time seen so far
// (as CustomerAnalytics does) and no value has been sampled away. Two exceptions: rounding of
// double sums within one bucket follows arrival order, and once a DISTINCT window samples
// (more than distinct_limit values), which values the sample keeps can depend on the order.
//
// Pure functions of their arguments (they change only the window passed); thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "state/window_declaration.h"
#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

// Makes *window the empty window of `declaration` (kind, window, bucket, limit, fingerprint).
void ResetWindow(const WindowDeclaration& declaration, v1::WindowState* window);

// Deletes what is outside the window as of latest_ms (buckets and distinct entries whose index
// is at most WindowBucketIndex(latest_ms) - n), and ends DISTINCT sampling when the last
// dropped value has left the window.
void ExpireWindow(int64_t latest_ms, v1::WindowState* window);

// Adds one event with time time_ms (<= latest_ms) and numeric value `value` (ignored for
// COUNT) to a COUNT, SUM, MIN, MAX or AVG window. Returns false, changing nothing, when the
// event's bucket is already outside the window as of latest_ms (its value could never be
// read by a reader at latest_ms or later).
bool AddToWindow(int64_t time_ms, double value, int64_t latest_ms, v1::WindowState* window);

// Adds one event with time time_ms whose value hashes to `hash` (DistinctHash) to a DISTINCT
// window. Same return as AddToWindow. Keeps at most distinct_limit values (see state.proto
// WindowState for the sampling that takes over beyond it).
bool AddDistinctToWindow(int64_t time_ms, uint64_t hash, int64_t latest_ms,
                         v1::WindowState* window);

// The number a COUNT/SUM/MIN/MAX/AVG window aggregates from a property value: int and double
// values (finite). False for other kinds (string, bool, timestamp, unset) and non-finite
// doubles; such events are not counted.
bool NumericValue(const v1::Value& value, double* out);

// The stable 64-bit hash of a property value for DISTINCT (part of the storage format):
// FNV-1a over a kind tag and a canonical encoding, then the MurmurHash3 64-bit finalizer.
// An int and a double with the same integral value hash alike (3 and 3.0 are one value);
// strings are compared byte for byte; unset values are false (not counted).
bool DistinctHash(const v1::Value& value, uint64_t* out);

// FNV-1a, 64 bits.
uint64_t Fnv1a64(std::string_view bytes, uint64_t seed = 14695981039346656037ull);

}  // namespace touchstream::state
