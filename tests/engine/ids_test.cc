#include "engine/core/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace touchstream::engine {
namespace {

// The id is a pure function of its parts, pinned so that a change of algorithm is noticed:
// ids and holdout arms must stay stable across releases. The literals are computed
// independently of this code by tests/testing/golden_ids.py (python3
// tests/testing/golden_ids.py prints them; the TestingGoldenIdsTest ctest checks they are still
// here).
TEST(EngineIdsTest, DeterministicAndPinned) {
  const std::string id = DeterministicId({"action", "welcome-offer", "v1", "c-1", "e-1"});
  EXPECT_EQ(id.size(), 32u);
  // clang-format off
  EXPECT_EQ(StableHash64({""}), 0x4f2db50f124040cdULL);
  EXPECT_EQ(StableHash64({"abc"}), 0x0cad853635534d79ULL);
  EXPECT_EQ(StableHash64({"abc"}, 7), 0x458e9d172cd81d9aULL);
  EXPECT_EQ(StableHash64({"ab", "c"}), 0x93998dd6edc9a3b3ULL);
  EXPECT_EQ(StableHash64({"a", "bc"}), 0x0372a433aa0fe51eULL);
  EXPECT_EQ(StableHash64({"", ""}), 0x5509f800bdaef57eULL);
  EXPECT_EQ(StableHash64({"café", "東京"}), 0x881de2a19e2f6ed8ULL);
  EXPECT_EQ(StableHash64({std::string(1000, 'x')}), 0xfa8784483adf7bf9ULL);
  EXPECT_EQ(StableHash64({"holdout", "s1", "c0"}), 0x5263b238bc985ed1ULL);
  EXPECT_EQ(DeterministicId({"action", "welcome-offer", "v1", "c-1", "e-1"}), "db4034ff85f58e8f544626dbbbee9a02");
  EXPECT_EQ(DeterministicId({""}), "5632ee7ad47b1b2ab01ee6883ff7b9e1");
  EXPECT_EQ(DeterministicId({"", ""}), "53cc797554cfb48aa2437642c323f527");
  EXPECT_EQ(DeterministicId({"ab", "c"}), "b9cf9d4d16a1e96af52365877c28cd6f");
  EXPECT_EQ(DeterministicId({"a", "bc"}), "0ff2957410904545568fce81521435bc");
  EXPECT_EQ(DeterministicId({"customer-ü", "événement"}), "36ab0b465d8a7622c944dd8dad9f492c");
  EXPECT_EQ(DeterministicId({"😀"}), "8300b01dcd0afbf6951589c196446479");
  EXPECT_EQ(DeterministicId({std::string(1000, 'x'), "tail"}), "85dc0f90b1d4ce6922194ce0745b69e8");
  EXPECT_EQ(DeterministicId({"timer", "c-42", "reminder", "1767225600000"}), "8c8e6b8857199488bdc0a16562511f90");
  // clang-format on
}

// Part boundaries matter: moving a character between parts changes the id.
TEST(EngineIdsTest, PartBoundariesMatter) {
  EXPECT_NE(DeterministicId({"ab", "c"}), DeterministicId({"a", "bc"}));
  EXPECT_NE(DeterministicId({"a", "b"}), DeterministicId({"ab"}));
}

// No collisions over many distinct inputs.
TEST(EngineIdsTest, NoCollisionsOverManyInputs) {
  std::set<std::string> ids;
  for (int i = 0; i < 100000; ++i) ids.insert(DeterministicId({"c-" + std::to_string(i), "e"}));
  EXPECT_EQ(ids.size(), 100000u);
}

}  // namespace
}  // namespace touchstream::engine
