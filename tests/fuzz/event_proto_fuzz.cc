// Fuzzes the protobuf event decoder (connectors/codec.h): any bytes decode or give an error,
// never crash; what decodes re-encodes (as protobuf and JSON) to the same event.
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/codec.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using touchstream::Result;
  using touchstream::connectors::DecodeEvent;
  using touchstream::connectors::EncodeEvent;
  using touchstream::connectors::Format;
  using touchstream::v1::TouchpointEvent;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Result<TouchpointEvent> event = DecodeEvent(bytes, Format::kProtobuf);
  if (!event.ok()) {
    FUZZ_CHECK(!event.status().message().empty(), "errors say what is wrong");
    return 0;
  }
  // A NaN double property is valid protobuf and equals itself here.
  google::protobuf::util::DefaultFieldComparator nan_equal;
  nan_equal.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&nan_equal);
  const Result<TouchpointEvent> back =
      DecodeEvent(EncodeEvent(*event, Format::kProtobuf), Format::kProtobuf);
  FUZZ_CHECK(back.ok() && differencer.Compare(*back, *event),
             "a decoded event round-trips through protobuf");
  // The JSON encoding of any decoded event is JSON the decoder reads (its content may still be
  // refused, e.g. text that is not UTF-8); it must not crash either way.
  const Result<TouchpointEvent> json =
      DecodeEvent(EncodeEvent(*event, Format::kJson), Format::kJson);
  FUZZ_CHECK(json.ok() || !json.status().message().empty(), "errors say what is wrong");
  return 0;
}
