// Exhaustive visiting of a std::variant: one handler per alternative and no catch-all, so that adding an alternative
// fails to compile wherever it is not handled.
//
//   std::visit(Overloaded{[&](const Answer& a) { ... }, [&](const OneOf<Replaces, Reject> auto& r) { ... }}, v);
#pragma once

#include <concepts>
#include <type_traits>

namespace mxcall::protocol {

template <typename... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
template <typename... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

// For one handler that covers a named group of alternatives: `const OneOf<A, B> auto&` accepts exactly A and B.
template <typename T, typename... Alternatives>
concept OneOf = (std::same_as<std::remove_cvref_t<T>, Alternatives> || ...);

}  // namespace mxcall::protocol
