// orgkit/service.hpp: the operations a host calls.
//
// A Service owns a Storage, a PermissionPolicy and a Clock. Every operation takes the acting
// principal (E1, U3: a member, a tenant administrator or the host) and checks the policy
// itself: a host cannot forget a check. Each operation that changes something runs as one
// unit of work: one write transaction for the organizations it declares, with its audit
// events (A1), so it happens completely or not at all, and invariants (an organization always
// has an owner) are checked inside that transaction. A lost race with a concurrent change is
// retried whole (ServiceOptions::max_attempts). It returns Committed<T>: its result plus the
// commit token (orgkit/commit_token.hpp); then each change goes to the event sinks
// (orgkit/events.hpp).
//
// Visibility: an organization is visible only to its members, and only inside its tenant
// (O9). Asking about an organization one cannot see is not_found, never permission_denied,
// so ids do not leak across tenants.
//
// Thread safety: a Service may be used from any number of threads at once; several processes
// may open Services on the same SQLite file.
//
// Example:
//   auto kit = orgkit::Service::open_sqlite("orgkit.db");            // check kit first
//   orgkit::Actor alice{orgkit::UserId("u-alice"), "alice@example.com", "Alice"};
//   orgkit::NewOrganization spec;
//   spec.name = "Acme";
//   auto acme = (*kit)->create_organization(alice, spec);              // alice is the owner
//   (*kit)->add_member(alice, acme->id,
//                      {orgkit::UserId("u-bob"), "bob@example.com", "Bob", "member"});
//   orgkit::Actor bob{orgkit::UserId("u-bob"), "bob@example.com", "Bob"};
//   auto may = (*kit)->check(bob, acme->id, "members:invite");  // Result<bool>
//   if (!may) { /* the check failed (storage): report it, never read it as "no" */ }
//   else if (!*may) { /* denied */ }
#pragma once

#include <orgkit/export.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orgkit/clock.hpp>
#include <orgkit/commit_token.hpp>
#include <orgkit/consistency.hpp>
#include <functional>
#include <orgkit/error.hpp>
#include <orgkit/events.hpp>
#include <orgkit/ids.hpp>
#include <orgkit/model.hpp>
#include <orgkit/notifier.hpp>
#include <orgkit/policy.hpp>
#include <orgkit/storage.hpp>

