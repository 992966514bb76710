// The scripted workload of the fault, crash and power-loss suites, and the two independent
// views of a store that they compare with it.
//
// Workload: a deterministic sequence of Service mutations (organizations created, members
// added, their roles changed, removed, invited, invitations accepted) drawn from a seed. It
// keeps its own expectation: the memberships that the mutations that returned success imply.
// A mutation that failed must have changed nothing, so after any fault or crash the store
// must hold exactly what the expectation says, and its audit trail, replayed, must give the
// same (nothing half-applied).
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <orgkit/orgkit.hpp>

namespace orgkit::test {

/// Organization name -> user id -> role.
using Memberships = std::map<std::string, std::map<std::string, std::string>>;

/// Prints memberships one per line ("Org 1: u-3=admin"), for a readable failure.
std::string describe(const Memberships& m);

/// What the store holds: every organization of the default tenant, with its members.
/// An error if any read fails.
Result<Memberships> stored_memberships(Service& kit);

/// What the audit trail of each organization of the default tenant says its members are,
/// replaying organization.created, member.added, member.role_changed, member.removed,
/// member.left and invitation.accepted in order (what the workload does).
Result<Memberships> replayed_memberships(Service& kit);

/// What a step changes if it succeeds: `user` gets `role` in organization `org` (a new
/// organization first, if it has none yet), or leaves it when `role` is empty.
struct Effect {
  std::string org;
  std::string user;
  std::string role;
};
void apply_effects(Memberships& m, const std::vector<Effect>& effects);
/// One line per effect ("= Org 1 u-3 admin", "- Org 1 u-3"), and back; for a worker process
/// that tells its parent what it is about to do.
std::string encode(const Effect& e);
bool decode(const std::string& line, Effect& out);

/// What SQLite's PRAGMA integrity_check says of the database file at `path` ("ok" when
/// sound), opened with plain SQLite (which recovers a WAL left by a crash).
std::string integrity_check(const std::string& path);

/// One step of the workload: what it tried and how it ended.
struct Step {
  std::string what;             ///< e.g. "add u-7 to Org 2 as admin"
  std::vector<Effect> effects;  ///< what it changes when it succeeds
  bool ok = false;
  ErrorCode error = ErrorCode::storage;  ///< when !ok
  std::uint64_t token = 0;               ///< when ok: the commit token
};

class Workload {
 public:
  /// `prefix` starts the names of its organizations and users, so that several workloads
  /// (rounds of a crash loop) can share one store.
  explicit Workload(std::uint64_t seed, std::string prefix = {})
      : random_(seed), prefix_(std::move(prefix)) {}

  /// Chooses the next mutation (effects filled in, not run yet).
  Step next();
  /// Runs a step chosen by next(); only a success changes expected().
  void run(Service& kit, Step& step);
  /// next() and run().
  Step step(Service& kit) {
    Step s = next();
    run(kit, s);
    return s;
  }

  /// The memberships that the successful steps so far imply.
  [[nodiscard]] const Memberships& expected() const { return expected_; }
  /// Replaces the expectation (a crashed run's steps are learned from its output).
  void set_expected(Memberships m) { expected_ = std::move(m); }

  static Actor owner();

 private:
  struct Org {
    OrgId id;
    std::string name;
  };
  // The chosen operation, for run().
  enum class Op { create, add, change, remove, invite, accept } op_ = Op::create;
  std::size_t org_ = 0;
  std::string user_, role_;
  std::size_t pending_index_ = 0;
  std::mt19937_64 random_;
  std::string prefix_;
  std::vector<Org> orgs_;
  Memberships expected_;
  int next_org_ = 1;
  int next_user_ = 1;
  // Pending invitations: org index, email, user id to accept as, token.
  struct Pending {
    std::size_t org;
    std::string user;
    std::string role;
    std::string token;
  };
  std::vector<Pending> pending_;
};

}  // namespace orgkit::test
