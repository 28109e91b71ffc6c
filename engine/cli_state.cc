// touchstream state get --config FILE CUSTOMER_ID
#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "engine/cli.h"
#include "engine/cli_options.h"
#include "engine/engine_setup.h"

namespace touchstream::engine {

namespace po = boost::program_options;

int StateCommand(int argc, char** argv) {
  std::string action, config_path, customer_id;
  po::options_description options("state options");
  options.add_options()("action", po::value(&action)->required(), "get")(
      "config,c", po::value(&config_path)->required(), "engine configuration (YAML)")(
      "customer", po::value(&customer_id)->required(), "customer id");
  po::positional_options_description positional;
  positional.add("action", 1).add("customer", 1);
  po::variables_map vm;
  const std::string usage = "touchstream state get --config FILE CUSTOMER_ID";
  if (auto exit = ParseCommandLine(argc, argv, usage, options, &positional, &vm)) return *exit;
  if (action != "get") {
    std::cerr << "touchstream: unknown state action '" << action << "'\nusage: " << usage << "\n";
    return 2;
  }
  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
  auto store = OpenStore(*config);
  if (!store.ok()) {
    std::cerr << "touchstream: " << store.status().ToString() << "\n";
    return 1;
  }
  v1::CustomerState customer;
  Status s = (*store)->GetCustomer(customer_id, &customer);
  if (s.code() == Status::Code::kNotFound) {
    std::cerr << "touchstream: no state for customer '" << customer_id << "' in "
              << config->state.dir << "\n";
    return 1;
  }
  if (!s.ok()) {
    std::cerr << "touchstream: " << s.ToString() << "\n";
    return 1;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(customer, &json, print);
  std::cout << json;
  return 0;
}

}  // namespace touchstream::engine
