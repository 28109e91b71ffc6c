// Overloaded: std::visit over a variant with one lambda per alternative.
#pragma once

namespace touchstream::engine {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

}  // namespace touchstream::engine
