// The Service's insides (never installed): Core, the state behind the facade, and the steps
// every use case shares: authorization of the principal, role lookups, plans and seats, the
// audit writer. The use cases themselves are in one file per subject (use_cases.hpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <functional>
#include <orgkit/events.hpp>
#include <orgkit/service.hpp>
#include <orgkit/storage.hpp>

namespace orgkit::detail {

/// A role as the rules see it: the policy's own, or an organization's custom role (P6).
using RoleRef = std::shared_ptr<const RoleDefinition>;

/// Everything the use cases share: the Service's state behind its facade (pimpl), fixed after
/// Service::create, so that any number of threads may read it.
struct Core {
  Core(std::unique_ptr<Storage> storage, ServiceOptions options);

  std::unique_ptr<Storage> storage;
  PermissionPolicy policy;
  std::shared_ptr<const Clock> clock;
  std::shared_ptr<Notifier> notifier;
  PlanSettings plans;
  InvitationSettings invitations;
  std::vector<std::shared_ptr<EventSink>> sinks;  ///< The notifier first, then options.sinks.
  std::function<void(const SinkFailure&)> on_sink_failure;
  int max_attempts = 5;
  std::optional<std::int64_t> max_organizations_per_user;
  RoleDefinition tenant_admin_role;  ///< How a tenant administrator acts (U3).
  RoleDefinition host_role;          ///< How the host acts (U3).
  /// Checks answer from a per-thread cache when the storage has a change signal (C1).
  const ChangeSignal* change_signal = nullptr;
  std::size_t check_cache_capacity = 0;  ///< Entries per thread; 0: no cache.
  std::uint64_t id;  ///< Unique in the process: which thread caches belong to this Service.

