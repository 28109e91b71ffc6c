#include "engine/customer/state_json.h"

#include <google/protobuf/util/json_util.h>

namespace touchstream::engine {

std::string CustomerStateJson(const v1::CustomerState& customer, bool pretty) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = pretty;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(customer, &json, print);
  return json;
}

}  // namespace touchstream::engine
