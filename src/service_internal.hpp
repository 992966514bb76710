// What the Service's use cases share: the transaction, membership and permission steps every
// operation goes through, and the audit writer. Kept out of the public headers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <orgkit/service.hpp>

namespace orgkit {

/// A role as the rules see it: the policy's own, or an organization's custom role (P6).
using RoleRef = std::shared_ptr<const RoleDefinition>;

struct Service::Impl {
  /// The actor's id and tenant are well-formed.
  static Result<void> validate_actor(const Actor& actor);

  /// A write transaction (IMMEDIATE).
  static Result<std::unique_ptr<StorageTransaction>> write(Service& s);

  /// A read transaction.
  static Result<std::unique_ptr<StorageTransaction>> read(Service& s);

  /// The actor's membership of `org`, or not_found: an organization the actor is not a member
  /// of is invisible to them (nothing tells it exists).
  static Result<Membership> actor_membership(StorageTransaction& tx, const Actor& actor,
                                             OrgId org);

  /// The organization, which must exist in the actor's tenant.
  static Result<Organization> organization(StorageTransaction& tx, const Actor& actor,
                                           OrgId org);

  /// Role `name` in `org`: the policy's, else the organization's custom role, else null.
  static Result<RoleRef> find_role(const Service& s, StorageTransaction& tx, OrgId org,
                                   std::string_view name);

  /// The definition of a stored role. A role that no longer exists grants nothing:
  /// conflict, naming the role.
  static Result<RoleRef> stored_role(const Service& s, StorageTransaction& tx,
                                     const Membership& m);

  /// A role named in a request: invalid_argument if malformed, not_found if neither the
  /// policy nor the organization defines it.
  static Result<RoleRef> requested_role(const Service& s, StorageTransaction& tx, OrgId org,
                                        std::string_view field, std::string_view role);

  /// `names` as a custom role's permissions: each known to the policy (invalid_argument) and
  /// held by `actor_role` (permission_denied), duplicates dropped (P6).
  static Result<std::vector<std::string>> grantable_permissions(
      const Service& s, const RoleDefinition& actor_role, const std::vector<std::string>& names);

  /// Custom role `name` of `org`, which `actor_role` may `verb`: it manages the role's
  /// holders (P4, may_manage).
  static Result<CustomRole> managed_custom_role(const Service& s, StorageTransaction& tx,
                                                OrgId org,
                                                std::string_view name,
                                                const RoleDefinition& actor_role,
                                                std::string_view verb);

  /// A custom role as a RoleDefinition (names the policy lacks are ignored).
  static RoleDefinition custom_definition(const Service& s, const CustomRole& role);

  /// Whether the role in `access` (policy or custom) grants `p`. Does not allocate.
  static bool grants(const Service& s, const MemberAccess& access, Permission p);

  /// permission_denied unless `role` holds `permission` (by name, a policy constant).
  static Result<void> require(const Service& s, const RoleDefinition& role,
                              std::string_view permission, std::string_view what);

  /// The actor's membership and role in `org`, and that the role holds `permission`.
  struct Access {
    Membership membership;
    RoleRef role;
  };
  static Result<Access> access(Service& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                               std::string_view permission, std::string_view what);

  /// conflict unless `org` keeps at least one holder of the owner role after `user` stops
  /// holding it. Runs inside the write transaction, so two owners demoting each other at once
  /// cannot both pass (PITFALLS 7).
  static Result<void> ensure_owner_remains(const Service& s, StorageTransaction& tx, OrgId org,
                                           const Membership& losing, std::string_view rule);

  /// O1: inserts `org` (setting its id), makes the actor its owner and audits it.
  static Result<void> insert_with_owner(Service& s, StorageTransaction& tx, const Actor& actor,
                                        const std::string& email,
                                        const std::string& display_name, Organization& org);

  /// Appends an audit event for `org` in the same transaction (A1).
  static Result<void> audit(Service& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                            std::string action, std::string target,
                            std::vector<FieldChange> changes = {});

  /// The configured plan called `name`, or nullptr.
  static const Plan* find_plan(const PlanSettings& plans, std::string_view name);

  /// The plan `org` is on, or nullptr when no plans are configured (nothing is gated).
  static const Plan* plan_for(const Service& s, const Organization& org);

  /// limit_exceeded (field "plan.max_members") unless one more seat fits the plan: members,
  /// plus pending invitations when `count_pending` and configured so.
  static Result<void> ensure_seat(const Service& s, StorageTransaction& tx,
                                  const Organization& org, bool count_pending = true);

  /// The limit_exceeded error for a full plan with `taken` seats used.
  static Error seat_error(const Service& s, const Plan& plan, std::int64_t taken);

