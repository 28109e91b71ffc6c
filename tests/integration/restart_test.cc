// Stopping the engine mid-stream and starting it again ends in the same state and the same
// set of action ids as one uninterrupted run: nothing lost, duplicates only with equal ids.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "connectors/codec.h"
#include "connectors/journey_generator.h"
#include "connectors/kafka_sink.h"
#include "engine/runtime/changelog_writer.h"
#include "external_clients.h"
#include "pipeline_fixture.h"
#include "state/state_store.h"

namespace touchstream::testing {
namespace {

using IntegrationRestartTest = PipelineFixture;

// Runs the same journeys once straight through and once stopped twice mid-stream.
TEST_F(IntegrationRestartTest, StopAndResumeEqualsUninterruptedRun) {
  connectors::JourneyOptions journeys;
  journeys.customers = 150;
  journeys.days = 30;
  journeys.seed = 7;
  const auto events = connectors::GenerateJourneys(journeys);
  ASSERT_GT(events.size(), 1000u);
  ProduceEvents(events);

  const auto straight = Variant("straight");
  RunPipeline(straight);
  EXPECT_EQ(last_records_processed_, static_cast<int64_t>(events.size()));

  const auto interrupted = Variant("interrupted");
  const int64_t third = static_cast<int64_t>(events.size()) / 3;
  RunPipeline(interrupted, third);
  const int64_t first_run = last_records_processed_;
  EXPECT_GE(first_run, third);
  RunPipeline(interrupted, third);
  const int64_t second_run = last_records_processed_;
  RunPipeline(interrupted);
  // Each run resumed where the previous one committed: nothing was processed twice.
  EXPECT_EQ(first_run + second_run + last_records_processed_, static_cast<int64_t>(events.size()));

  size_t straight_messages = 0, interrupted_messages = 0;
  const auto straight_ids = ActionIds("actions-straight", &straight_messages);
  const auto interrupted_ids = ActionIds("actions-interrupted", &interrupted_messages);
  EXPECT_GT(straight_ids.size(), 10u);
  EXPECT_EQ(straight_ids, interrupted_ids);
  EXPECT_EQ(straight_messages, straight_ids.size());
  EXPECT_GE(interrupted_messages, interrupted_ids.size());

  const auto straight_states = States(straight);
  EXPECT_EQ(straight_states.size(), 150u);
  EXPECT_EQ(straight_states, States(interrupted));
}

}  // namespace
}  // namespace touchstream::testing
