#include "rules/conversion_parser.h"

#include <string>
#include <string_view>

#include "rules/checker.h"
#include "rules/value_type.h"

namespace touchstream::rules {

namespace {

constexpr std::string_view kConversionKeys[] = {"event", "condition", "within", "value"};

}  // namespace

void ParseConversion(const YAML::Node& node, YamlReader* reader, Rule* rule) {
  if (!node.IsMap()) {
    reader->ErrorAt(node,
                    "'conversion' must be a map, e.g. {event: purchase, within: 7d, value: "
                    "\"event.properties.amount\"}");
    return;
  }
  const size_t errors_before = reader->error_count();
  YamlEntries e;
  reader->CheckKeys(node, kConversionKeys, "conversion", &e);
  Conversion conversion;
  if (!e.count("event")) {
    reader->ErrorAt(node, "'conversion' needs 'event' (the event type that converts)");
  } else if (reader->Scalar(e["event"].second, "'event'", &conversion.event_type)) {
    reader->EventType(e["event"].second, conversion.event_type, false);
  }
  if (!e.count("within")) {
    reader->ErrorAt(node, "'conversion' needs 'within' (how long after the decision, e.g. 7d)");
  } else {
    reader->Duration(e["within"].second, "'within'", false, &conversion.within_ms);
  }
  CheckScope scope;
  scope.event_types = {conversion.event_type};
  if (e.count("condition")) {
    const YAML::Node& condition = e["condition"].second;
    conversion.condition = reader->Expression(condition, "'condition'", scope);
    if (conversion.condition != nullptr && conversion.condition->type != ValueType::kBool &&
        conversion.condition->type != ValueType::kDyn) {
      reader->sink()->ErrorAt(reader->Location(condition), 0,
                              "conversion condition must be a bool expression, but it is " +
                                  std::string(ValueTypeName(conversion.condition->type)));
    }
  }
  if (e.count("value")) {
    const YAML::Node& value = e["value"].second;
    conversion.value = reader->Expression(value, "'value'", scope);
    if (conversion.value != nullptr && conversion.value->type != ValueType::kInt &&
        conversion.value->type != ValueType::kDouble && conversion.value->type != ValueType::kDyn) {
      reader->sink()->ErrorAt(reader->Location(value), 0,
                              "conversion value must be a number (int or double), but it is " +
                                  std::string(ValueTypeName(conversion.value->type)));
    }
  }
  if (reader->error_count() == errors_before) rule->conversion = std::move(conversion);
}

}  // namespace touchstream::rules
