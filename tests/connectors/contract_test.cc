// The channel contract (docs/channels.md): the released wire schema of touchstream.v1 (field
// numbers, names, types, labels) and the JSON forms of Action, Decision and TouchpointEvent,
// compared with checked-in golden files. A released field may never change or disappear; a new
// field (an additive change) must be added to the golden files in the same change, so that it
// is released and guarded from then on.
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "connectors/codec.h"
#include "touchstream/v1/action.pb.h"
#include "touchstream/v1/event.pb.h"

namespace touchstream::connectors {
namespace {

namespace pb = google::protobuf;

const std::filesystem::path kGolden =
    std::filesystem::path(TOUCHSTREAM_SOURCE_DIR) / "tests/connectors/golden";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.insert(line);
  }
  return lines;
}

// "<message> <number> <name> <type> <label>" for every field of the wire messages (nested
// enums as "<enum> <number> <name> enum"), sorted.
std::set<std::string> WireSchema() {
  std::set<std::string> lines;
  const pb::FileDescriptor* files[] = {v1::Action::descriptor()->file(),
                                       v1::TouchpointEvent::descriptor()->file()};
  for (const pb::FileDescriptor* file : files) {
    for (int m = 0; m < file->message_type_count(); ++m) {
      const pb::Descriptor* message = file->message_type(m);
      for (int f = 0; f < message->field_count(); ++f) {
        const pb::FieldDescriptor* field = message->field(f);
        std::string type = field->type_name();
        if (field->message_type() != nullptr) type = field->message_type()->full_name();
        if (field->enum_type() != nullptr) type = field->enum_type()->full_name();
        const std::string label = field->is_map()        ? "map"
                                  : field->is_repeated() ? "repeated"
                                  : field->real_containing_oneof() != nullptr
                                      ? "oneof:" + field->real_containing_oneof()->name()
                                      : "singular";
        lines.insert(message->full_name() + " " + std::to_string(field->number()) + " " +
                     field->name() + " " + type + " " + label);
      }
      for (int e = 0; e < message->enum_type_count(); ++e) {
        const pb::EnumDescriptor* en = message->enum_type(e);
        for (int v = 0; v < en->value_count(); ++v) {
          lines.insert(en->full_name() + " " + std::to_string(en->value(v)->number()) + " " +
                       en->value(v)->name() + " enum");
        }
      }
    }
  }
  return lines;
}

// Every released field is unchanged, and every field is released (in the golden listing).
TEST(ChannelContractTest, WireSchemaMatchesTheReleasedListing) {
  const std::set<std::string> released = Lines(ReadFile(kGolden / "wire_schema.txt"));
  ASSERT_FALSE(released.empty()) << "cannot read " << (kGolden / "wire_schema.txt");
  const std::set<std::string> current = WireSchema();
  for (const std::string& line : released) {
    EXPECT_TRUE(current.contains(line))
        << "released field changed or removed: '" << line
        << "'; field numbers, names and types of touchstream.v1 never change (docs/channels.md "
           "\"Schema evolution\"): add a new field instead";
  }
  for (const std::string& line : current) {
    EXPECT_TRUE(released.contains(line))
        << "new field '" << line << "': add the line to tests/connectors/golden/wire_schema.txt "
        << "(and the JSON goldens) with the change that adds it";
  }
}

v1::Action FullAction() {
  v1::Action a;
  a.set_action_id("a1b2c3d4e5f60718");
  a.set_customer_id("c-42");
  a.set_rule_id("abandoned-cart");
  a.set_rule_version("3");
  a.set_kind("nudge");
  a.set_channel("email");
  a.set_message("Still thinking about A1?");
  (*a.mutable_payload())["sku"] = "A1";
  a.set_trigger_event_id("e-7");
  a.set_ts_ms(1767614400000);
  a.set_experiment_arm("treatment");
  a.set_trigger("absence:cart_add!purchase@timer");
  a.set_expires_at_ms(1767657600000);
  return a;
}

// The JSON forms channels read: names and value formats of every field.
TEST(ChannelContractTest, JsonFormsMatchTheReleasedGoldens) {
  v1::Action alert = FullAction();
  v1::CustomerSnapshot* s = alert.mutable_snapshot();
  s->set_lifecycle_stage("active");
  s->set_value_tier("gold");
  s->set_loyalty_tier("silver");
  s->mutable_clv()->set_value(120.5);
  s->mutable_clv()->set_p_alive(0.75);
  s->mutable_last_nps()->set_score(9);
  s->mutable_last_nps()->set_category("promoter");
  s->mutable_last_nps()->set_ts_ms(1767600000000);
  s->set_open_tickets(1);
  s->set_purchase_count(3);
  s->set_total_spend(99.5);
  v1::RecentEvent* recent = s->add_recent_events();
  recent->set_type("cart_add");
  recent->set_ts_ms(1767610000000);

  v1::Decision d;
  d.set_decision_id("d-1");
  d.set_customer_id("c-42");
  d.set_rule_id("abandoned-cart");
  d.set_rule_version("3");
  d.set_trigger_event_id("e-7");
  d.set_outcome(v1::Decision::SUPPRESSED);
  d.set_reason("stale");
  d.set_ts_ms(1767614400000);
  d.set_action_id("a1b2c3d4e5f60718");
  (*d.mutable_inputs())["customer.aggregates.purchase_count"] = "0";
  d.set_trigger("absence:cart_add!purchase@timer");
  d.set_experiment_arm("treatment");

  v1::TouchpointEvent e;
  e.set_event_id("e-9");
  e.set_customer_id("c-42");
  e.set_type("action_bounced");
  e.set_ts_ms(1767614500000);
  e.set_channel("email");
  e.set_source("esp");
  (*e.mutable_properties())["action_id"].set_string_value("a1b2c3d4e5f60718");
  (*e.mutable_properties())["bounce"].set_string_value("hard");
  (*e.mutable_properties())["status"].set_int_value(550);

  const std::string current =
      EncodeAction(FullAction(), Format::kJson) + "\n" + EncodeAction(alert, Format::kJson) + "\n" +
      EncodeDecision(d, Format::kJson) + "\n" + EncodeEvent(e, Format::kJson) + "\n";
  const std::string golden = ReadFile(kGolden / "json_forms.jsonl");
  EXPECT_EQ(current, golden)
      << "the JSON form of a released message changed (docs/channels.md \"Schema evolution\"); "
         "a new field is added to tests/connectors/golden/json_forms.jsonl with its change";
  // Decoding the golden action gives the action back (snapshot aside: decoding ignores it).
  auto decoded = DecodeAction(EncodeAction(FullAction(), Format::kJson), Format::kJson);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->SerializeAsString(), FullAction().SerializeAsString());
}

}  // namespace
}  // namespace touchstream::connectors
