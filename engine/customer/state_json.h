// A customer state as JSON (protobuf's JSON mapping with the proto field names, every field
// printed): what `touchstream state get|export` print and the admin API serves.
#pragma once

#include <string>

#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

std::string CustomerStateJson(const v1::CustomerState& customer, bool pretty);

}  // namespace touchstream::engine