namespace orgkit {

struct SqliteOptions;  // orgkit/sqlite.hpp
namespace detail {
struct Core;
}

/// A plan an organization can be on (I7), e.g. free, pro, enterprise.
struct Plan {
  std::string name;                        ///< As stored in Organization::plan.
  bool invitations = true;                 ///< Whether members may be invited at all.
  std::optional<std::int64_t> max_members;  ///< Seat limit; none when empty.
};

/// The plans this library instance knows. With no plans, nothing is gated.
struct PlanSettings {
  std::vector<Plan> plans;
  std::string default_plan;  ///< Given to new organizations that name none; must be in `plans`.
  /// Whether pending (unexpired) invitations hold a seat, so that invitations cannot promise
  /// more seats than the plan has.
  bool pending_invitations_use_seats = false;
};

/// How invitations behave (I1-I6).
struct InvitationSettings {
  std::chrono::seconds email_expiry = std::chrono::hours(24 * 30);  ///< I3 default.
  /// The accept link is this text followed by the token.
  std::string accept_url_base = "https://example.invalid/invitations/accept?token=";
  MessageTemplates templates;
  std::size_t max_csv_rows = 100000;  ///< A larger import is refused whole (limit_exceeded).
  /// The host's own placeholders, by name ("model_list" for 004's "[Model List]"): templates
  /// may use {model_list} once it is declared here. Names are 1-32 of [a-z0-9_], starting
  /// with a letter, and not a built-in placeholder; checked when the Service is created.
  std::vector<std::string> host_placeholders;
  /// Gives the values of host_placeholders for each message as it is rendered (invite, CSV
  /// rows, resend), e.g. from the organization's plan. Required when host_placeholders is
  /// not empty. A declared name it leaves out renders empty; a name it returns that is not
  /// declared, a value over 1,000 characters or an exception fails that invitation with
  /// invalid_argument (field "invitations.placeholder_values"). Values are put in the
  /// subject as one line. A Service with neither a notifier nor an EventSink renders no
  /// message, so it never calls this.
  std::function<std::map<std::string, std::string>(const Organization&, const Invitation&)>
      placeholder_values;
};

struct ServiceOptions {
  PermissionPolicy policy = PermissionPolicy::standard();
  std::shared_ptr<const Clock> clock;  ///< Default: SystemClock.
  std::shared_ptr<Notifier> notifier;  ///< Who delivers invitations; none: not delivered.
  PlanSettings plans;
  InvitationSettings invitations;
  /// After-commit event sinks (hooks, webhooks; orgkit/events.hpp), called in this order
  /// after the notifier.
  std::vector<std::shared_ptr<EventSink>> sinks;
  /// Told about every sink that failed; default: one line on std::clog. Must not throw.
  std::function<void(const SinkFailure&)> on_sink_failure;
  /// How many times a mutation runs when it keeps losing races to concurrent changes of the
  /// same organization (ErrorCode::aborted), 1-20.
  int max_attempts = 5;
  /// How many organizations (not counting the personal one) one user may have created and
  /// still own in a tenant; past it create_organization is limit_exceeded (field
  /// "max_organizations_per_user"). Tenant administrators and the host are not limited.
  std::optional<std::int64_t> max_organizations_per_user = 1000;
  /// How many (tenant, organization, user) answers each thread keeps for check() (C1), at
  /// most 16,777,216; 0 turns the cache off. An entry is about 64 bytes plus the ids.
  /// Cached answers are never stale: see check().
  std::size_t check_cache_capacity = 65536;
};

class ORGKIT_EXPORT Service {
 public:
  /// A Service over any Storage, after checking `options` (plans, templates, expiry, URL).
  /// invalid_argument naming the option, e.g. "invitations.templates.body".
  [[nodiscard]] static Result<std::unique_ptr<Service>> create(std::unique_ptr<Storage> storage,
                                                               ServiceOptions options = {});

  /// Convenience: create() over the bundled SQLite storage at `path` (or ":memory:").
  [[nodiscard]] static Result<std::unique_ptr<Service>> open_sqlite(const std::string& path,
                                                                    ServiceOptions options = {});

  /// The same with SQLite settings (busy timeout, pool size).
  [[nodiscard]] static Result<std::unique_ptr<Service>> open_sqlite(const SqliteOptions& sqlite,
                                                                    ServiceOptions options = {});

  /// Checks options as create() does.
  [[nodiscard]] static Result<void> validate_options(const ServiceOptions& options);

  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  ~Service();

  [[nodiscard]] const PermissionPolicy& policy() const;
  [[nodiscard]] const Clock& clock() const;

  // --- organizations (O1-O9) -----------------------------------------------------------

  /// O1: creates an organization; the actor becomes its owner in the same transaction.
  /// Errors: invalid_argument (name, slug, emails, metadata), already_exists (slug).
  [[nodiscard]] Result<Committed<Organization>> create_organization(const Actor& actor,
                                                         const NewOrganization& spec);

  /// O2: the actor's personal organization, created on first call (named after the actor's
  /// display name, or the local part of the email). It has exactly one member and accepts
  /// no members or invitations.
  [[nodiscard]] Result<Committed<Organization>> ensure_personal_organization(const Actor& actor);

  /// An organization the actor is a member of. not_found otherwise.
  [[nodiscard]] Result<Organization> get_organization(const Actor& actor, OrgId org);

  /// O3, O6: every organization the actor belongs to with their role in it; the active one
  /// first, then in creation order.
  [[nodiscard]] Result<std::vector<MyOrganization>> my_organizations(const Actor& actor);

