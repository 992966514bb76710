// orgkit/model.hpp: the value types orgkit hands out and takes in.
//
// These are plain structs: copying one never touches storage, and changing one changes
// nothing until it is passed to a Service operation. Users belong to the host: orgkit stores
// only the host's user id and the email and display name the host passed in, per membership,
// for member listings (a member's email cannot be changed in place, P10: remove and add again).
#pragma once

#include <orgkit/export.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orgkit/clock.hpp>
#include <orgkit/error.hpp>
#include <orgkit/ids.hpp>

namespace orgkit {

/// Who an operation runs for (U3).
enum class PrincipalKind {
  member,        ///< A user of the host, acting through their memberships (the usual case).
  tenant_admin,  ///< An operator of one tenant, authenticated by the host (the Admin API): may
                 ///< administer every organization of that tenant, and no other tenant.
  host,          ///< The host application itself, for provisioning and repair in one tenant.
};

/// "member", "tenant_admin" or "host", as written to the audit trail.
[[nodiscard]] ORGKIT_EXPORT std::string_view to_string(PrincipalKind kind) noexcept;

/// The principal on whose behalf an operation runs (E1, U3). The host authenticates it; orgkit
/// decides what it may do, and audits it as what it is. Usually a user acting through their
/// memberships (`email` should be verified by the host); Actor::tenant_admin and Actor::host
/// make the other two principals. None of them ever reaches another tenant.
struct Actor {
  UserId id;
  std::string email;         ///< Used when the actor becomes a member (creating an org).
  std::string display_name;  ///< Optional; shown in member listings.
  TenantId tenant = default_tenant();  ///< The tenant the user acts in (O9).
  PrincipalKind kind = PrincipalKind::member;

  /// A tenant administrator, named `admin_id` in the audit trail. Holds every permission in
  /// every organization of `tenant` and outranks its owners, but the invariants still hold:
  /// an organization keeps an owner, personal organizations keep one member.
  static Actor tenant_admin(TenantId tenant, std::string admin_id) {
    return Actor{UserId(std::move(admin_id)), {}, {}, std::move(tenant), PrincipalKind::tenant_admin};
  }

  /// The host itself, named `label` in the audit trail: like a tenant administrator, and
  /// also exempt from plan gating when it adds members (provisioning).
  static Actor host(TenantId tenant = default_tenant(), std::string label = "host") {
    return Actor{UserId(std::move(label)), {}, {}, std::move(tenant), PrincipalKind::host};
  }

