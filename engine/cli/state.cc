// touchstream state get|erase --config FILE CUSTOMER_ID
// touchstream state export --config FILE
#include <iostream>

#include "connectors/kafka_sink.h"
#include "connectors/partition_reader.h"
#include "engine/cli/commands.h"
#include "engine/cli/options.h"
#include "engine/customer/state_json.h"
#include "engine/runtime/changelog_writer.h"
#include "engine/runtime/engine_setup.h"
#include "state/commit_batch.h"
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

constexpr int kKafkaTimeoutMs = 10000;

// With state.changelog on, a restore of the customer's partition would bring the erased
// customer back from the changelog: writes the tombstones of its state and of every timer the
// store holds for it (as the running engine's erase does), and waits until Kafka has them.
// Returns how many; the error naming the changelog when they cannot be delivered.
Result<size_t> WriteErasureTombstones(const EngineConfig& config, state::StateStore* store,
                                      const std::string& customer_id) {
  if (config.kafka.bootstrap_servers == "embedded") {
    return Status::InvalidArgument(
        "state.changelog is on and kafka.bootstrap_servers is 'embedded': no broker outlives "
        "the engine to take the changelog tombstones; erase through the running engine "
        "(DELETE /customers/<id> or an erase event)");
  }
  const std::string topic = ChangelogTopicOf(config);
  auto reader = connectors::PartitionReader::Create(
      {config.kafka.bootstrap_servers, config.kafka.consumer_properties, kKafkaTimeoutMs});
  if (!reader.ok()) return reader.status();
  auto partitions = (*reader)->PartitionCount(topic, kKafkaTimeoutMs);
  if (!partitions.ok()) {
    return Status::Unavailable("changelog topic '" + topic + "': " + partitions.status().message());
  }
  state::CommitBatch batch;
  batch.DeleteCustomer(customer_id);
  v1::CustomerState customer;
  if (Status found = store->GetCustomer(customer_id, &customer); found.ok()) {
    for (const auto& [name, fire_ms] : customer.timers()) {
      v1::Timer timer;
      timer.set_customer_id(customer_id);
      timer.set_name(name);
      timer.set_fire_ms(fire_ms);
      batch.DeleteTimer(timer);
    }
  } else if (found.code() != Status::Code::kNotFound) {
    return found;
  }
  const ChangelogWriter writer(
      topic, config.kafka.input_topics,
      ParsePartitioner(config.kafka.partitioner).value_or(Partitioner::kConsistentRandom),
      *partitions);
  std::vector<v1::OutboxEntry> records;
  writer.AppendRecords(
      batch, [](const std::string&, int32_t) { return std::nullopt; }, &records);
  auto sink = connectors::KafkaSink::Create(
      {config.kafka.bootstrap_servers, config.kafka.producer_properties});
  if (!sink.ok()) return sink.status();
  uint64_t token = 0;
  for (const v1::OutboxEntry& record : records) {
    std::vector<std::pair<std::string, std::string>> headers(record.headers().begin(),
                                                             record.headers().end());
    Status produced = (*sink)->Produce(record.topic(), record.key(), record.value(), headers,
                                       ++token, record.has_partition() ? record.partition() : -1);
    if (!produced.ok()) return produced;
  }
  std::vector<connectors::DeliveryReport> reports;
  if (Status flushed = (*sink)->Flush(kKafkaTimeoutMs, &reports); !flushed.ok()) return flushed;
  for (const connectors::DeliveryReport& report : reports) {
    if (!report.status.ok()) return report.status;
  }
  return records.size();
}

int Erase(const EngineConfig& config, state::StateStore* store, const std::string& customer_id) {
  size_t tombstones = 0;
  if (config.state.changelog) {
    // First: when Kafka cannot take them, nothing is erased and the erase can be retried.
    auto written = WriteErasureTombstones(config, store, customer_id);
    if (!written.ok()) {
      std::cerr << "touchstream: nothing erased: " << written.status().ToString() << "\n";
      return 1;
    }
    tombstones = *written;
  }
  auto erased = state::EraseCustomer(store, customer_id);
  if (!erased.ok()) {
    std::cerr << "touchstream: " << erased.status().ToString() << "\n";
    return 1;
  }
  std::cout << "erased customer '" << customer_id
            << "': " << (erased->had_state ? "state" : "no state") << ", " << erased->timers
            << " timers, " << erased->outbox_entries << " unsent messages";
  if (config.state.changelog) std::cout << ", " << tombstones << " changelog tombstones";
  std::cout << "\n";
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
  if (action == "erase") return Erase(*config, store->get(), customer_id);
  return Export(store->get());
}

}  // namespace touchstream::engine
