// A single-pass reader for the common shape of an event's JSON (connectors/codec.h): one flat
// object whose strings are ASCII from ' ' to DEL without escapes, whose "properties" is an object
// of strings, numbers and booleans, and whose other unknown fields hold scalars. It builds the
// event without a JSON DOM.
//
// It is only a fast path in front of the general decoder (nlohmann::json), which stays the
// definition of what is accepted and of every error message: the reader declines anything
// else — escapes, control characters or non-ASCII bytes in a string, any nested value, a null
// property, a duplicated key, a value of the wrong type, a number that is out of range or not plain
// JSON, malformed text — and the caller then decodes with the general decoder. Whenever it accepts,
// the event equals the one the general decoder builds from the same text.
//
// Pure and thread safe.
#pragma once

#include <string_view>

#include "touchstream/v1/event.pb.h"

namespace touchstream::connectors {

// Decodes `text` into *event (which must be empty) and returns true; returns false when the
// text is outside the shape above, leaving *event in an unspecified state.
bool ReadFlatEventJson(std::string_view text, v1::TouchpointEvent* event);

}  // namespace touchstream::connectors