  [[nodiscard]] bool is_member() const { return kind == PrincipalKind::member; }
};

/// An organization (O1).
struct Organization {
  OrgId id;  ///< Generated, read-only.
  TenantId tenant;
  std::string name;  ///< 1-100 characters, trimmed.
  std::string slug;  ///< Unique in its tenant: [a-z0-9] and single hyphens, 2-48 characters.
  std::string description;
  std::string legal_name;
  std::string alerting_email;
  std::string invoicing_email;
  /// Plan name (I7): one of ServiceOptions::plans, lowercase [a-z0-9_-]; empty means the
  /// default plan. The creator may name any configured plan: hosts that sell plans leave it
  /// empty and call Service::set_plan after payment.
  std::string plan;
  std::map<std::string, std::string> metadata;  ///< Free-form key/value pairs of the host.
  bool personal = false;  ///< A personal organization has exactly one member (O2).
  UserId created_by;
  Timestamp created_at;
};

/// What to create (O1). Only `name` is required; `slug` is derived from the name when empty.
/// Who owns a new organization when a tenant administrator or the host creates it: an
/// organization never exists without an owner.
struct NewOwner {
  UserId id;
  std::string email;
  std::string display_name;
};

struct NewOrganization {
  std::string name;
  std::string slug;
  std::string description;
  std::string legal_name;
  std::string alerting_email;
  std::string invoicing_email;
  std::string plan;
  std::map<std::string, std::string> metadata;
  /// Required when a tenant administrator or the host creates the organization; a member who
  /// creates one becomes its owner and leaves this empty.
  std::optional<NewOwner> owner;
};

/// A partial update (O4): fields left empty (std::nullopt) are unchanged.
struct OrganizationUpdate {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> legal_name;
  std::optional<std::string> alerting_email;   ///< "" clears it.
  std::optional<std::string> invoicing_email;  ///< "" clears it.
  std::optional<std::map<std::string, std::string>> metadata;  ///< Replaces all metadata.
};

/// A user's membership of one organization.
struct Membership {
  OrgId org;
  UserId user;
  std::string email;  ///< As passed when the user joined; never changed in place (P10).
  std::string display_name;
  std::string role;
  Timestamp joined_at;
  /// Where the member works, for the host's own grouping (004): from the invitation they
  /// accepted, or set_member_department; empty if none. At most 100 characters.
  std::string department;
};

/// A user to add to an organization, with the role to give them.
struct NewMember {
  UserId id;
  std::string email;
  std::string display_name;
  std::string role;
};

/// One row of a bulk role change: who gets which role.
struct MemberRoleChange {
  UserId user;
  std::string role;
};

/// The answer for one row of a bulk member operation, in the order the rows were given.
struct BulkRowResult {
  UserId user;
  std::optional<Error> error;  ///< Why this row was refused; empty when it was applied.
  [[nodiscard]] bool applied() const { return !error; }
};

/// The result of a bulk member operation: one entry per row, and the totals.
struct BulkResult {
  std::vector<BulkRowResult> rows;
  std::size_t applied = 0;
  std::size_t failed = 0;
};

/// One entry of "my organizations" (O3).
struct MyOrganization {
  Organization organization;
  std::string role;     ///< The user's role there.
  bool active = false;  ///< Whether it is the user's active organization (O6).
};

/// The state of an invitation (I4). `expired` is never stored: a pending invitation whose
/// expiry has passed reads as expired, whether or not anything swept it.
enum class InvitationState { pending, accepted, declined, revoked, expired };

/// How an invitation reaches its invitee: an email address, or a shareable link (I5).
enum class InvitationKind { email, link };

/// "pending", "accepted", ... and "email", "link".
[[nodiscard]] ORGKIT_EXPORT std::string_view to_string(InvitationState state) noexcept;
[[nodiscard]] ORGKIT_EXPORT std::string_view to_string(InvitationKind kind) noexcept;
inline std::string_view format_as(InvitationState s) noexcept { return to_string(s); }
inline std::string_view format_as(InvitationKind k) noexcept { return to_string(k); }

/// An invitation to join an organization (I1-I9). Its token is never stored or shown again
/// after it is issued; only a hash of it is kept.
struct Invitation {
  InvitationId id;
  OrgId org;
  InvitationKind kind = InvitationKind::email;
  std::string email;  ///< The invitee's address as given; empty for links.
  std::string role;
  std::string department;
  std::string message;
  InvitationState state = InvitationState::pending;
  UserId invited_by;
  PrincipalKind invited_by_kind = PrincipalKind::member;  ///< What `invited_by` is (U3).
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<UserId> closed_by;    ///< Who accepted, declined or revoked it.
  std::optional<Timestamp> closed_at;
};

/// What to invite (I1). Only `email` and `role` are required.
struct InviteRequest {
  std::string email;
  std::string role;
  std::string department;  ///< Optional, at most 100 characters.
  std::string message;     ///< Optional personal message, at most 1000 characters.
  /// Overrides the library's default expiry (30 days unless configured): 1 minute - 365 days.
  std::optional<std::chrono::seconds> expires_in;
};

/// The expiries a shareable link may have (I5).
enum class LinkExpiry { one_hour, one_day, two_days, seven_days };

/// An invitation as just issued: the only time its token and accept link are visible.
struct IssuedInvitation {
  Invitation invitation;
  std::string token;       ///< Secret; give it to the invitee, never log it.
  std::string accept_url;  ///< The configured base URL with the token appended.
  bool refreshed = false;  ///< An earlier pending invitation to the same email was renewed (I8).
  /// Set when the notifier could not deliver the message; the invitation exists regardless
  /// and can be resent.
  std::optional<std::string> delivery_error;
};

/// What an invitation offers, read by its token without accepting it: what a sign-up form
/// shows before the invitee has an account (004: "sign-up form opens with email pre-filled").
struct InvitationPreview {
  InvitationId id;
  InvitationKind kind = InvitationKind::email;
  std::string email;  ///< The invited address; empty for a link.
  OrgId org;
  std::string organization_name;
  std::string organization_slug;
  std::string role;
  std::string department;
  std::string message;
  UserId invited_by;
  PrincipalKind invited_by_kind = PrincipalKind::member;
  std::string inviter_name;  ///< The inviter's display name while they are a member, else empty.
  Timestamp expires_at;
};

/// The outcome of accepting an invitation (I2).
struct AcceptedInvitation {
  Membership membership;
  Invitation invitation;
  /// True when accepting proved the user controls the invited address (email invitations):
  /// the host may mark the email verified.
  bool email_verified = false;
};

/// Which invitations to list (I4), newest first.
struct InvitationQuery {
  std::optional<InvitationState> state;  ///< Only this state (expired included); all if empty.
  std::string cursor;                    ///< From a previous page; empty for the first.
  int limit = 50;                        ///< 1-1000.
};

/// One row of a bulk CSV import (I6).
struct CsvRowResult {
  enum class Outcome { invited, refreshed, failed };
  std::size_t line = 0;  ///< 1-based line number in the file (the header is line 1).
  std::string email;
  Outcome outcome = Outcome::failed;
  std::optional<InvitationId> invitation;  ///< Set when invited or refreshed.
  /// Set when invited or refreshed: the accept link (holds the token, a secret). With no
  /// notifier configured, the host delivers it; a later row for the same address replaces
  /// the token, so only that row's link works.
  std::string accept_url;
  std::optional<Error> error;              ///< Set when failed: why this row was not invited.
  std::optional<std::string> delivery_error;  ///< Invited, but the notifier failed.
};

/// The result of a bulk CSV import: one entry per data row, in file order.
struct CsvImportResult {
  std::vector<CsvRowResult> rows;
  std::size_t invited = 0;
  std::size_t refreshed = 0;
  std::size_t failed = 0;
};

/// A role defined by one organization for itself (P6). Its name never equals a role of the
/// policy; its permissions are names of the policy's permissions.
struct CustomRole {
  std::string name;  ///< 1-64 of [a-z0-9_-].
  /// Where it sits for the rank rule (P4). The standard roles rank owner 100, admin 50,
  /// member 20, viewer 10; a custom role must rank below its creator (e.g. 30: between member
  /// and admin, so admins manage its holders).
  int rank = 0;
  std::vector<std::string> permissions;
  Timestamp created_at;
};

/// What to change of a custom role; empty fields stay as they are.
struct CustomRoleUpdate {
  std::optional<std::string> name;  ///< Rename; members holding it keep it under the new name.
  std::optional<std::vector<std::string>> permissions;  ///< Replaces all permissions.
};

/// A role an organization can assign: one of the policy's, or one of its own (P6).
struct RoleInfo {
  std::string name;
  int rank = 0;
  std::vector<std::string> permissions;
  bool custom = false;
};

/// An organization's API key (P9). The secret is never stored or shown again after creation.
struct ApiKey {
  ApiKeyId id;
  OrgId org;
  std::string name;
  std::string role;
  std::string prefix;  ///< Public part of the key, for recognising it in lists and logs.
  UserId created_by;
  Timestamp created_at;
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> revoked_at;
  std::optional<Timestamp> last_used_at;
};

/// What to create (P9).
struct NewApiKey {
  std::string name;  ///< 1-100 characters.
  std::string role;  ///< One the creator may grant (P4); never the owner role.
  std::optional<std::chrono::seconds> expires_in;  ///< None: never expires.
};

/// A key as just created: the only time its secret is visible.
struct IssuedApiKey {
  ApiKey key;
  std::string secret;  ///< "okk_<prefix>_<secret>": give it to the client, never log it.
};

/// What a presented key resolves to: its organization, role and permissions, nothing of its
/// creator's: a key never acts with more than its role.
struct VerifiedApiKey {
  ApiKey key;
  TenantId tenant;
  std::vector<std::string> permissions;  ///< The role's permissions at verification time.
  [[nodiscard]] bool allows(std::string_view permission) const {
    for (const auto& p : permissions) {
      if (p == permission) return true;
    }
    return false;
  }
};

/// A tenant administrator's credential (T1): like an API key, but for a whole tenant rather
/// than one organization. Whoever presents it acts as Actor::tenant_admin of its tenant. The
/// secret is never stored or shown again after creation; only a SHA-256 of it is kept.
struct TenantKey {
  TenantKeyId id;
  TenantId tenant;
  std::string name;    ///< What it is for ("support desk"), 1-100 characters.
  std::string prefix;  ///< Public part ("otk_<prefix>_..."), for lists and logs.
  UserId created_by;
  PrincipalKind created_by_kind = PrincipalKind::host;
  Timestamp created_at;
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> revoked_at;
};

/// What to create (T1).
struct NewTenantKey {
  std::string name;                                ///< 1-100 characters.
  std::optional<std::chrono::seconds> expires_in;  ///< 1 minute - 10 years; none: never.
};

/// A tenant key as just created: the only time its secret is visible.
struct IssuedTenantKey {
  TenantKey key;
  std::string secret;  ///< "otk_<16 hex>_<43 characters>": give it to the operator, never log it.
};

/// What a presented tenant key resolves to: the key, and the principal to run operations as:
/// Actor::tenant_admin(key.tenant, "tenant-key-<id>"), so that the audit trail names the key.
struct VerifiedTenantKey {
  TenantKey key;
  Actor actor;
};

/// How OrganizationQuery::text is compared with an organization's name and slug.
enum class NameMatch {
  contains,  ///< The name or the slug contains the text.
  prefix,    ///< The name or the slug starts with the text.
};

/// Which organizations of a tenant to list (Service::list_tenant_organizations), by id.
struct OrganizationQuery {
  /// Only organizations whose name or slug matches this text, ignoring ASCII case; every
  /// organization when empty. At most 100 characters, one line; compared as text, never as a
  /// pattern (% and _ are ordinary characters).
  std::string text;
  NameMatch match = NameMatch::contains;
  std::string cursor;  ///< From a previous page; empty for the first.
  int limit = 50;      ///< 1-1000.
};

/// How claims are exported (P8).
struct ClaimsOptions {
  bool include_permissions = false;  ///< Add each organization's permission names.
  std::size_t max_organizations = 50;  ///< Beyond this, "truncated": true (1-1000).
};

/// One organization in a user's claims (P8).
struct ClaimsOrganization {
  OrgId id;
  std::string slug;
  std::string role;
  /// The role's permission names; filled only with ClaimsOptions::include_permissions.
  std::vector<std::string> permissions;
};

/// A user's memberships as access-token claims (P8): read the fields directly, or embed
/// to_json() in a token.
struct Claims {
  int version = 1;
  UserId subject;
  TenantId tenant;
  std::optional<OrgId> active_org;  ///< The user's active organization (O6), if set.
  /// More organizations than ClaimsOptions::max_organizations: the list stops there.
  bool truncated = false;
  bool include_permissions = false;  ///< Whether `permissions` was filled.
  std::vector<ClaimsOrganization> orgs;  ///< The active organization first, then by creation.

