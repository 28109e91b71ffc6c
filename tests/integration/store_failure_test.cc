// A failing state store stops nothing it should not and loses nothing: failed commits are
// retried until the store accepts them, and a store that keeps failing ends the run with an
// error after processing.store_failure_exit_ms, from which a restart resumes. Either way the
// end state and action ids equal those of an undisturbed run.
#include <gtest/gtest.h>

#include "connectors/journey_generator.h"
#include "pipeline_fixture.h"
#include "tests/testing/fault_injecting_store.h"

namespace touchstream::testing {
namespace {

class IntegrationStoreFailureTest : public PipelineFixture {
 protected:
  void SetUp() override {
    PipelineFixture::SetUp();
    connectors::JourneyOptions journeys;
    journeys.customers = 50;
    journeys.days = 20;
    journeys.seed = 3;
    ProduceEvents(connectors::GenerateJourneys(journeys));
    reference_ = Variant("reference");
    RunPipeline(reference_);
    reference_ids_ = ActionIds("actions-reference", &reference_messages_);
    ASSERT_GT(reference_ids_.size(), 10u);
  }

  // The end state and action ids of the run named `name` equal the reference's.
  void ExpectSameAsReference(const engine::EngineConfig& config, const std::string& name) {
    size_t messages = 0;
    EXPECT_EQ(ActionIds("actions-" + name, &messages), reference_ids_);
    EXPECT_EQ(States(config), States(reference_));
  }

  engine::EngineConfig reference_;
  std::set<std::string> reference_ids_;
  size_t reference_messages_ = 0;
};

TEST_F(IntegrationStoreFailureTest, FailedCommitsAreRetriedAndLoseNothing) {
  auto config = Variant("retried");
  // The first commits must be those of processing (a failure while restoring a partition from
  // the changelog ends the run instead: see the next test).
  config.state.changelog = false;
  auto inner = engine::OpenStore(config);
  ASSERT_TRUE(inner.ok());
  test::FaultInjectingStore store(**inner);
  store.FailNextCommits(4);
  engine::EngineMetrics metrics;
  Status run = RunPipelineOn(config, &store, &metrics);
  ASSERT_TRUE(run.ok()) << run.ToString();
  EXPECT_EQ(store.failed_commits(), 4);
  inner->reset();
  ExpectSameAsReference(config, "retried");
}

TEST_F(IntegrationStoreFailureTest, AStoreThatKeepsFailingEndsTheRunAndARestartResumes) {
  auto config = Variant("resumed");
  config.processing.store_failure_exit_ms = 1500;
  auto inner = engine::OpenStore(config);
  ASSERT_TRUE(inner.ok());
  {
    test::FaultInjectingStore store(**inner);
    // Reads and commits fail for good once the run is under way.
    store.FailReadsFrom(20);
    store.FailCommitsFrom(5);
    engine::EngineMetrics metrics;
    Status run = RunPipelineOn(config, &store, &metrics);
    ASSERT_FALSE(run.ok());
    EXPECT_NE(run.message().find("processing.store_failure_exit_ms"), std::string::npos)
        << run.ToString();
    EXPECT_GT(store.failed_commits() + store.failed_reads(), 0);
  }
  // The restart resumes from the last good commit.
  engine::EngineMetrics metrics;
  Status restart = RunPipelineOn(config, inner->get(), &metrics);
  ASSERT_TRUE(restart.ok()) << restart.ToString();
  inner->reset();
  ExpectSameAsReference(config, "resumed");
}

}  // namespace
}  // namespace touchstream::testing
