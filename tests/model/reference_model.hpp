// A second, independent statement of orgkit's rules: plain containers and the rules of
// docs/rules.md written out again, for the model-based test to compare the library with after
// every step. It never calls src/ (no rules::, no PermissionPolicy): where it agrees with the
// library, two implementations agree. Where the documents leave the order of several
// refusals open, the model answers as the library does (the documents fix only R1's
// "visibility first").
//
// What it covers (the ids of docs/rules.md):
//   O1 create (explicit and derived slugs, -2 ... -5 on collision, the per-user limit of R4),
//   O2 personal organizations, O3/O6 my organizations and the active one, O4 the name,
//   O5 delete (everything goes with it), O7 leave and the last owner, O8 transfer, O9 tenants;
//   P1/P3 the standard matrix, P4 the rank rule (grant, manage, owners manage owners, never
//   zero owners) for add, change, remove, bulk changes and removals row by row, departments,
//   invitations, links, custom roles and keys; P6 custom roles (create, rename, change
//   permissions, delete with and without reassignment, holders counted); P7 own or all;
//   P8 claims with permissions; P9 keys (create, revoke, verify, expiry); P10 members found
//   by address; R1 visibility first; R2 owner-reserved permissions; R3 the inviter re-checked
//   at accept (the invitation closes as revoked, as README.md and service.hpp say; rules.md's
//   R3 says "nothing is written") and at preview; I1-I5 and I8 invitations and links with
//   expiry from the injected clock, refresh (an expired one too), resend, revoke, decline,
//   preview, the member table (list_roster); I7 plans (gating, seats with pending invitations
//   holding none, set_plan); A1 each organization's trail as actions and who acted; U1 commit
//   tokens never go backwards (no model needed); U3 tenant administrators and the host;
//   E1 check() and authorize() for every principal; S1 write scopes (the test wrapper).
//
// What it leaves out, and why:
//   - CSV import (I6): its subject is parsing (quoting, line ends, column order); each row
//     is an invite, which the model covers.
//   - The audit trail's targets, before/after values and times (A1), after-commit events
//     (U2): pinned by tests/audit_test.cpp and tests/unit_of_work_test.cpp.
//   - Pagination and cursors (list_members, list_roster, list_invitations, audit): the
//     harness reads whole lists; paging has tests of its own.
//   - Validation of malformed input (E2) beyond a malformed token and address:
//     tests/validation_test.cpp.
//   - Tenant keys and list_tenant_organizations (T1): credentials, not organization rules.
//   - Other policies (P5's member_rules, `manages` lists, policy files): the model states the
//     standard policy only; a second model per policy would double it.
//   - pending_invitations_use_seats: the model runs with it off; its counts (expired,
//     links) are pinned by tests/plans_test.cpp.
//   - Concurrency, caches across processes (E3, S2, C1, C2, C3): one actor at a time here
//     (the check cache is exercised in-process by every probe, never across processes).
//   - Emails other than the users' own, display names, messages, metadata, descriptions:
//     copied through unchanged, nothing decides on them.
//   - An active organization (O6) of a user removed and added again comes back: the library
//     keeps the choice and hides it while they are not a member; the documents do not say
//     otherwise, and the model does the same.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/operations.hpp"
#include "model/snapshot.hpp"

namespace orgkit::model {

// --- the standard policy, restated (P1, P2, P3, R2) ----------------------------------

enum PermissionIndex : int {
  org_update,
  org_delete,
  billing_manage,
  members_read,
  members_add,
  members_invite,
  members_remove,
  members_update_role,
  ownership_transfer,
  roles_manage,
  api_keys_manage,
  audit_read,
  resources_create,
  resources_manage_own,
  resources_manage_all,
  resources_read,
  permission_count
};

using Permissions = std::uint32_t;  ///< Bit i: permission i.

const char* permission_name(int index);
/// -1 for a name the policy does not declare.
int permission_index(const std::string& name);

/// A role as the rank rule sees it (P4).
struct RoleDef {
  std::string name;
  int rank = 0;
  Permissions permissions = 0;
  bool owner = false;          ///< The owner role (and administrators, who act above it).
  bool manages_peers = false;  ///< Manages its own rank: owners manage owners.
};

/// The plans the harness configures (I7): "team" (the default, no limit), "pro" (4 seats),
/// "free" (3 seats, no invitations).
struct PlanDef {
  std::string name;
  bool invitations = true;
  std::optional<int> max_members;
};
const std::vector<PlanDef>& plans();
inline constexpr int max_organizations_per_user = 3;         ///< As configured by the harness (R4).
inline constexpr std::int64_t start_ms = 1'700'000'000'000;  ///< test::Fixture's clock.
inline constexpr std::int64_t default_email_expiry_ms = 30LL * 24 * 3600 * 1000;  // I3

// --- the state -------------------------------------------------------------------------

struct Member {
  std::string role;
  std::string email;
  std::string department;
};

struct CustomRoleDef {
  int rank = 0;
  std::vector<std::string> permissions;  ///< As given, duplicates dropped.
};

struct Org {
  std::string tenant;
  std::string name;
  std::string slug;  ///< "*" when the library would pick a random suffix.
  std::string plan;
  std::string created_by;
  bool personal = false;
  bool alive = true;
  std::map<std::string, Member> members;
  std::map<std::string, CustomRoleDef> roles;
  std::vector<std::string> audit;  ///< "action by actor", oldest first (A1).
};

enum class Stored { pending, accepted, declined, revoked };

struct Invitation {
  int org = 0;
  bool link = false;
  std::string email;
  std::string role;
  std::string department;
  std::string invited_by;
  bool invited_by_member = true;
  Stored state = Stored::pending;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  int token = 0;  ///< The handle of the token that opens it now.
};

struct Key {
  int org = 0;
  std::string name;
  std::string role;
  bool revoked = false;
  std::optional<std::int64_t> expires_at;
};

struct State {
  std::int64_t now = start_ms;
  std::map<int, Org> orgs;                ///< Every organization ever created, by handle.
  std::map<int, Invitation> invitations;  ///< Of organizations that exist, by handle.
  std::map<int, int> tokens;              ///< Working and stale tokens: handle -> invitation.
  std::map<int, Key> keys;                ///< Of organizations that exist, by handle.
  std::set<int> issued_keys;              ///< Every key ever issued, deleted ones too.
  std::map<std::pair<std::string, std::string>, int> active;  ///< (tenant, user) -> org.
};

class ReferenceModel {
 public:
  /// Applies `op` to the state and returns what the library must answer.
  Outcome apply(const Op& op);