  /// {"v":1,"sub":"u-1","tenant":"default","active_org":"42" or null,"truncated":false,
  ///  "orgs":[{"id":"42","slug":"acme","role":"owner","permissions":["..."]},...]}, keys in
  /// this order; "permissions" only when include_permissions.
  [[nodiscard]] ORGKIT_EXPORT std::string to_json() const;
};

/// One changed field of an audited change. An absent side means "did not exist".
struct FieldChange {
  std::string field;
  std::optional<std::string> before;
  std::optional<std::string> after;
};

/// One audited change (A1): who did what to whom, when, and what changed.
struct AuditEvent {
  AuditEventId id;
  TenantId tenant;
  OrgId org;
  UserId actor;
  PrincipalKind actor_kind = PrincipalKind::member;  ///< What `actor` is (U3).
  std::string action;  ///< e.g. "member.role_changed"; see the README for the list.
  std::string target;  ///< What was acted on, e.g. a user id or an organization slug.
  std::vector<FieldChange> changes;
  Timestamp at;
};

/// One page of a listing, and where the next one starts.
template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;  ///< Opaque; pass back to get the next page.
};

/// Which members to list.
struct MemberQuery {
  std::optional<std::string> role;  ///< Only members with this role.
  std::string cursor;               ///< From a previous page; empty for the first.
  int limit = 50;                   ///< 1-1000.
};

