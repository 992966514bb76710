// Random operation sequences from a seed. The generator looks at a scratch reference model
// as it goes, so that most operations name things that exist (an organization the actor is
// in, a member, a working token), and it leans towards the cases where rules bite: acting on
// owners, the last owner leaving or demoting themself, accepting twice, stale and foreign
// tokens, revoked and expired keys, roles above the actor's, other tenants.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/operations.hpp"
#include "model/reference_model.hpp"

namespace orgkit::model {

/// A small, fast PRNG (splitmix64) whose output is the same on every platform, so a seed
/// means the same sequence everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  int below(int n) { return n <= 0 ? 0 : static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  bool percent(int p) { return below(100) < p; }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(below(static_cast<int>(items.size())))];
  }

 private:
  std::uint64_t state_;
};

/// `steps` operations generated from `seed`, ids 1..steps.
std::vector<Op> generate(std::uint64_t seed, int steps);

}  // namespace orgkit::model
