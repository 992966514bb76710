// How long the durability suites run. The defaults keep CI short; a person runs longer with
// the executable's own flags: --rounds N (crash loops, fault sweeps: how many rounds),
// --seconds S (a time budget for loops that have one) and --seed X (the first seed).
#pragma once

#include <cstdint>

namespace orgkit::test {

struct DurabilityOptions {
  int rounds = 0;          ///< 0: each suite's own default
  int seconds = 0;         ///< 0: each suite's own default
  std::uint64_t seed = 1;  ///< the first seed; rounds use seed, seed + 1, ...
};

/// Set from the command line by durability_main.cpp.
DurabilityOptions& durability_options();

/// `fallback` unless --rounds was given.
inline int rounds_or(int fallback) {
  return durability_options().rounds > 0 ? durability_options().rounds : fallback;
}
inline int seconds_or(int fallback) {
  return durability_options().seconds > 0 ? durability_options().seconds : fallback;
}

}  // namespace orgkit::test
