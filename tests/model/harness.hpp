// Runs a sequence against the library and the reference model side by side, comparing after
// every step, and shrinks a failing sequence (delta debugging) to a short one a person can
// read. Storage is chosen as for every suite: ORGKIT_TEST_STORAGE=memory|file|postgres, a
// fresh store for every run (a fresh PostgreSQL schema, a fresh temporary file).
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <orgkit/orgkit.hpp>

#include "model/operations.hpp"

namespace orgkit::model {

/// Wraps the store under test, e.g. in a deliberately broken StorageWrapper (the self-test);
/// empty: the store as it is.
using Decorator = std::function<std::unique_ptr<Storage>(std::unique_ptr<Storage>)>;

/// Where a run and the model first disagreed.
struct Failure {
  std::size_t step = 0;  ///< Index in the sequence of the op after which they disagreed.
  std::string what;      ///< Readable lines: the op, and each difference.
};

/// How often each operation answered what, e.g. "accept already_used" -> 12: what a run
/// exercised (--stats).
using Tally = std::map<std::string, int>;

/// Runs `ops` on a fresh store beside a fresh reference model; the first disagreement, if any.
/// Counts each answer in `tally`, and prints each op with its answer to `trace`, when given.
std::optional<Failure> run_sequence(const std::vector<Op>& ops, const Decorator& decorate = {},
                                    Tally* tally = nullptr, std::ostream* trace = nullptr);

struct ShrinkResult {
  std::vector<Op> ops;  ///< The shortest failing sequence found.
  Failure failure;      ///< How it fails.
  int runs = 0;
  double seconds = 0;
};

/// Delta debugging: drops chunks of ops, then single ops, re-running from a fresh store each
/// time and keeping any candidate that still fails, until nothing more can go or the budget
/// (runs, time) is spent.
ShrinkResult shrink(const std::vector<Op>& ops, const Failure& failure, const Decorator& decorate,
                    int max_runs, std::chrono::seconds max_time);

/// The text printed for a failure: the seed, what went wrong, the shortest sequence as lines
/// that parse_ops() reads, and how to rerun it.
std::string report(std::uint64_t seed, int steps, const std::vector<Op>& original,
                   const Failure& first, const ShrinkResult& shrunk);

}  // namespace orgkit::model