  /// O4: changes details; needs org:update. Returns the organization as stored.
  [[nodiscard]] Result<Committed<Organization>> update_organization(const Actor& actor, OrgId org,
                                                         const OrganizationUpdate& update);

  /// O5: deletes the organization with its memberships, invitations, custom roles and API
  /// keys; needs org:delete (owners). Its audit events, the deletion's included, stay.
  [[nodiscard]] Result<Committed<void>> delete_organization(const Actor& actor, OrgId org);

  /// O6: remembers `org` as the actor's current organization; the actor must be a member.
  [[nodiscard]] Result<Committed<void>> set_active_organization(const Actor& actor, OrgId org);

  /// O6: the actor's current organization, if one is set (and the actor is still a member).
  [[nodiscard]] Result<std::optional<OrgId>> active_organization(const Actor& actor);

  /// O7: the actor leaves. conflict for the last owner (transfer or delete first).
  [[nodiscard]] Result<Committed<void>> leave_organization(const Actor& actor, OrgId org);

  /// O8: makes member `new_owner` an owner and gives the actor `previous_owner_role`; left
  /// empty, the policy's highest-ranked role below the owner role ("admin" in the standard
  /// policy). Naming the owner role keeps the actor an owner too. Only the owner role
  /// transfers, and only when the policy gives it ownership:transfer (no other role may hold
  /// that permission).
  [[nodiscard]] Result<Committed<void>> transfer_ownership(const Actor& actor, OrgId org,
                                                const UserId& new_owner,
                                                std::string_view previous_owner_role = {});

  // --- members -------------------------------------------------------------------------

  /// Adds an existing user of the host with a role; needs members:add and may not grant a
  /// role above the actor's own (P4). already_exists if already a member; conflict for a
  /// personal organization.
  [[nodiscard]] Result<Committed<Membership>> add_member(const Actor& actor, OrgId org,
                                              const NewMember& member);

  /// Changes a member's role; needs members:update_role, a target the actor outranks (or a
  /// peer, for owners) and a role not above the actor's own (P4). conflict if it would leave
  /// no owner.
  [[nodiscard]] Result<Committed<Membership>> change_member_role(const Actor& actor, OrgId org,
                                                      const UserId& user, std::string_view role);

  /// Removes a member; needs members:remove and a target the actor outranks (P4). conflict
  /// if it would leave no owner. Removing oneself is leave_organization.
  [[nodiscard]] Result<Committed<void>> remove_member(const Actor& actor, OrgId org, const UserId& user);

  /// Sets a member's department (Membership::department; "" clears it, at most 100
  /// characters). Needs what changing their role needs: members:update_role and a target the
  /// actor outranks (anyone with the permission may set their own). Audited as
  /// "member.department_changed". Members who accept an invitation get its department.
  [[nodiscard]] Result<Committed<Membership>> set_member_department(const Actor& actor, OrgId org,
                                                                    const UserId& user,
                                                                    std::string_view department);

  /// Changes several members' roles at once (004's bulk update), in one transaction. Each row
  /// follows every rule of change_member_role, in the order given, and sees the rows before it
  /// (so demoting every owner is refused at the last one). A refused row changes nothing and
  /// is answered in its BulkRowResult; the other rows go on. One audit event (and one
  /// ChangeEvent) per changed member. The call itself fails, changing nothing, only when the
  /// organization is not visible (not_found), the actor may not change roles at all
  /// (permission_denied), the list is empty (invalid_argument, field "changes") or longer
  /// than 1000 rows (limit_exceeded), or storage fails.
  [[nodiscard]] Result<Committed<BulkResult>> change_member_roles(
      const Actor& actor, OrgId org, const std::vector<MemberRoleChange>& changes);

