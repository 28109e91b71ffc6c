// EventRuleIndex: picks, for one event, the rules whose condition can hold without evaluating
// the others: the alpha network of Rete (Esper's filter index) applied to the first test of a
// condition, so that thousands of rules on one event type that differ by a property value
// cost about what a handful do.
//
// A rule is indexed when it has an `event:` trigger and the first test of its condition (the
// leftmost operand of its `&&` chain: evaluated first, and alone when false) compares an event
// property with constants:
//   event.properties.p == "A1"            (a string or int constant, either side)
//   event.properties.p in ["A1", "B2"]    (a list of string constants, or of int constants)
//   event.properties.p >= 200.0           (>, >=, <, <= with a number, either side)
// The rules whose first test the event's value of p settles as false are skipped: their
// condition would evaluate to false without an error or a side effect, so what runs is exactly
// what runs without the index (only touchstream_rules_evaluated_total counts fewer
// evaluations). A value that does not settle the test (another kind, NaN; absent, for ranges,
// where it is an evaluation error) makes every rule keyed on p a candidate.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "touchstream/v1/event.pb.h"

namespace touchstream::rules {

struct Rule;

// Working memory for EventRuleIndex::Candidates, reused across events (one per thread).
struct RuleCandidates {
  std::vector<uint32_t> ranks;
  std::vector<const Rule*> rules;
};

class EventRuleIndex {
 public:
  // `rules`: the enabled rules listening to one event type, in evaluation order.
  explicit EventRuleIndex(std::vector<const Rule*> rules);

  // Every rule, in evaluation order.
  std::span<const Rule* const> all() const { return rules_; }
  // The rules that can fire for `event`, in evaluation order. The span is valid until the
  // next call with the same *scratch, and as long as the index.
  std::span<const Rule* const> Candidates(const v1::TouchpointEvent& event,
                                          RuleCandidates* scratch) const;
  // Number of rules selected through the index (the others are always candidates).
  size_t indexed() const { return indexed_; }

 private:
  // A numeric bound of a range test `p >= value` (or >, <=, <), as the interpreter compares:
  // int with int exactly, else as doubles.
  struct Bound {
    bool is_int = false;
    int64_t i = 0;
    double d = 0;
    bool inclusive = false;
    uint32_t rank = 0;
  };
  // The rules keyed on one property.
  struct PropertyKeys {
    std::unordered_map<std::string, std::vector<uint32_t>> by_string;
    std::unordered_map<int64_t, std::vector<uint32_t>> by_int;
    std::vector<uint32_t> string_keyed;  // every rank in by_string, once
    std::vector<uint32_t> int_keyed;     // every rank in by_int, once
    std::vector<Bound> lower;            // p >= / > bound, ascending
    std::vector<Bound> upper;            // p <= / < bound, descending
  };

  bool Add(const Rule& rule, uint32_t rank);
  static void AddEqualityCandidates(const PropertyKeys& keys, const v1::Value* value,
                                    std::vector<uint32_t>* out);
  static void AddRangeCandidates(const PropertyKeys& keys, const v1::Value* value,
                                 std::vector<uint32_t>* out);

  std::vector<const Rule*> rules_;
  std::vector<uint32_t> unindexed_;  // ranks, ascending
  std::unordered_map<std::string, PropertyKeys> by_property_;
  size_t indexed_ = 0;
};

}  // namespace touchstream::rules