  /// invalid_argument if a template uses an unknown placeholder or bad fmt syntax.
  static Result<void> check_templates(const MessageTemplates& templates);

  // --- invitations ---

  /// The actor may invite to `role` in `org`: members:invite, not a personal organization
  /// (O2), a plan that allows invitations (I7), a role not above the actor's own (P4).
  struct InviteContext {
    Access access;
    Organization org;
  };
  /// With a null `role` (bulk import) the rank rule is left to the caller, per row.
  static Result<InviteContext> inviting(Service& s, StorageTransaction& tx, const Actor& actor,
                                        OrgId org, const RoleDefinition* role);

  /// The checked fields of one email invitation (I1), from a call or a CSV row.
  struct EmailInvite {
    std::string email;
    std::string department;
    std::string message;
  };
  static Result<EmailInvite> check_invite(std::string_view email, std::string_view department,
                                          std::string_view message);

  /// A pending email invitation of `org` by `actor` to `role`, expiring `expiry` after `now`.
  static Invitation email_invitation(const Actor& actor, OrgId org, EmailInvite fields,
                                     const std::string& role, Timestamp now,
                                     std::chrono::milliseconds expiry);

  /// permission_denied unless `actor_role` may invite to `role` (P4, PITFALLS 5).
  static Result<void> may_invite_to(const RoleDefinition& actor_role, const RoleDefinition& role);

  /// Issues (or, I8, renews) an email invitation inside `tx` and audits it; the caller has
  /// checked the actor (inviting), the role and the address. Seats are checked against
  /// `seats_taken` when the plan has a limit, and it is updated. Returns the invitation, its
  /// token and the rendered message for after the commit.
  struct Issued {
    IssuedInvitation issued;
    OutgoingMessage message;
  };
  static Result<Issued> issue_email_invitation(Service& s, StorageTransaction& tx,
                                               const Actor& actor, const Organization& org,
                                               const RoleDefinition& actor_role, Invitation inv,
                                               std::optional<std::int64_t>& seats_taken);

  /// The seats `org` uses now (members, plus pending invitations if configured), or nullopt
  /// when its plan has no limit.
  static Result<std::optional<std::int64_t>> seats_taken(const Service& s, StorageTransaction& tx,
                                                         const Organization& org,
                                                         bool count_pending = true);

  /// I7: permission_denied (field "plan") when the organization's plan has no invitations.
  static Result<void> invitations_allowed(const Service& s, const Organization& org);

  /// Hands a message to the notifier after a commit; the failure text, if any. Never throws.
  static std::optional<std::string> deliver(Notifier& notifier, const OutgoingMessage& message);

  /// The validated template values of Service's settings.
  static const InvitationSettings& settings(const Service& s) { return s.invitations_; }
  static Notifier* notifier(const Service& s) { return s.notifier_.get(); }

  /// The pending, unexpired invitation a token opens for `invitee`, with its organization;
  /// otherwise the distinct error of I5 (malformed, unknown, expired, used, revoked,
  /// declined) or, for an email invitation, permission_denied for another address (I2).
  struct OpenInvitation {
    Invitation invitation;
    Organization org;
  };
  static Result<OpenInvitation> open_invitation(Service& s, StorageTransaction& tx,
                                                const Actor& invitee, std::string_view token);

  /// A pending invitation of `org` that the actor may resend or revoke (members:invite and
  /// a role not above their own).
  struct ManagedInvitation {
    Access access;
    Invitation invitation;
  };
  static Result<ManagedInvitation> managed_invitation(Service& s, StorageTransaction& tx,
                                                      const Actor& actor, OrgId org,
                                                      InvitationId id, std::string_view what);

  /// The state a reader sees: a pending invitation past its expiry is expired (I4).
  static InvitationState effective_state(const Invitation& inv, Timestamp now);

  /// tx->commit(), passing `value` through.
  template <class T>
  static Result<T> commit(StorageTransaction& tx, T value) {
    if (auto ok = tx.commit(); !ok) return fail(ok.error());
    return value;
  }
  static Result<void> commit(StorageTransaction& tx) {
    if (auto ok = tx.commit(); !ok) return fail(ok.error());
    return {};
  }
};

/// Unwraps a Result into `var` or returns its error from the enclosing function.
#define ORGKIT_TRY(var, expr)                              \
  auto var##_result = (expr);                              \
  if (!var##_result) return fail(std::move(var##_result).error()); \
  auto var = std::move(*var##_result)

/// Returns the error of a Result<void> from the enclosing function.
#define ORGKIT_CHECK(expr)                                         \
  do {                                                             \
    if (auto orgkit_check_ = (expr); !orgkit_check_)               \
      return fail(std::move(orgkit_check_).error());               \
  } while (false)

}  // namespace orgkit
