#include "state/customer_codec.h"

#include <array>
#include <string>

namespace touchstream::state {

namespace {

// Upgrade steps, in order: kUpgrades[i] turns a version i + 1 state into a version i + 2 state
// (none yet: version 1 is the only version). Adding version N = appending its step here.
using UpgradeStep = void (*)(v1::CustomerState*);
constexpr std::array<UpgradeStep, kCustomerSchemaVersion - 1> kUpgrades = {};

}  // namespace

Status DecodeCustomer(std::string_view customer_id, std::string_view bytes,
                      v1::CustomerState* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("undecodable state of customer '" + std::string(customer_id) + "'");
  }
  uint32_t version = out->schema_version() == 0 ? 1 : out->schema_version();
  if (version > kCustomerSchemaVersion) {
    return Status::InvalidArgument(
        "state of customer '" + std::string(customer_id) + "' has schema version " +
        std::to_string(version) + ", newer than the newest this build knows (" +
        std::to_string(kCustomerSchemaVersion) +
        "); it is left untouched: run a newer touchstream on this store");
  }
  for (; version < kCustomerSchemaVersion; ++version) kUpgrades[version - 1](out);
  out->set_schema_version(kCustomerSchemaVersion);
  return Status::Ok();
}

}  // namespace touchstream::state
