// An engine instance on a thread of its own, for the fault tests that run several in one group.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "engine/config/config.h"
#include "engine/ops/admin_api.h"
#include "engine/ops/metrics.h"
#include "engine/runtime/engine_setup.h"
#include "engine/runtime/kafka_pipeline.h"
#include "engine/runtime/task_queue.h"
#include "state/state_store.h"

namespace touchstream::testing {

// The sum of the values of metric `name` whose labels include `label` = `value` (any when
// `label` is empty).
inline double MetricValue(const engine::EngineMetrics& metrics, const std::string& name,
                          const std::string& label = "", const std::string& value = "") {
  double sum = 0;
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = label.empty();
      for (const auto& pair : metric.label) match |= pair.name == label && pair.value == value;
      if (match) sum += metric.gauge.value + metric.counter.value;
    }
  }
  return sum;
}

// True once `done` holds, checked every 50 ms; false after `seconds`.
inline bool WaitFor(const std::function<bool()>& done, int seconds = 60) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// One engine instance running on its own thread until stopped.
class Instance {
 public:
  // `before_restore`: PipelineRunOptions::before_restore (null: none).
  Instance(const engine::EngineConfig& config, const std::string& bootstrap,
           std::function<void(int32_t partition)> before_restore = nullptr) {
    auto store = engine::OpenStore(config);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto rules = engine::LoadRuleSet(config, std::cerr);
    EXPECT_TRUE(rules.ok());
    auto pipeline =
        engine::KafkaPipeline::Create(config, bootstrap, store_.get(), &metrics_, &clock_);
    EXPECT_TRUE(pipeline.ok()) << pipeline.status().ToString();
    pipeline_ = std::move(*pipeline);
    pipeline_->UpdateRules(*rules);
    admin_ = std::make_unique<engine::AdminApi>(pipeline_.get(), &tasks_,
                                                [](std::ostream&) -> Result<size_t> { return 0; });
    thread_ = std::thread([this, before_restore = std::move(before_restore)] {
      engine::PipelineRunOptions options;
      options.tasks = &tasks_;
      options.before_restore = before_restore;
      status_ = pipeline_->Run(stop_, options);
    });
  }
  ~Instance() { Stop(); }

  // Stops gracefully (commit, flush the outbox, leave the group) and closes the store.
  void Stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    EXPECT_TRUE(status_.ok()) << status_.ToString();
    processed_at_stop_ = pipeline_->records_processed();
    tasks_.Close();
    admin_.reset();
    pipeline_.reset();
    store_.reset();
  }

  // A GET of the admin API, answered on the processing thread; status 0 after 10 s unanswered.
  engine::AdminResponse AdminGet(const std::string& target) {
    auto answer = std::make_shared<std::promise<engine::AdminResponse>>();
    std::future<engine::AdminResponse> answered = answer->get_future();
    admin_->Handle({"GET", target}, [answer](engine::AdminResponse r) { answer->set_value(r); });
    if (answered.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      engine::AdminResponse none;
      none.status = 0;
      return none;
    }
    return answered.get();
  }

  // Records processed so far (until Stop, once stopped).
  int64_t processed() const {
    return pipeline_ != nullptr ? pipeline_->records_processed() : processed_at_stop_;
  }
  double Metric(const std::string& name, const std::string& label = "",
                const std::string& value = "") const {
    return MetricValue(metrics_, name, label, value);
  }

 private:
  engine::EngineMetrics metrics_;
  engine::SystemClock clock_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<engine::KafkaPipeline> pipeline_;
  engine::TaskQueue tasks_;
  std::unique_ptr<engine::AdminApi> admin_;
  int64_t processed_at_stop_ = 0;
  std::atomic<bool> stop_{false};
  Status status_;
  std::thread thread_;
};

}  // namespace touchstream::testing
