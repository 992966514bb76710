// What the harness compares after every step: the visible state of every organization, each
// user's claims and active organization, every API key's verification, and a fixed list of
// permission probes. The reference model computes a Snapshot from its containers; the runner
// reads one from the library through its public API. Both name things by handle (the id of
// the op that created them), so the two compare as plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace orgkit::model {

struct MemberRow {
  std::string role;
  std::string email;
  std::string department;
  friend bool operator==(const MemberRow& a, const MemberRow& b) {
    return a.role == b.role && a.email == b.email && a.department == b.department;
  }
};

struct InvitationRow {
  std::string kind;   ///< "email" or "link"
  std::string email;  ///< As given; empty for links.
  std::string role;
  std::string state;  ///< As a reader sees it now: pending, accepted, declined, revoked, expired.
  std::string department;
  std::string invited_by;
  std::int64_t expires_at = 0;  ///< Unix ms.
  friend bool operator==(const InvitationRow& a, const InvitationRow& b) {
    return a.kind == b.kind && a.email == b.email && a.role == b.role && a.state == b.state &&
           a.department == b.department && a.invited_by == b.invited_by &&
           a.expires_at == b.expires_at;
  }
};

struct CustomRoleRow {
  int rank = 0;
  std::set<std::string> permissions;
  friend bool operator==(const CustomRoleRow& a, const CustomRoleRow& b) {
    return a.rank == b.rank && a.permissions == b.permissions;
  }
};

struct KeyRow {
  std::string name;
  std::string role;
  bool revoked = false;
  std::optional<std::int64_t> expires_at;
  friend bool operator==(const KeyRow& a, const KeyRow& b) {
    return a.name == b.name && a.role == b.role && a.revoked == b.revoked &&
           a.expires_at == b.expires_at;
  }
};

struct OrgRow {
  friend bool operator==(const OrgRow& a, const OrgRow& b) {
    return a.tenant == b.tenant && a.name == b.name && a.slug == b.slug && a.plan == b.plan &&
           a.personal == b.personal && a.members == b.members && a.invitations == b.invitations &&
           a.roles == b.roles && a.keys == b.keys && a.audit == b.audit;
  }
  std::string tenant;
  std::string name;
  std::string slug;  ///< "*" when the model cannot predict it (a random suffix).
  std::string plan;
  bool personal = false;
  std::map<std::string, MemberRow> members;  ///< By user id.
  std::map<int, InvitationRow> invitations;  ///< By handle.
  std::map<std::string, CustomRoleRow> roles;
  std::map<int, KeyRow> keys;      ///< By handle.
  std::vector<std::string> audit;  ///< A1: "action by actor", oldest first.
};

/// One user's claims (P8, with permissions) and active organization (O6), as text:
/// "#3 acme owner [members:read ...]" per organization, in the order of the claims.
struct UserRow {
  std::string active;  ///< "#3" or "none".
  std::string claims_active;
  std::vector<std::string> orgs;
  friend bool operator==(const UserRow& a, const UserRow& b) {
    return a.active == b.active && a.claims_active == b.claims_active && a.orgs == b.orgs;
  }
};

/// A question asked of check() or authorize() after every step.
struct Probe {
  enum class Kind {
    check,        ///< check(actor, org, permission): '1' or '0'
    fresh_check,  ///< the same with Consistency::fully_consistent()
    own,          ///< P7: check(actor, org, permission, resource owner = the actor)
    others,       ///< P7: check(actor, org, permission, resource owner = someone else)
    authorize,    ///< authorize(actor, org, permission): 'o' ok, 'd' denied, 'n' not found
  };
  Kind kind = Kind::check;
  int actor = 0;
  int org = 0;  ///< Handle; 0: an id that never existed.
  int permission = 0;
};

struct Snapshot {
  std::map<int, OrgRow> orgs;                ///< Organizations that exist, by handle.
  std::map<int, UserRow> users;              ///< By cast index (member principals).
  std::map<int, std::string> verified_keys;  ///< verify_api_key of every key ever issued.
  std::string probes;                        ///< One character per probe, in probe order.
  /// I4: list_roster of an organization the step changed, as each principal reads it:
  /// "active u1 owner; pending u3@example.com member #7; " or the error code.
  std::map<std::pair<int, int>, std::string> rosters;  ///< By (org, cast index).
};

/// The probes asked after a step, given the organization handles ever created and those the
/// step changed (`focus`): every permission for every member principal in every
/// organization and one unknown id, with P7's own and others' resources (answered from the
/// check cache, so cheap); for the focus, also every permission for the administrators and
/// hosts, a fully consistent check and authorize (each a read of the store). Elsewhere the
/// administrators get one check each: what a step did not change was asked in full before.
std::vector<Probe> probes_for(const std::vector<int>& org_handles, const std::set<int>& focus);

std::string describe(const Probe& probe);

/// The differences between what the model expects and what the library shows, one line
/// each (empty: they agree). Slugs the model marks "*" are not compared.
std::vector<std::string> differences(const Snapshot& expected, const Snapshot& actual,
                                     const std::vector<Probe>& probes);

}  // namespace orgkit::model
