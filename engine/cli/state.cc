// touchstream state get|erase --config FILE CUSTOMER_ID
// touchstream state export --config FILE
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/customer/state_json.h"
#include "engine/runtime/engine_setup.h"
#include "state/customer_erasure.h"

namespace touchstream::engine {

namespace po = boost::program_options;

namespace {

int Get(state::StateStore* store, const std::string& customer_id, const std::string& dir) {
  v1::CustomerState customer;
  Status s = store->GetCustomer(customer_id, &customer);
  if (s.code() == Status::Code::kNotFound) {
    std::cerr << "touchstream: no state for customer '" << customer_id << "' in " << dir << "\n";
    return 1;
  }
  if (!s.ok()) {
    std::cerr << "touchstream: " << s.ToString() << "\n";
    return 1;
  }
  std::cout << CustomerStateJson(customer, true);
  return 0;
}

int Erase(state::StateStore* store, const std::string& customer_id) {
  auto erased = state::EraseCustomer(store, customer_id);
  if (!erased.ok()) {
    std::cerr << "touchstream: " << erased.status().ToString() << "\n";
    return 1;
  }
  std::cout << "erased customer '" << customer_id
            << "': " << (erased->had_state ? "state" : "no state") << ", " << erased->timers
            << " timers, " << erased->outbox_entries << " unsent messages\n";
  return 0;
}

int Export(state::StateStore* store) {
  int64_t count = 0;
  Status s = store->ForEachCustomer([&](const v1::CustomerState& customer) {
    std::cout << CustomerStateJson(customer, false) << "\n";
    ++count;
    return true;
  });
  if (!s.ok()) {
    std::cerr << "touchstream: " << s.ToString() << " (after " << count << " customers)\n";
    return 1;
  }
  std::cerr << "touchstream: exported " << count << " customers\n";
  return 0;
}

}  // namespace

int StateCommand(int argc, char** argv) {
  std::string action, config_path, customer_id;
  po::options_description options("state options");
  options.add_options()("action", po::value(&action)->required(), "get, erase or export")(
      "config,c", po::value(&config_path)->required(), "engine configuration (YAML)")(
      "customer", po::value(&customer_id), "customer id (get, erase)");
  po::positional_options_description positional;
  positional.add("action", 1).add("customer", 1);
  po::variables_map vm;
  const std::string usage =
      "touchstream state get|erase --config FILE CUSTOMER_ID\n"
      "       touchstream state export --config FILE";
  if (auto exit = ParseCommandLine(argc, argv, usage, options, &positional, &vm)) return *exit;
  const bool needs_customer = action == "get" || action == "erase";
  if ((!needs_customer && action != "export") || (needs_customer && customer_id.empty())) {
    std::cerr << "touchstream: expected get CUSTOMER_ID, erase CUSTOMER_ID or export\nusage: "
              << usage << "\n";
    return 2;
  }
  auto config = LoadConfigOrReport(config_path, std::cerr);
  if (!config.ok()) return 1;
  auto store = OpenStore(*config);
  if (!store.ok()) {
    std::cerr << "touchstream: " << store.status().ToString() << "\n";
    return 1;
  }
  if (action == "get") return Get(store->get(), customer_id, config->state.dir);
  if (action == "erase") return Erase(store->get(), customer_id);
  return Export(store->get());
}

}  // namespace touchstream::engine