  /// Removes several members at once (004), in one transaction, with the rules of
  /// remove_member per row (a row naming the actor is leaving) and the same answers as
  /// change_member_roles (field "users").
  [[nodiscard]] Result<Committed<BulkResult>> remove_members(const Actor& actor, OrgId org,
                                                             const std::vector<UserId>& users);

  /// Members ordered by user id, a page at a time; needs members:read.
  [[nodiscard]] Result<Page<Membership>> list_members(const Actor& actor, OrgId org,
                                                      const MemberQuery& query = {});

  /// One membership; needs members:read (anyone may read their own).
  [[nodiscard]] Result<Membership> get_membership(const Actor& actor, OrgId org,
                                                  const UserId& user);

  /// The member whose email is `email`, compared as invitations compare it: trimmed and
  /// case-insensitive (ASCII). Needs members:read (anyone may look up their own address).
  /// Errors: invalid_argument (field "email") for a malformed address, not_found (field
  /// "email") when no member has it; an invitee who has not accepted yet is not a member.
  /// A member added directly (add_member) may share an address with another; then one of
  /// them is returned.
  [[nodiscard]] Result<Membership> find_member_by_email(const Actor& actor, OrgId org,
                                                        std::string_view email);

  /// The member table with its status column (seed 001): every member ("active"), ordered
  /// by user id, then every person invited by email whose invitation is pending and not
  /// expired ("pending"), newest invitation first, a page at a time; next_cursor continues
  /// across the two. Shareable links are not listed (they name nobody): list_invitations
  /// shows them. Needs members:read; the pending rows also need what list_invitations
  /// needs (members:invite), and without it the table lists members only, as that actor's
  /// list_members would (check(actor, org, "members:invite") tells a UI which it got).
  /// A row that exists during the whole walk appears exactly once, whatever is added
  /// between pages; a row that changes (an invitation accepted, a member removed) between
  /// pages may appear as it was or as it became. Errors: invalid_argument (limit, cursor).
  ///
  /// Example:
  ///   orgkit::RosterQuery q;
  ///   q.limit = 20;
  ///   for (;;) {
  ///     auto page = kit->list_roster(admin, org, q);
  ///     if (!page) break;  // report page.error()
  ///     for (const auto& row : page->items) {
  ///       // row.display_name, row.email, row.role, orgkit::to_string(row.status)
  ///     }
  ///     if (!page->next_cursor) break;
  ///     q.cursor = *page->next_cursor;
  ///   }
  [[nodiscard]] Result<Page<RosterEntry>> list_roster(const Actor& actor, OrgId org,
                                                      const RosterQuery& query = {});

  /// I7: moves the organization to another configured plan; needs billing:manage. A plan
  /// with fewer seats than the organization uses is refused (limit_exceeded).
  [[nodiscard]] Result<Committed<Organization>> set_plan(const Actor& actor, OrgId org,
                                              std::string_view plan);

  // --- invitations (I1-I9) -------------------------------------------------------------

  /// I1, I8: invites an email address with a role; needs members:invite, never above the
  /// actor's own role (P4), never in a personal organization (O2), only on plans that allow
  /// it and within the seat limit (I7). An existing member is already_exists; a pending
  /// invitation to the same address is refreshed (new token and expiry) instead of twinned.
  /// The notifier is told after the commit.
  [[nodiscard]] Result<Committed<IssuedInvitation>> invite(const Actor& actor, OrgId org,
                                                const InviteRequest& request);

  /// I5: a single-use shareable link for `role` that expires after `expiry`.
  [[nodiscard]] Result<Committed<IssuedInvitation>> create_invite_link(const Actor& actor, OrgId org,
                                                            std::string_view role,
                                                            LinkExpiry expiry);

