#include "engine/core/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace touchstream::engine {
namespace {

// The id is a pure function of its parts, pinned so that a change of algorithm is noticed:
// ids and holdout arms must stay stable across releases.
TEST(EngineIdsTest, DeterministicAndPinned) {
  const std::string id = DeterministicId({"action", "welcome-offer", "v1", "c-1", "e-1"});
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id, DeterministicId({"action", "welcome-offer", "v1", "c-1", "e-1"}));
  EXPECT_EQ(StableHash64({"abc"}), StableHash64({"abc"}));
  EXPECT_EQ(StableHash64({""}, 0), 0x4f2db50f124040cdULL);
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
