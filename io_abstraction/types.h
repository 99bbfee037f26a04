// Strong types for ids and time so that a count, a node and a duration can
// never be swapped. Time is integer microseconds: no floating point decides
// anything in the simulator.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace tessera {

template <typename Tag, typename Rep = uint64_t>
struct StrongId {
  Rep value{};
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : value(v) {}
  constexpr auto operator<=>(const StrongId&) const = default;
};

struct NodeIdTag {};
struct DiskIdTag {};
using NodeId = StrongId<NodeIdTag, uint32_t>;
using DiskId = StrongId<DiskIdTag, uint32_t>;

struct Duration {
  int64_t us = 0;
  static constexpr Duration micros(int64_t v) { return Duration{v}; }
  static constexpr Duration millis(int64_t v) { return Duration{v * 1000}; }
  static constexpr Duration seconds(int64_t v) { return Duration{v * 1000000}; }
  constexpr int64_t millis_count() const { return us / 1000; }
  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration{us + o.us}; }
  constexpr Duration operator-(Duration o) const { return Duration{us - o.us}; }
  constexpr Duration operator*(int64_t k) const { return Duration{us * k}; }
};

// A point on a runtime's clock (virtual in the simulator, monotonic in prod).
struct Instant {
  int64_t us = 0;
  constexpr auto operator<=>(const Instant&) const = default;
  constexpr Instant operator+(Duration d) const { return Instant{us + d.us}; }
  constexpr Duration operator-(Instant o) const { return Duration{us - o.us}; }
};

}  // namespace tessera

template <typename Tag, typename Rep>
struct std::hash<tessera::StrongId<Tag, Rep>> {
  size_t operator()(const tessera::StrongId<Tag, Rep>& id) const noexcept {
    return std::hash<Rep>{}(id.value);
  }
};