  /// Runs one mutation as a unit of work (unit_of_work.hpp).
  template <class T, class Body>
  Result<Committed<T>> write(const Actor& actor, WriteScope scope, Body&& body);
};

/// The actor's id and tenant are well-formed.
Result<void> validate_actor(const Actor& actor);

/// A write transaction (IMMEDIATE).
Result<std::unique_ptr<StorageTransaction>> write(Core& s);

/// A read transaction.
Result<std::unique_ptr<StorageTransaction>> read(Core& s);

/// The actor's membership of `org`, or not_found: an organization the actor is not a member
/// of is invisible to them (nothing tells it exists).
Result<Membership> actor_membership(StorageTransaction& tx, const Actor& actor, OrgId org);

/// The organization, which must exist in the actor's tenant.
Result<Organization> organization(StorageTransaction& tx, const Actor& actor, OrgId org);

/// Role `name` in `org`: the policy's, else the organization's custom role, else null.
Result<RoleRef> find_role(const Core& s, StorageTransaction& tx, OrgId org, std::string_view name);

/// The definition of a stored role. A role that no longer exists grants nothing:
/// conflict, naming the role.
Result<RoleRef> stored_role(const Core& s, StorageTransaction& tx, const Membership& m);

/// A role named in a request: invalid_argument if malformed, not_found if neither the
/// policy nor the organization defines it.
Result<RoleRef> requested_role(const Core& s, StorageTransaction& tx, OrgId org,
                               std::string_view field, std::string_view role);

/// `names` as a custom role's permissions: each known to the policy (invalid_argument) and
/// held by `actor_role` (permission_denied), duplicates dropped (P6).
Result<std::vector<std::string>> grantable_permissions(const Core& s,
                                                       const RoleDefinition& actor_role,
                                                       const std::vector<std::string>& names);

/// Custom role `name` of `org`, which `actor_role` may `verb`: it manages the role's
/// holders (P4, may_manage).
Result<CustomRole> managed_custom_role(const Core& s, StorageTransaction& tx, OrgId org,
                                       std::string_view name, const RoleDefinition& actor_role,
                                       std::string_view verb);

/// A custom role as a RoleDefinition (names the policy lacks are ignored).
RoleDefinition custom_definition(const Core& s, const CustomRole& role);

/// Whether the role in `access` (policy or custom) grants `p`. Does not allocate.
bool grants(const Core& s, const MemberAccess& access, Permission p);

/// permission_denied unless `role` holds `permission` (by name, a policy constant).
Result<void> require(const Core& s, const RoleDefinition& role, std::string_view permission,
                     std::string_view what);

/// The actor's membership and role in `org`, and that the role holds `permission`.
struct Access {
  Membership membership;
  RoleRef role;
};
/// The principal's view of `org`: a member's membership and role, or, for a tenant
/// administrator or the host, the organization's existence in its tenant and the role it acts
/// with. not_found when the organization is not visible.
Result<Access> visible(Core& s, StorageTransaction& tx, const Actor& actor, OrgId org);

/// invalid_argument (field "actor") unless the actor is a member principal: for operations
/// that only make sense for a user (accepting, leaving, one's own organizations).
Result<void> require_member(const Actor& actor, std::string_view what);

Result<Access> access(Core& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                      std::string_view permission, std::string_view what);

/// conflict unless `org` keeps at least one holder of the owner role after `user` stops
/// holding it. Runs inside the write transaction, so two owners demoting each other at once
/// cannot both pass (PITFALLS 7).
Result<void> ensure_owner_remains(const Core& s, StorageTransaction& tx, OrgId org,
                                  const Membership& losing, std::string_view rule);

/// Whether an error ends a whole unit of work (storage trouble, a lost race) rather than
/// being the answer for one row of a bulk operation: such an error rolls everything back, and
/// a lost race is retried whole.
inline bool ends_unit_of_work(ErrorCode code) {
  return code == ErrorCode::storage || code == ErrorCode::unavailable ||
         code == ErrorCode::aborted || code == ErrorCode::not_supported;
}

/// O7: the actor leaves `org` inside `tx` (shared by leave_organization and bulk removal).
Result<void> leave_step(Core& s, StorageTransaction& tx, const Actor& actor, OrgId org);

/// O1: inserts `org` (setting its id), makes `owner` its owner and audits it as `actor`'s.
Result<void> insert_with_owner(Core& s, StorageTransaction& tx, const Actor& actor,
                               const NewOwner& owner, Organization& org);

/// Appends an audit event for `org` in the same transaction (A1).
Result<void> audit(Core& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                   std::string action, std::string target, std::vector<FieldChange> changes = {});

/// The configured plan called `name`, or nullptr.
const Plan* find_plan(const PlanSettings& plans, std::string_view name);

/// The plan `org` is on, or nullptr when no plans are configured (nothing is gated).
const Plan* plan_for(const Core& s, const Organization& org);

/// limit_exceeded (field "plan.max_members") unless one more seat fits the plan: members,
/// plus pending invitations when `count_pending` and configured so.
Result<void> ensure_seat(const Core& s, StorageTransaction& tx, const Organization& org,
                         bool count_pending = true);


/// invalid_argument if a template uses an unknown placeholder or bad fmt syntax, or a host
/// placeholder is badly named or has no source of values.
Result<void> check_templates(const InvitationSettings& settings);

// --- invitations ---

/// The actor may invite to `role` in `org`: members:invite, not a personal organization
/// (O2), a plan that allows invitations (I7), a role not above the actor's own (P4).
struct InviteContext {
  Access access;
  Organization org;
};
/// With a null `role` (bulk import) the rank rule is left to the caller, per row.
Result<InviteContext> inviting(Core& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                               const RoleDefinition* role);

/// The checked fields of one email invitation (I1), from a call or a CSV row.
struct EmailInvite {
  std::string email;
  std::string department;
  std::string message;
};
Result<EmailInvite> check_invite(std::string_view email, std::string_view department,
                                 std::string_view message);

/// A pending email invitation of `org` by `actor` to `role`, expiring `expiry` after `now`.
Invitation email_invitation(const Actor& actor, OrgId org, EmailInvite fields,
                            const std::string& role, Timestamp now,
                            std::chrono::milliseconds expiry);

/// permission_denied unless `actor_role` may invite to `role` (P4, PITFALLS 5).
Result<void> may_invite_to(const RoleDefinition& actor_role, const RoleDefinition& role);

/// Issues (or, I8, renews) an email invitation inside `tx` and audits it; the caller has
/// checked the actor (inviting), the role and the address. Seats are checked against
/// `seats_taken` when the plan has a limit, and it is updated. Returns the invitation, its
/// token and the rendered message for after the commit: none when the Service has no sink at
/// all (no notifier, no EventSink), since nobody would receive it.
struct Issued {
  IssuedInvitation issued;
  std::optional<OutgoingMessage> message;
};
Result<Issued> issue_email_invitation(Core& s, StorageTransaction& tx, const Actor& actor,
                                      const Organization& org, const RoleDefinition& actor_role,
                                      Invitation inv, std::optional<std::int64_t>& seats_taken);

/// The seats `org` uses now (members, plus pending invitations if configured), or nullopt
/// when its plan has no limit.
Result<std::optional<std::int64_t>> seats_taken(const Core& s, StorageTransaction& tx,
                                                const Organization& org, bool count_pending = true);

/// I7: permission_denied (field "plan") when the organization's plan has no invitations.
Result<void> invitations_allowed(const Core& s, const Organization& org);

/// The pending, unexpired invitation a token opens for `invitee`, with its organization;
/// otherwise the distinct error of I5 (malformed, unknown, expired, used, revoked,
/// declined) or, for an email invitation, permission_denied for another address (I2).
struct OpenInvitation {
  Invitation invitation;
  Organization org;
};
Result<OpenInvitation> open_invitation(Core& s, StorageTransaction& tx, const Actor& invitee,
                                       std::string_view token);

/// A pending invitation of `org` that the actor may resend or revoke (members:invite and
/// a role not above their own).
struct ManagedInvitation {
  Access access;
  Invitation invitation;
};
Result<ManagedInvitation> managed_invitation(Core& s, StorageTransaction& tx, const Actor& actor,
                                             OrgId org, InvitationId id, std::string_view what);


/// Unwraps a Result into `var` or returns its error from the enclosing function.
#define ORGKIT_TRY(var, expr)                                      \
  auto var##_result = (expr);                                      \
  if (!var##_result) return fail(std::move(var##_result).error()); \
  auto var = std::move(*var##_result)

/// Returns the error of a Result<void> from the enclosing function.
#define ORGKIT_CHECK(expr)                           \
  do {                                               \
    if (auto orgkit_check_ = (expr); !orgkit_check_) \
      return fail(std::move(orgkit_check_).error()); \
  } while (false)

}  // namespace orgkit::detail