/// Whether a row of the member table (Service::list_roster) is a member or an invitee.
enum class RosterStatus {
  active,   ///< A member, with access.
  pending,  ///< Invited by email; the invitation is pending and not expired.
};

/// "active" or "pending".
[[nodiscard]] ORGKIT_EXPORT std::string_view to_string(RosterStatus status) noexcept;
inline std::string_view format_as(RosterStatus s) noexcept { return to_string(s); }

/// One row of the member table: a member, or a person invited by email who has not answered
/// yet (seed 001's "Name & Email", "Role", "Status").
struct RosterEntry {
  RosterStatus status = RosterStatus::active;
  std::optional<UserId> user;  ///< Active rows: the member's user id.
  std::string email;           ///< The member's email, or the invited address.
  std::string display_name;    ///< Active rows; empty for pending rows (no account yet).
  std::string role;            ///< The role held, or the role invited to.
  Timestamp since;             ///< When the member joined, or when the invitation was (re)sent.
  std::optional<Timestamp> expires_at;       ///< Pending rows: when the invitation expires.
  std::optional<InvitationId> invitation;    ///< Pending rows: to resend or revoke it.
};

/// Which rows of the member table to list: members first (by user id), then pending email
/// invitations (newest first).
struct RosterQuery {
  std::string cursor;  ///< From a previous page; empty for the first.
  int limit = 50;      ///< 1-1000.
};

/// Which audit events to list (newest first). The filters that are set must all hold.
struct AuditQuery {
  /// Only this action, e.g. "member.role_changed" (the README lists them): 1-64 characters
  /// of [a-z0-9_] in dot-separated words. An action no event has gives an empty list.
  std::optional<std::string> action;
  /// Only events about this target, exactly as recorded (a user id, an invited address as
  /// typed, a slug, a role name, "okk_<prefix>"): 1-255 bytes, no control characters.
  std::optional<std::string> target;
  std::optional<Timestamp> since;  ///< Only events at or after this time.
  std::optional<Timestamp> until;  ///< Only events before this time; after `since` if both.
  /// From a previous page of the same query; empty for the first.
  std::string cursor;
  int limit = 50;  ///< 1-1000.
};

}  // namespace orgkit
