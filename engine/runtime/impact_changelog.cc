#include "engine/runtime/impact_changelog.h"

#include <limits>
#include <map>
#include <random>
#include <utility>
#include <variant>

namespace touchstream::engine {

namespace {

// The store keeps the instance id as the "offset" of this pseudo topic (an offset key of the
// store's meta data; no input topic has this name).
constexpr char kInstanceIdKey[] = "touchstream.impact.instance_id";
constexpr int kMetadataTimeoutMs = 10000;

void Add(const v1::ImpactCounts& delta, v1::ImpactCounts* total) {
  total->set_decisions(total->decisions() + delta.decisions());
  total->set_sent(total->sent() + delta.sent());
  total->set_converted(total->converted() + delta.converted());
  total->set_conversion_value(total->conversion_value() + delta.conversion_value());
}

}  // namespace

Result<std::string> StoreInstanceId(state::StateStore* store) {
  if (std::optional<int64_t> id = store->GetOffset(kInstanceIdKey, 0); id.has_value() && *id > 0) {
    return std::to_string(*id);
  }
  std::random_device device;
  std::uniform_int_distribution<int64_t> draw(1, std::numeric_limits<int64_t>::max());
  const int64_t id = draw(device);
  state::CommitBatch batch;
  batch.PutOffset(kInstanceIdKey, 0, id);
  if (Status s = store->Commit(batch, nullptr); !s.ok()) return s;
  return std::to_string(id);
}

Status AppendImpactRecords(const state::CommitBatch& batch, state::StateStore* store,
                           const ChangelogWriter& writer, const std::string& instance_id,
                           std::vector<v1::OutboxEntry>* out) {
  std::map<std::pair<std::string, std::string>, v1::ImpactCounts> touched;
  for (const state::CommitBatch::Operation& operation : batch.operations()) {
    if (const auto* op = std::get_if<state::CommitBatch::AddImpactCountsOp>(&operation)) {
      Add(op->delta, &touched[{op->rule_id, op->arm}]);
    }
  }
  if (touched.empty()) return Status::Ok();
  Status read = store->ForEachImpactCounts(
      [&](const std::string& rule_id, const std::string& arm, const v1::ImpactCounts& counts) {
        if (auto it = touched.find({rule_id, arm}); it != touched.end()) Add(counts, &it->second);
      });
  if (!read.ok()) return read;
  for (const auto& [key, counts] : touched) {
    out->push_back(writer.ImpactRecord(instance_id, key.first, key.second, counts));
  }
  return Status::Ok();
}

Status ReadImpactFromChangelog(connectors::PartitionReader* reader, const std::string& topic,
                               state::StateStore* into) {
  auto partitions = reader->PartitionCount(topic, kMetadataTimeoutMs);
  if (!partitions.ok()) return partitions.status();
  // The latest counters per instance, rule and arm (the full key).
  std::map<std::string, v1::ImpactCounts> latest;
  Status bad;
  for (int32_t p = 0; p < *partitions; ++p) {
    auto end = reader->ReadToEnd(topic, p, 0, [&](const connectors::SourceRecord& r) {
      bool impact = false;
      for (const auto& [name, value] : r.headers) {
        if (name == kChangelogKindHeader) impact = value == kChangelogImpactKind;
      }
      if (!impact) return;
      v1::ImpactCounts counts;
      if (!counts.ParseFromString(r.value)) {
        if (bad.ok()) {
          bad = Status::Corruption("changelog " + topic + "[" + std::to_string(p) + "] offset " +
                                   std::to_string(r.offset) + ": impact counters do not decode");
        }
        return;
      }
      latest[r.key] = counts;
    });
    if (!end.ok()) return end.status();
  }
  if (!bad.ok()) return bad;
  std::map<std::pair<std::string, std::string>, v1::ImpactCounts> sums;
  for (const auto& [key, counts] : latest) {
    std::string rule_id, arm;
    if (!ParseChangelogImpactKey(key, &rule_id, &arm)) continue;
    Add(counts, &sums[{rule_id, arm}]);
  }
  state::CommitBatch batch;
  for (const auto& [key, counts] : sums) batch.AddImpactCounts(key.first, key.second, counts);
  return into->Commit(batch, nullptr);
}

}  // namespace touchstream::engine
