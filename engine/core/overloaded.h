// Overloaded: std::visit over a variant with one lambda per alternative.
#pragma once

namespace touchstream::engine {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
// Aggregate deduction (C++20) is not in clang 14, which builds the sanitizer preset.
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace touchstream::engine
