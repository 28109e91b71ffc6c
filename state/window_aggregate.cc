#include "state/window_aggregate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "proto/window_read.h"

namespace touchstream::state {

namespace {

// The first bucket index inside the window as of latest_ms.
int64_t FirstLiveIndex(const v1::WindowState& window, int64_t latest_ms) {
  return WindowBucketIndex(latest_ms, window.bucket_ms()) -
         window.window_ms() / window.bucket_ms() + 1;
}

uint64_t Fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

uint64_t TaggedHash(char tag, std::string_view bytes) {
  return Fmix64(Fnv1a64(bytes, Fnv1a64(std::string_view(&tag, 1))));
}

uint64_t IntHash(int64_t v) {
  return TaggedHash('i', std::to_string(v));
}

}  // namespace

uint64_t Fnv1a64(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

void ResetWindow(const WindowDeclaration& declaration, v1::WindowState* window) {
  window->Clear();
  window->set_kind(declaration.kind);
  window->set_window_ms(declaration.window_ms);
  window->set_bucket_ms(declaration.bucket_ms);
  window->set_declaration(declaration.Fingerprint());
  if (declaration.kind == v1::WindowState::DISTINCT) {
    window->set_distinct_limit(declaration.distinct_limit);
  }
}

void ExpireWindow(int64_t latest_ms, v1::WindowState* window) {
  if (window->bucket_ms() <= 0) return;
  const int64_t first = FirstLiveIndex(*window, latest_ms);
  auto* buckets = window->mutable_buckets();
  int expired = 0;
  while (expired < buckets->size() && buckets->Get(expired).index() < first) ++expired;
  if (expired > 0) buckets->DeleteSubrange(0, expired);

  // Distinct entries are ordered by hash, not time: compact in place.
  auto* hashes = window->mutable_distinct_hashes();
  auto* last = window->mutable_distinct_last_index();
  int kept = 0;
  for (int i = 0; i < last->size(); ++i) {
    if (last->Get(i) < first) continue;
    hashes->Set(kept, hashes->Get(i));
    last->Set(kept, last->Get(i));
    ++kept;
  }
  hashes->Truncate(kept);
  last->Truncate(kept);
  if (window->sampling_threshold() != 0 && window->dropped_index() < first) {
    // Every value seen inside the window was kept: exact again.
    window->set_sampling_threshold(0);
    window->set_dropped_index(0);
  }
}

bool AddToWindow(int64_t time_ms, double value, int64_t latest_ms, v1::WindowState* window) {
  if (window->bucket_ms() <= 0 || window->kind() == v1::WindowState::DISTINCT) return false;
  const int64_t index = WindowBucketIndex(time_ms, window->bucket_ms());
  if (index < FirstLiveIndex(*window, latest_ms)) return false;
  auto* buckets = window->mutable_buckets();
  // Buckets are ascending; in-order events land in the last one or a new last one.
  int pos = buckets->size();
  while (pos > 0 && buckets->Get(pos - 1).index() > index) --pos;
  v1::WindowBucket* bucket = nullptr;
  if (pos > 0 && buckets->Get(pos - 1).index() == index) {
    bucket = buckets->Mutable(pos - 1);
  } else {
    bucket = buckets->Add();
    for (int i = buckets->size() - 1; i > pos; --i) buckets->SwapElements(i, i - 1);
    bucket = buckets->Mutable(pos);
    bucket->set_index(index);
  }
  const bool first_in_bucket = bucket->count() == 0;
  bucket->set_count(bucket->count() + 1);
  switch (window->kind()) {
    case v1::WindowState::SUM:
    case v1::WindowState::AVG:
      bucket->set_sum(bucket->sum() + value);
      break;
    case v1::WindowState::MIN:
      bucket->set_min(first_in_bucket ? value : std::min(bucket->min(), value));
      break;
    case v1::WindowState::MAX:
      bucket->set_max(first_in_bucket ? value : std::max(bucket->max(), value));
      break;
    default:
      break;
  }
  return true;
}

bool AddDistinctToWindow(int64_t time_ms, uint64_t hash, int64_t latest_ms,
                         v1::WindowState* window) {
  if (window->bucket_ms() <= 0 || window->kind() != v1::WindowState::DISTINCT) return false;
  const int64_t index = WindowBucketIndex(time_ms, window->bucket_ms());
  if (index < FirstLiveIndex(*window, latest_ms)) return false;
  auto* hashes = window->mutable_distinct_hashes();
  auto* last = window->mutable_distinct_last_index();
  const int pos =
      static_cast<int>(std::lower_bound(hashes->begin(), hashes->end(), hash) - hashes->begin());
  if (pos < hashes->size() && hashes->Get(pos) == hash) {
    last->Set(pos, std::max(last->Get(pos), index));
    return true;
  }
  if (window->sampling_threshold() != 0 && hash >= window->sampling_threshold()) {
    window->set_dropped_index(std::max(window->dropped_index(), index));
    return true;
  }
  hashes->Add(hash);
  last->Add(index);
  std::rotate(hashes->begin() + pos, hashes->end() - 1, hashes->end());
  std::rotate(last->begin() + pos, last->end() - 1, last->end());
  const int limit = std::max(1, window->distinct_limit());
  if (hashes->size() > limit) {
    // Sample from now on: keep only hashes below the largest kept one, which is dropped.
    const int end = hashes->size() - 1;
    const bool sampling = window->sampling_threshold() != 0;
    window->set_sampling_threshold(hashes->Get(end));
    window->set_dropped_index(sampling ? std::max(window->dropped_index(), last->Get(end))
                                       : last->Get(end));
    hashes->RemoveLast();
    last->RemoveLast();
  }
  return true;
}

bool NumericValue(const v1::Value& value, double* out) {
  switch (value.kind_case()) {
    case v1::Value::kIntValue:
      *out = static_cast<double>(value.int_value());
      return true;
    case v1::Value::kDoubleValue:
      if (!std::isfinite(value.double_value())) return false;
      *out = value.double_value();
      return true;
    default:
      return false;
  }
}

bool DistinctHash(const v1::Value& value, uint64_t* out) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue:
      *out = TaggedHash('s', value.string_value());
      return true;
    case v1::Value::kIntValue:
      *out = IntHash(value.int_value());
      return true;
    case v1::Value::kDoubleValue: {
      const double d = value.double_value();
      if (d == std::trunc(d) && std::fabs(d) < 9.2e18) {
        *out = IntHash(static_cast<int64_t>(d));  // also maps -0.0 to 0
        return true;
      }
      uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof bits);
      *out = TaggedHash('d', std::string_view(reinterpret_cast<const char*>(&bits), sizeof bits));
      return true;
    }
    case v1::Value::kBoolValue:
      *out = TaggedHash('b', value.bool_value() ? "1" : "0");
      return true;
    case v1::Value::kTimestampMs:
      *out = TaggedHash('t', std::to_string(value.timestamp_ms()));
      return true;
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return false;
}

}  // namespace touchstream::state
