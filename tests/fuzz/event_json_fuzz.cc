// Fuzzes the JSON event decoder (connectors/codec.h): DecodeEvent never crashes, and its flat
// fast path (connectors/flat_event_json.h) answers exactly as the general decoder (nlohmann)
// does, as tests/connectors/flat_event_json_test.cc requires: the same event, or the same error
// (parse errors aside, whose column the byte order mark shifts).
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "connectors/codec.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// The general decoder skips a UTF-8 byte order mark; the flat reader declines it.
const char kBom[] = "\xEF\xBB\xBF";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using touchstream::Result;
  using touchstream::connectors::DecodeEvent;
  using touchstream::connectors::Format;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Result<touchstream::v1::TouchpointEvent> fast = DecodeEvent(text, Format::kJson);
  if (text.starts_with(kBom)) return 0;  // both paths already take the general decoder
  const Result<touchstream::v1::TouchpointEvent> general =
      DecodeEvent(std::string(kBom) + text, Format::kJson);
  FUZZ_CHECK(fast.ok() == general.ok(), "the flat reader and the general decoder agree");
  if (fast.ok()) {
    FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(*fast, *general),
               "the flat reader builds the general decoder's event");
    // What decodes encodes, and the encoding decodes to the same event.
    const std::string encoded = touchstream::connectors::EncodeEvent(*fast, Format::kProtobuf);
    const Result<touchstream::v1::TouchpointEvent> back = DecodeEvent(encoded, Format::kProtobuf);
    FUZZ_CHECK(back.ok() && google::protobuf::util::MessageDifferencer::Equals(*back, *fast),
               "a decoded event round-trips through protobuf");
  } else {
    FUZZ_CHECK(!fast.status().message().empty(), "errors say what is wrong");
    if (!fast.status().message().starts_with("invalid JSON")) {
      FUZZ_CHECK(fast.status().message() == general.status().message(),
                 "the flat reader and the general decoder give the same error");
    }
  }
  return 0;
}
