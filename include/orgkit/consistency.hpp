// orgkit/consistency.hpp: how fresh a permission check's answer must be.
//
// Service::check answers from a per-thread cache while the storage's change signal vouches
// that the organization is unchanged, and reads the store otherwise. A Consistency says how
// much a caller will pay for freshness, in the spirit of OpenFGA's MINIMIZE_LATENCY and
// HIGHER_CONSISTENCY and of SpiceDB's at_least_as_fresh:
//
//   Consistency::minimize_latency()     The default of a plain check(). The cache, when the
//       storage has a change signal. Promise: the answer reflects every change whose commit
//       returned before the check began, made through orgkit by any process of the deployment
//       that the signal covers (SQLite: every orgkit process on the file, on one host; see
//       the backend's header for others). A writer that bypasses orgkit (the sqlite3 shell)
//       is not seen until the next orgkit commit on that organization.
//   Consistency::at_least_as_fresh(t)   The cache only if the change signal has seen commit
//       `t` (a token returned by a mutation anywhere, carried in a session or a header), else
//       a read of the store. Promise: the answer reflects that commit and everything before it.
//   Consistency::fully_consistent()     Always a read of the store, never the cache. Promise:
//       the answer reflects every transaction committed before the check began, whoever wrote
//       it. One indexed read, at the cost of the bare query.
//
// Example:
//   auto ok = kit->check(bob, org, "members:invite",
//                        orgkit::Consistency::at_least_as_fresh(*token));  // from a header
#pragma once

#include <orgkit/commit_token.hpp>

namespace orgkit {

class Consistency {
 public:
  enum class Mode { minimize_latency, at_least_as_fresh, fully_consistent };

  /// The cache (a plain check).
  static constexpr Consistency minimize_latency() { return Consistency(Mode::minimize_latency, {}); }
  /// At least as fresh as the commit of `token`.
  static constexpr Consistency at_least_as_fresh(CommitToken token) {
    return Consistency(Mode::at_least_as_fresh, token);
  }
  /// A read of the store every time.
  static constexpr Consistency fully_consistent() { return Consistency(Mode::fully_consistent, {}); }

  [[nodiscard]] constexpr Mode mode() const { return mode_; }
  /// The token of at_least_as_fresh (zero otherwise).
  [[nodiscard]] constexpr CommitToken token() const { return token_; }

 private:
  constexpr Consistency(Mode mode, CommitToken token) : mode_(mode), token_(token) {}
  Mode mode_;
  CommitToken token_;
};

}  // namespace orgkit
