#include "engine/policy/holdout.h"

#include <cmath>
#include <cstdint>

#include "engine/core/ids.h"

namespace touchstream::engine {

namespace {
constexpr uint64_t kBuckets = 1000000;  // percent * 10000
}

bool InHoldout(std::string_view salt, std::string_view customer_id, double percent) {
  const uint64_t bucket = StableHash64({"holdout", salt, customer_id}) % kBuckets;
  return bucket < static_cast<uint64_t>(std::llround(percent * (kBuckets / 100)));
}

std::string_view HoldoutArm(const rules::RulePolicy& rule, const PolicyConfig& config,
                            std::string_view customer_id) {
  if (rule.holdout_percent <= 0) return {};
  auto salt = config.experiment_salts.find(rule.experiment);
  const std::string_view s =
      salt != config.experiment_salts.end() ? std::string_view(salt->second) : rule.experiment;
  return InHoldout(s, customer_id, rule.holdout_percent) ? kHoldoutArm : kTreatmentArm;
}

}  // namespace touchstream::engine
