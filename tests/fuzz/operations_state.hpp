// The operations fuzz target's view of a Service: the actors, what the input has been handed
// (tokens, keys, invitation ids), and a snapshot of everything stored, read through the host
// of each tenant, that the invariants are checked against after every step.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <orgkit/orgkit.hpp>

namespace orgkit::fuzz {

/// What one organization holds, as the host of its tenant reads it.
struct OrgState {
  Organization org;
  std::vector<Membership> members;      ///< By user id.
  std::vector<Invitation> invitations;  ///< Newest first, with their states as of now.
  std::vector<RoleInfo> custom_roles;
  std::vector<ApiKey> keys;
  std::int64_t newest_audit = 0;  ///< Id of the newest audit event: moves with every event.

  [[nodiscard]] const Membership* member(const UserId& user) const;
  [[nodiscard]] const RoleInfo* custom_role(const std::string& name) const;
};

/// Everything stored, in both tenants.
struct Snapshot {
  std::map<std::int64_t, OrgState> orgs;               ///< By organization id.
  std::map<std::string, std::optional<OrgId>> active;  ///< Per member actor: "tenant/user".

  [[nodiscard]] const OrgState* find(OrgId org) const;
  /// A stable text of the whole snapshot, to compare and to print.
  [[nodiscard]] std::string text() const;
};

/// A token the input was handed, and what it opens.
struct IssuedToken {
  std::string text;
  InvitationId invitation;
  OrgId org;
  bool replaced = false;  ///< A resend or refresh issued a newer token for the invitation.
};

/// An API key the input was handed.
struct IssuedKey {
  std::string secret;
  ApiKeyId id;
  OrgId org;
};

/// The Service, its actors and what the run has handed out.
struct World {
  World(const PermissionPolicy& policy, bool seats_for_pending);

  std::shared_ptr<ManualClock> clock;
  std::unique_ptr<Service> kit;
  /// u0..u4 (default tenant), the host and a tenant administrator of the default tenant, and
  /// u0 of tenant "other" (the same user id, another tenant).
  std::vector<Actor> actors;
  std::vector<OrgId> orgs;  ///< Every organization created, deleted ones included.
  std::vector<IssuedToken> tokens;
  std::vector<InvitationId> invitations;
  std::vector<IssuedKey> keys;

  /// Records a token issued for `invitation`; earlier tokens of it stop working.
  void issued(const std::string& token, InvitationId invitation, OrgId org);
  [[nodiscard]] const PermissionPolicy& policy() const { return kit->policy(); }
};

/// Reads everything through the host of each tenant; traps if a read fails.
Snapshot take_snapshot(World& w);

/// Invariants of any state: every organization has an owner, a personal one exactly one
/// member, seats hold, and every role a member or a live key holds exists.
void check_state(const World& w, const Snapshot& s);

/// check(), check(fully_consistent), authorize() and the P7 overload for every actor in
/// `org`, against what the snapshot says each one's role holds; `step` rotates the
/// permissions the slower calls ask about.
void check_answers(World& w, const Snapshot& s, OrgId org, std::size_t step);

/// my_organizations() and claims() of a member actor list exactly the organizations of its
/// tenant where the snapshot has it as a member, with that role (and its permissions), the
/// active one marked and first.
void check_memberships(World& w, const Snapshot& s, const Actor& actor);

/// verify_api_key's answer for `key` against the snapshot: not_found once its organization
/// is gone, revoked once revoked, else the key with its role's permissions (less what only
/// the owner role holds).
void check_verified(const World& w, const Snapshot& s, const IssuedKey& key,
                    const Result<VerifiedApiKey>& verified);

/// The permissions a role holds in `org` per the snapshot (a policy role, or a custom one);
/// nullopt when the role does not exist there.
std::optional<PermissionSet> role_permissions(const World& w, const OrgState& org,
                                              const std::string& role);

}  // namespace orgkit::fuzz