  /// I2: the invitee accepts with the token. For an email invitation the actor's email must
  /// match the invited address (case-insensitive); then email_verified is true in the result.
  /// Errors, each distinct: invalid_argument (malformed token), not_found (unknown token,
  /// or its organization was deleted), expired, already_used, revoked, conflict (declined,
  /// or the role no longer exists), permission_denied (another user's email, or field "plan":
  /// the organization's plan no longer includes invitations), already_exists (already a
  /// member), limit_exceeded (no seat left).
  [[nodiscard]] Result<Committed<AcceptedInvitation>> accept_invitation(const Actor& invitee,
                                                             std::string_view token);

  /// Reads what an invitation offers (organization, role, invited address, inviter, expiry)
  /// by its token, without accepting it and without changing anything, e.g. to pre-fill a
  /// sign-up form (004). `tenant` is the tenant the token was presented in. The token is found
  /// by its hash, never compared as text. The errors are accept_invitation's, each distinct:
  /// invalid_argument (malformed), not_found (unknown, another tenant's, or its organization
  /// was deleted), expired, already_used, revoked (also when its sender may no longer grant
  /// its role: the reason is in the message; accepting it would close it), conflict (declined,
  /// or the role no longer exists), permission_denied (field "plan": the plan no longer
  /// includes invitations). Only an email-address check is left to accepting.
  [[nodiscard]] Result<InvitationPreview> preview_invitation(
      std::string_view token, const TenantId& tenant = default_tenant()) const;

  /// I4: the invitee says no; the email invitation is closed as declined. The same errors as
  /// accepting (malformed, unknown, expired, used, revoked, another address); conflict for a
  /// shareable link, which is simply left unused.
  [[nodiscard]] Result<Committed<Invitation>> decline_invitation(const Actor& invitee,
                                                      std::string_view token);

  /// I4: a new token for a pending (or expired) email invitation, with the lifetime it was
  /// given, from now; the old token stops working. Needs members:invite and a role that may
  /// grant the invited one. Errors: not_found, revoked (revoked already), conflict (accepted,
  /// declined, or a link), already_exists (the address became a member), permission_denied
  /// (plan without invitations, P4), limit_exceeded (an expired one needs a seat again).
  [[nodiscard]] Result<Committed<IssuedInvitation>> resend_invitation(const Actor& actor, OrgId org,
                                                           InvitationId invitation);

  /// I4: closes a pending invitation or link so it can no longer be accepted. Needs
  /// members:invite and a role that may grant the invited one. Errors: not_found, revoked
  /// (revoked already), conflict (accepted or declined).
  [[nodiscard]] Result<Committed<Invitation>> revoke_invitation(const Actor& actor, OrgId org,
                                                     InvitationId invitation);

  /// I4: the organization's invitations, newest first, with their states as of now
  /// (`expired` included); filter by state for the pending list. Needs members:invite.
  [[nodiscard]] Result<Page<Invitation>> list_invitations(const Actor& actor, OrgId org,
                                                          const InvitationQuery& query = {});

  /// I6: invites every row of a CSV text with the columns email, role, department, message
  /// (a header row naming them, in any order; department and message may be absent).
  /// Each row gets a result: invited, refreshed, or the error for that row; a bad row never
  /// stops the others. The file as a whole fails only when it cannot be read as such
  /// (invalid_argument: no header, missing email or role column; limit_exceeded: more rows
  /// than InvitationSettings::max_csv_rows). One transaction; messages go out after it. Each
  /// invited row carries its accept link, for hosts that deliver without a Notifier.
  [[nodiscard]] Result<Committed<CsvImportResult>> import_invitations_csv(const Actor& actor, OrgId org,
                                                               std::string_view csv);

  /// Told how far import_invitations_csv has got: data rows handled and the total. Called
  /// from inside the import's transaction, about every 1% of the rows and after the last;
  /// it must be quick, must not call the Service, and an exception from it is ignored. A
  /// retried attempt counts from 0 again.
  using CsvProgress = std::function<void(std::size_t rows_done, std::size_t rows_total)>;

