// Shared by the benchmarks: the demo configuration they measure, and the median of repeated runs.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "engine/config/config.h"

namespace touchstream::bench {

// deploy/config/demo.yaml with no metrics or admin endpoint, and no retention (the generated
// events are historical: nothing may expire by the wall clock while measuring). Exits on error.
inline engine::EngineConfig DemoConfig() {
  auto config =
      engine::LoadConfig(std::string(TOUCHSTREAM_SOURCE_DIR) + "/deploy/config/demo.yaml");
  if (!config.ok()) {
    std::cerr << config.status().ToString() << "\n";
    std::exit(1);
  }
  config->metrics_address.clear();
  config->admin.address.clear();
  config->state.retention_ms = 0;
  return *config;
}

// The median of a non-empty set of measurements.
inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace touchstream::bench