  [[nodiscard]] const State& state() const { return state_; }

  /// What the library must show now.
  [[nodiscard]] Snapshot snapshot(const std::vector<Probe>& probes) const;

  /// The answers to `probes`, one character each (Snapshot::probes).
  [[nodiscard]] std::string answers(const std::vector<Probe>& probes) const;

  /// I4: the member table of `org` as `actor` reads it (Snapshot::rosters).
  [[nodiscard]] std::string roster(int org, int actor) const;

  /// Every organization handle ever created, in creation order.
  [[nodiscard]] std::vector<int> org_handles() const;

  /// The role `name` means in organization `org`: the policy's, else the organization's
  /// custom role (never an owner-reserved permission, R2), else none.
  [[nodiscard]] std::optional<RoleDef> find_role(const Org& org, const std::string& name) const;

  /// The role a principal acts with in `org`, or none when it cannot see it (R1, O9, U3).
  [[nodiscard]] std::optional<RoleDef> role_in(int actor, int org) const;

 private:
  // One function per operation (reference_model.cpp, reference_model_invitations.cpp,
  // reference_model_roles.cpp).
  Outcome create_org(const Op& op);
  Outcome ensure_personal(const Op& op);
  Outcome update_org(const Op& op);
  Outcome delete_org(const Op& op);
  Outcome set_active(const Op& op);
  Outcome leave(const Op& op);
  Outcome transfer(const Op& op);
  Outcome add_member(const Op& op);
  Outcome change_role(const Op& op);
  Outcome remove_member(const Op& op);
  Outcome bulk_change_roles(const Op& op);
  Outcome bulk_remove(const Op& op);
  Outcome set_department(const Op& op);
  Outcome get_membership(const Op& op);
  Outcome find_member(const Op& op);
  Outcome set_plan(const Op& op);
  Outcome invite(const Op& op);
  Outcome create_link(const Op& op);
  Outcome accept(const Op& op);
  Outcome decline(const Op& op);
  Outcome preview(const Op& op);
  Outcome resend(const Op& op);
  Outcome revoke_invitation(const Op& op);
  Outcome create_role(const Op& op);
  Outcome update_role(const Op& op);
  Outcome delete_role(const Op& op);
  Outcome create_key(const Op& op);
  Outcome revoke_key(const Op& op);
  Outcome verify_key(const Op& op) const;

  // Steps the operations share; each returns the error code, or nothing when it passes.
  std::optional<ErrorCode> change_role_step(int actor, int org, const std::string& user,
                                            const std::string& role);
  std::optional<ErrorCode> remove_step(int actor, int org, const std::string& user);
  std::optional<ErrorCode> leave_step(int actor, int org);
  /// The invitation a token opens for `actor` (accept, decline, preview): the errors of I2/I5.
  std::optional<ErrorCode> open_token(int actor, int token, bool check_email, int& invitation);
  /// R3: whether the inviter may no longer grant the invitation's role.
  bool inviter_lost_authority(const Invitation& inv, const RoleDef& role) const;
  /// How many seats `org` uses now, or none when its plan has no limit (I7).
  std::optional<int> seat_limit(const Org& org) const;
  bool plan_allows_invitations(const Org& org) const;
  bool slug_taken(const std::string& tenant, const std::string& slug) const;
  std::string free_slug(const std::string& tenant, const std::string& name) const;
  int holders(int org, const std::string& role) const;
  void reassign(int org, const std::string& from, const std::string& to);
  std::string claims_line(int org, const std::string& role) const;
  /// A1: the change is recorded in `org`'s trail, with who made it.
  void record(int org, const char* action, int actor);
  char answer(const Probe& probe) const;

  Org* live(int org);
  State state_;
};

/// P4: may a holder of `actor` grant `role`? Never above one's rank, never a permission one
/// lacks, the owner role only by owners.
bool may_grant(const RoleDef& actor, const RoleDef& role);
/// P4: may a holder of `actor` change or remove a holder of `target`? Lower ranks only, and
/// peers for owners.
bool may_manage(const RoleDef& actor, const RoleDef& target);

/// "a@B.com " and "A@b.com" are the same address (I2, I8, P10).
std::string email_key(const std::string& email);

}  // namespace orgkit::model