  /// As above, reporting progress to `progress` (a command line shows it for a large file).
  [[nodiscard]] Result<Committed<CsvImportResult>> import_invitations_csv(
      const Actor& actor, OrgId org, std::string_view csv, const CsvProgress& progress);

  // --- custom roles (P6) ---------------------------------------------------------------

  /// Defines a role for this organization only; needs roles:manage. Its name must not be a
  /// policy role's; its permissions must be the policy's and held by the actor; its rank at
  /// most the actor's. already_exists (field "name") if the organization has it.
  [[nodiscard]] Result<Committed<CustomRole>> create_role(const Actor& actor, OrgId org,
                                               const CustomRole& role);

  /// Renames a custom role (its holders keep it) and/or replaces its permissions (the same
  /// limits as create_role); needs roles:manage.
  [[nodiscard]] Result<Committed<CustomRole>> update_role(const Actor& actor, OrgId org,
                                               std::string_view name,
                                               const CustomRoleUpdate& update);

  /// Deletes a custom role; needs roles:manage and a rank above it. conflict while members,
  /// API keys or pending invitations hold it, unless `reassign_to` names a role (one the
  /// actor may grant) that they all move to first.
  [[nodiscard]] Result<Committed<void>> delete_role(const Actor& actor, OrgId org, std::string_view name,
                                         std::optional<std::string> reassign_to = std::nullopt);

  /// The roles the organization can assign: the policy's, then its custom roles. Needs
  /// members:read.
  [[nodiscard]] Result<std::vector<RoleInfo>> list_roles(const Actor& actor, OrgId org);

  // --- API keys (P9) -------------------------------------------------------------------

  /// Creates a key for the organization with a role not above the actor's own; needs
  /// api_keys:manage. The secret is in the result and nowhere else, ever.
  [[nodiscard]] Result<Committed<IssuedApiKey>> create_api_key(const Actor& actor, OrgId org,
                                                    const NewApiKey& key);

  /// The organization's keys, newest first, without secrets; needs api_keys:read (when the
  /// policy declares it) or api_keys:manage.
  [[nodiscard]] Result<std::vector<ApiKey>> list_api_keys(const Actor& actor, OrgId org);

  /// Revokes a key at once; needs api_keys:manage and a key role the actor may grant.
  /// Errors: not_found, revoked (revoked already), permission_denied.
  [[nodiscard]] Result<Committed<ApiKey>> revoke_api_key(const Actor& actor, OrgId org, ApiKeyId key);

  /// Resolves a presented key to its organization, tenant, role and permissions, comparing
  /// the secret in constant time. A read: it never waits for writers. Its use is recorded at
  /// most once a minute (ApiKey::last_used_at), as well as the store allows. Errors:
  /// invalid_argument (malformed), not_found (unknown key or wrong secret), revoked, expired,
  /// conflict (its role no longer exists), unavailable/storage. Keys are unique across
  /// tenants: a multi-tenant host compares VerifiedApiKey::tenant with the request's.
  [[nodiscard]] Result<VerifiedApiKey> verify_api_key(std::string_view presented);

  // --- tenant administration (T1, U3) -------------------------------------------------
  //
  // A tenant administrator (Actor::tenant_admin) or the host (Actor::host) runs every
  // operation above on any organization of its own tenant, and is audited as what it is.
  // These calls add what only they need: the tenant's organizations, and tenant keys, the
  // credentials by which an operator proves to be a tenant administrator.
  //
  // Who may do what with tenant keys: only the host creates and revokes them (a tenant
  // administrator cannot mint more credentials for itself, so a leaked key cannot make
  // itself permanent); tenant administrators and the host list them. Members may do none of
  // it (permission_denied, field "actor").
  //
  // Example: the host issues a key; an Admin API resolves it per request.
  //   auto issued = kit->create_tenant_key(orgkit::Actor::host(tenant), {"support desk", {}});
  //   // issued->secret: show it once, to the operator
  //   auto admin = kit->verify_tenant_key(bearer_token, tenant);
  //   if (!admin) { /* 401 */ }
  //   auto orgs = kit->list_tenant_organizations(admin->actor, {});

  /// The organizations of the actor's tenant, by id, a page at a time; for tenant
  /// administrators and the host. OrganizationQuery::text narrows them to names or slugs
  /// containing (or starting with) it, ignoring ASCII case. Each call examines at most
  /// 10,000 organizations, so a filtered page may hold fewer than `limit` items, even none,
  /// and still have a next_cursor: follow it until it is empty. An organization that exists
  /// during the whole walk appears exactly once. Errors: permission_denied (field "actor")
  /// for a member (my_organizations lists theirs), invalid_argument (text, cursor, limit).
  [[nodiscard]] Result<Page<Organization>> list_tenant_organizations(
      const Actor& actor, const OrganizationQuery& query = {});

  /// Creates a tenant key for the actor's tenant; only the host may. The secret is in the
  /// result and nowhere else, ever; only its SHA-256 is stored. Audited as
  /// "tenant_key.created" in the tenant's own trail (list_tenant_audit_events). Errors:
  /// permission_denied (field "actor") for anyone but the host, invalid_argument (name,
  /// expires_in).
  [[nodiscard]] Result<Committed<IssuedTenantKey>> create_tenant_key(const Actor& actor,
                                                                     const NewTenantKey& key);

  /// The keys of the actor's tenant, newest first, revoked and expired ones included, never
  /// with secrets; for tenant administrators and the host.
  [[nodiscard]] Result<std::vector<TenantKey>> list_tenant_keys(const Actor& actor);

  /// Revokes a key of the actor's tenant at once; only the host may. Audited as
  /// "tenant_key.revoked". Errors: permission_denied (field "actor"), not_found (field
  /// "key_id", also for another tenant's key), revoked (revoked already).
  [[nodiscard]] Result<Committed<TenantKey>> revoke_tenant_key(const Actor& actor,
                                                               TenantKeyId key);

  /// Resolves a presented tenant key for a request made to `tenant`: finds it by its public
  /// prefix and compares the SHA-256 of the whole key in constant time. The result's `actor`
  /// is the tenant administrator to run operations as. A read; it records nothing. Errors,
  /// each distinct: invalid_argument (field "key": not shaped like a tenant key), not_found
  /// (unknown, wrong secret, or a key of another tenant: keys never cross tenants), revoked,
  /// expired.
  [[nodiscard]] Result<VerifiedTenantKey> verify_tenant_key(std::string_view presented,
                                                            const TenantId& tenant) const;

  /// The tenant's own audit events (tenant keys created and revoked), newest first, with the
  /// filters and cursor of list_audit_events; for tenant administrators and the host.
  [[nodiscard]] Result<Page<AuditEvent>> list_tenant_audit_events(const Actor& actor,
                                                                  const AuditQuery& query = {});

  // --- claims (P8) ---------------------------------------------------------------------

  /// The actor's memberships as access-token claims (Claims; to_json() for the token): the
  /// active organization first, then by creation; permissions only with
  /// include_permissions. Past max_organizations entries the list stops and `truncated` is
  /// true (the token stays bounded; fetch memberships from the service instead).
  [[nodiscard]] Result<Claims> claims(const Actor& actor, const ClaimsOptions& options = {});

  // --- permission checks (P2, P3, P7) --------------------------------------------------

  /// May the actor do `permission` in `org`? false when denied or not a member (deny by
  /// default); an Error only when the check itself failed (storage).
  ///
  /// A tenant administrator or the host is answered as its operations are authorized: true
  /// for every permission the policy declares in every organization of its own tenant, false
  /// for any other organization (another tenant's, a deleted one). So check(a, org, p) is
  /// true exactly when authorize(a, org, p) succeeds, for every principal. Their answers are
  /// one read of the organization each time, never from the cache, and never confused with
  /// a member who has the same id.
  ///
  /// Fast and never stale (C1, C2): the answer comes from a per-thread cache
  /// (ServiceOptions::check_cache_capacity) while the storage's ChangeSignal says the
  /// organization is unchanged, else from one indexed read. Either way it reflects every
  /// change whose commit returned before the check began, in this process or in any other
  /// orgkit process on the same database (see orgkit/storage.hpp, ChangeSignal). No lock, system
  /// call or heap allocation on a cache hit.
  [[nodiscard]] Result<bool> check(const Actor& actor, OrgId org, Permission permission) const;

  /// P7: may the actor act on a resource of `org` owned by `resource_owner` (a host's
  /// document, agent, ...)? For either permission of an "own or all" pair (standard:
  /// resources:manage_own / resources:manage_all) the answer is the same: yes when the actor's
  /// role holds the "all" half, or holds the "own" half and the actor is the owner. Any other
  /// permission ignores the owner.
  [[nodiscard]] Result<bool> check(const Actor& actor, OrgId org, Permission permission,
                                   const UserId& resource_owner) const;

  /// As above, by name. invalid_argument (field "permission") for a name the policy lacks.
  [[nodiscard]] Result<bool> check(const Actor& actor, OrgId org,
                                   std::string_view permission) const;

  /// P7 by name: check(actor, org, "resources:manage_own", document.owner).
  [[nodiscard]] Result<bool> check(const Actor& actor, OrgId org, std::string_view permission,
                                   const UserId& resource_owner) const;

  /// As check(actor, org, permission), and at least as fresh as `at_least`: the commit token
  /// of a change made elsewhere (another server, a response header). When the storage cannot
  /// vouch that its change signal covers that commit, the answer is read from the store.
  /// The same as check(actor, org, permission, Consistency::at_least_as_fresh(at_least)).
  [[nodiscard]] Result<bool> check(const Actor& actor, OrgId org, std::string_view permission,
                                   const CommitToken& at_least) const;

  /// As check(actor, org, permission), as fresh as `consistency` asks: the cache
  /// (minimize_latency, a plain check's default), at least a commit token
  /// (at_least_as_fresh), or a read of the store every time (fully_consistent). What each one
  /// promises is in orgkit/consistency.hpp.
  [[nodiscard]] Result<bool> check(const Actor& actor, OrgId org, std::string_view permission,
                                   Consistency consistency) const;

  /// May the holder of a verified API key do `permission`? Like VerifiedApiKey::allows, but
  /// a name the policy lacks is invalid_argument, never a silent false (P2).
  [[nodiscard]] Result<bool> check(const VerifiedApiKey& key, std::string_view permission) const;

  /// Like check, but a denial is an Error whose message says who lacks what, for hosts that
  /// want to show why: permission_denied for a member whose role lacks it, not_found for a
  /// non-member (as everywhere), invalid_argument for a name the policy lacks. A tenant
  /// administrator or the host succeeds in every organization of its tenant (not_found
  /// elsewhere).
  [[nodiscard]] Result<void> authorize(const Actor& actor, OrgId org,
                                       std::string_view permission) const;

  // --- audit (A1) ----------------------------------------------------------------------

  /// The organization's audit events, newest first; needs audit:read (owners, admins).
  /// AuditQuery narrows them to one action, one target and a time range [since, until),
  /// all of which must hold; paging with a cursor continues the same query, and events
  /// recorded between pages never repeat a row. Errors: invalid_argument (field "action",
  /// "target", "until" when it is not after "since", "cursor", "limit").
  [[nodiscard]] Result<Page<AuditEvent>> list_audit_events(const Actor& actor, OrgId org,
                                                           const AuditQuery& query = {});

 private:
  explicit Service(std::unique_ptr<detail::Core> core);
  std::unique_ptr<detail::Core> core_;  // everything else lives behind it (src/service/)
};

}  // namespace orgkit
