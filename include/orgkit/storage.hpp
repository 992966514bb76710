// orgkit/storage.hpp: the abstract storage orgkit keeps its state in.
//
// The Service decides (policy, rules) and the Storage only stores: it enforces uniqueness and
// referential integrity and nothing else. orgkit ships SQLite (orgkit/sqlite.hpp); a host can
// add a backend (a server database, a test double) by deriving from Storage and
// StorageTransaction. Nothing in this header depends on SQLite. A new backend is qualified by
// the conformance suite in tests/conformance/, which runs every method's contract against a
// factory of the backend; StorageWrapper (orgkit/storage_wrapper.hpp) forwards every call to
// another backend, for decorators and test doubles.
//
// TRANSACTIONS. Every use case runs in exactly one StorageTransaction, so it happens
// completely (its rows, its audit events) or not at all.
//
// - A read transaction (begin_read) sees one consistent snapshot for all its reads.
// - A write transaction (begin_write) declares, in its WriteScope, the tenant and the
//   existing organizations whose rows it may change. Two write transactions whose scopes
//   share an organization are serialized: the second one either waits until the first has
//   ended, or fails (at begin, at any statement, or at commit) with ErrorCode::aborted,
//   having changed nothing. What a write transaction reads about its scope's organizations
//   therefore stays true until it commits: the Service checks invariants such as "at least one
//   owner remains" or "this invitation is still pending" inside the transaction, and relies
//   on this. A backend may serialize more than it must (SQLite serializes every writer), but
//   no rule needs a lock across organizations or tenants.
// - What belongs to no existing organization of the scope (a new organization, its first
//   membership, a user's active organization) is kept consistent by unique constraints
//   alone: a duplicate is already_exists, never a silent twin.
// - aborted means "a concurrent transaction won; retry the whole use case". The Service does
//   so by itself, a bounded number of times with jitter (ServiceOptions::max_attempts).
// - commit() returns the CommitToken of the transaction: greater than the token of every
//   transaction that committed before it. A transaction that wrote nothing returns the token
//   of the snapshot it read.
//
// THREAD SAFETY. A Storage is used by many threads at once; each thread has its own
// transactions. A StorageTransaction is used by one thread at a time and must not outlive
// its Storage.
//
// ERRORS. No method throws. Failures are Error values: already_exists for a unique key that
// is taken (field names the key), aborted for a lost race (above), unavailable when the store
// stayed busy or unreachable longer than its timeout, storage for anything else. Messages
// never contain SQL text, connection strings or secrets.
//
// KEYS. Every method that names an organization reads and writes only that organization's
// rows; methods that take a tenant never return another tenant's data.
//
// GROWING THE INTERFACE. Methods added after 0.1 (invitations in 0.2; custom roles and API
// keys in 0.3) have a default body that returns ErrorCode::not_supported, so that existing
// backends keep compiling; the Service needs all of them. One method changed in 0.4:
// list_audit_events takes an AuditFilter (audit trail filters) where it took `before`; a
// backend that still overrides the old signature fails to compile rather than silently
// ignoring the filters. Methods added in 0.5 (tenant administration: listing a tenant's
// organizations, tenant keys) have default bodies too.
//
// TENANT-LEVEL AUDIT EVENTS. An audit event whose `org` is OrgId() (0, never an organization's
// id) belongs to its tenant rather than to an organization: tenant keys created and revoked.
// append_audit_event and list_audit_events treat 0 like any other organization id, so a
// backend needs nothing special for them beside not requiring the organization to exist.
#pragma once

#include <orgkit/export.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orgkit/commit_token.hpp>
#include <orgkit/error.hpp>
#include <orgkit/ids.hpp>
#include <orgkit/model.hpp>

namespace orgkit {

/// What a write transaction may change (see TRANSACTIONS above).
struct WriteScope {
  TenantId tenant;
  /// The existing organizations whose rows the transaction may change. Transactions that
  /// share one are serialized. Empty for a transaction that only creates (a new
  /// organization) or changes per-user state.
  std::vector<OrgId> orgs;
  /// false: do not wait for a conflicting writer; fail at once with unavailable instead.
  /// For bookkeeping that must never delay its caller (an API key's last use).
  bool wait = true;
};

/// Which audit events Storage::list_audit_events returns: those for which every condition
/// that is set holds. Comparisons are exact (no case folding, no patterns).
struct AuditFilter {
  std::optional<AuditEventId> before;  ///< id < before: where the next page starts.
  std::optional<std::string> action;   ///< action == this.
  std::optional<std::string> target;   ///< target == this.
  std::optional<Timestamp> since;      ///< at >= since (inclusive).
  std::optional<Timestamp> until;      ///< at < until (exclusive).
};

/// Which organizations Storage::list_organizations examines and returns.
struct OrganizationFilter {
  std::optional<OrgId> after;  ///< Only ids above this one; from the first when empty.
  /// Only organizations whose ASCII-lower-cased name or slug contains (NameMatch::contains)
  /// or starts with (NameMatch::prefix) this text, compared as plain text (never as a
  /// pattern). Given ASCII-lower-cased; empty matches every organization.
  std::string text;
  NameMatch match = NameMatch::contains;
  /// At most this many organizations are examined, matching or not (at least 1): one call's
  /// work stays bounded whatever the filter.
  int max_examined = 10000;
};

/// One bounded step of a listing of a tenant's organizations.
struct OrganizationScan {
  std::vector<Organization> items;  ///< The matches, by id, with their metadata.
  /// Where the next step continues (its OrganizationFilter::after): the last organization
  /// examined. Empty only when every organization after `after` was examined: the end.
  std::optional<OrgId> resume_after;
};

/// A tenant key as stored: with the hash of its secret.
struct StoredTenantKey {
  TenantKey key;
  std::string secret_hash;  ///< Raw hash bytes.
};

/// An invitation as stored: with its tenant and the hash of its token.
struct StoredInvitation {
  Invitation invitation;
  TenantId tenant;
  std::string token_hash;  ///< Raw hash bytes.
};

/// The role a member holds, as the permission check needs it (Storage::member_access).
struct MemberAccess {
  std::string role;
  bool custom = false;      ///< An organization-defined role (P6).
  std::string permissions;  ///< Custom roles: permission names separated by single spaces.
};

/// An API key as stored: with its tenant and the hash of its secret.
struct StoredApiKey {
  ApiKey key;
  TenantId tenant;
  std::string secret_hash;  ///< Raw hash bytes.
};

/// One unit of work. Destroying it without commit() rolls everything back (never throws).
class ORGKIT_EXPORT StorageTransaction {
 public:
  StorageTransaction() = default;
  StorageTransaction(const StorageTransaction&) = delete;
  StorageTransaction& operator=(const StorageTransaction&) = delete;
  virtual ~StorageTransaction() = default;

  /// Makes every write of this transaction durable and visible, and returns its token. After
  /// a successful or failed commit the transaction must not be used again; a failed commit
  /// changed nothing (aborted: a concurrent transaction won).
  [[nodiscard]] virtual Result<CommitToken> commit() = 0;

  // --- organizations -------------------------------------------------------------------

  /// Inserts `org` (its `id` is ignored) with its metadata and returns the generated id.
  /// already_exists (field "slug") if the slug is taken in the tenant.
  [[nodiscard]] virtual Result<OrgId> insert_organization(const Organization& org) = 0;

  /// The organization with this id in this tenant, or nullopt (also for another tenant's id).
  [[nodiscard]] virtual Result<std::optional<Organization>> find_organization(
      const TenantId& tenant, OrgId id) = 0;

  /// Whether `slug` is used by an organization of `tenant`.
  [[nodiscard]] virtual Result<bool> slug_taken(const TenantId& tenant, std::string_view slug) = 0;

  /// Overwrites the mutable fields (name, description, legal name, emails, plan, metadata) of the
  /// organization with org.id in org.tenant. not_found if there is none.
  [[nodiscard]] virtual Result<void> update_organization(const Organization& org) = 0;

  /// Deletes the organization and everything that belongs to it (memberships, invitations,
  /// custom roles, keys). Audit events are kept. not_found if there is none.
  [[nodiscard]] virtual Result<void> delete_organization(const TenantId& tenant, OrgId id) = 0;

  /// Every organization of `tenant` that `user` is a member of, with the user's role, in
  /// creation order. `active` is left false (the Service fills it in).
  [[nodiscard]] virtual Result<std::vector<MyOrganization>> organizations_of(
      const TenantId& tenant, const UserId& user) = 0;

  /// The personal organization `user` created in `tenant`, if any.
  [[nodiscard]] virtual Result<std::optional<OrgId>> personal_organization_of(
      const TenantId& tenant, const UserId& user) = 0;

  // --- memberships ---------------------------------------------------------------------

  /// Adds a membership to an organization of `tenant`. already_exists (field "user_id") if
  /// the user is a member already; not_found (field "org_id") if the organization is not in
  /// `tenant`.
  [[nodiscard]] virtual Result<void> insert_membership(const TenantId& tenant,
                                                       const Membership& membership) = 0;

  /// The membership of `user` in organization `org` of `tenant`, or nullopt.
  [[nodiscard]] virtual Result<std::optional<Membership>> find_membership(
      const TenantId& tenant, OrgId org, const UserId& user) = 0;

  /// Sets the role of an existing membership. not_found if there is none.
  [[nodiscard]] virtual Result<void> update_membership_role(OrgId org, const UserId& user,
                                                            std::string_view role) = 0;

  /// Sets the department of an existing membership. not_found if there is none. Backends
  /// written before departments answer not_supported.
  [[nodiscard]] virtual Result<void> update_membership_department(OrgId org, const UserId& user,
                                                                  std::string_view department) {
    (void)org, (void)user, (void)department;
    return fail(Error{ErrorCode::not_supported, "department",
                      "this storage backend does not keep departments"});
  }

  /// Deletes a membership. not_found if there is none.
  [[nodiscard]] virtual Result<void> delete_membership(OrgId org, const UserId& user) = 0;

  /// Up to `limit` members of `org` ordered by user id, starting after `after_user` (empty:
  /// from the start), only those with `role` if given.
  [[nodiscard]] virtual Result<std::vector<Membership>> list_memberships(
      OrgId org, const std::optional<std::string>& role, const std::string& after_user,
      int limit) = 0;

  /// How many members `org` has, only those with `role` if given.
  [[nodiscard]] virtual Result<std::int64_t> count_memberships(
      OrgId org, const std::optional<std::string>& role) = 0;

  // --- per-user state ------------------------------------------------------------------

  /// The user's active organization in `tenant` (O6), or nullopt.
  [[nodiscard]] virtual Result<std::optional<OrgId>> active_organization(const TenantId& tenant,
                                                                         const UserId& user) = 0;

  /// Sets or (nullopt) clears the user's active organization. Deleting the organization
  /// clears it too.
  [[nodiscard]] virtual Result<void> set_active_organization(const TenantId& tenant,
                                                             const UserId& user,
                                                             std::optional<OrgId> org) = 0;

  // --- audit ---------------------------------------------------------------------------

  /// Appends an event (its `id` is ignored) and returns the generated id, which is greater
  /// than every id before it.
  [[nodiscard]] virtual Result<AuditEventId> append_audit_event(const AuditEvent& event) = 0;

  /// Up to `limit` events of organization `org` of `tenant` that pass `filter`, newest
  /// (highest id) first: the newest `limit` of those that pass, so the filter is applied
  /// before the limit, never to a page already cut. (Changed in 0.4: the filter replaces
  /// the `before` argument, which is now `filter.before`.)
  [[nodiscard]] virtual Result<std::vector<AuditEvent>> list_audit_events(
      const TenantId& tenant, OrgId org, const AuditFilter& filter, int limit) = 0;

  // --- invitations (added in 0.2: default bodies return not_supported) -----------------
  //
  // Invitations are stored with their state as last written (pending, accepted, declined,
  // revoked) and a hash of their token; "expired" is derived by the reader from expires_at.
  // Emails are matched by `email_key` (the trimmed, lower-cased address).

  /// Inserts `inv` (id and state ignored: it is pending) with the hash of its token and the
  /// key of its email. already_exists (field "token") if the hash is taken; not_found (field
  /// "org_id") if the organization is not in `tenant`.
  [[nodiscard]] virtual Result<InvitationId> insert_invitation(const TenantId& tenant,
                                                               const Invitation& inv,
                                                               std::string_view email_key,
                                                               std::string_view token_hash) {
    (void)tenant, (void)inv, (void)email_key, (void)token_hash;
    return fail(Error::unsupported("insert_invitation"));
  }

  /// The invitation whose token hashes to `token_hash`, with its tenant and stored hash.
  [[nodiscard]] virtual Result<std::optional<StoredInvitation>> find_invitation_by_token(
      std::string_view token_hash) {
    (void)token_hash;
    return fail(Error::unsupported("find_invitation_by_token"));
  }

  /// Invitation `id` of organization `org` of `tenant`, or nullopt.
  [[nodiscard]] virtual Result<std::optional<Invitation>> find_invitation(const TenantId& tenant,
                                                                          OrgId org,
                                                                          InvitationId id) {
    (void)tenant, (void)org, (void)id;
    return fail(Error::unsupported("find_invitation"));
  }

  /// The stored-pending (expired or not) email invitation of `org` for `email_key`, or nullopt.
  [[nodiscard]] virtual Result<std::optional<Invitation>> find_pending_email_invitation(
      OrgId org, std::string_view email_key) {
    (void)org, (void)email_key;
    return fail(Error::unsupported("find_pending_email_invitation"));
  }

  /// Gives pending invitation `id` of `org` a new token and new contents (role, department, message,
  /// invited_by, created_at, expires_at from `inv`). not_found unless it is pending.
  [[nodiscard]] virtual Result<void> reissue_invitation(OrgId org, InvitationId id,
                                                        const Invitation& inv,
                                                        std::string_view token_hash) {
    (void)org, (void)id, (void)inv, (void)token_hash;
    return fail(Error::unsupported("reissue_invitation"));
  }

  /// Moves invitation `id` of `org` from pending to `to` (accepted, declined or revoked), recording
  /// who and when. Returns false, changing nothing, if it was not pending: the conditional
  /// write that keeps a token single-use even if two accepts race.
  [[nodiscard]] virtual Result<bool> close_invitation(OrgId org, InvitationId id,
                                                      InvitationState to, const UserId& by,
                                                      Timestamp at) {
    (void)org, (void)id, (void)to, (void)by, (void)at;
    return fail(Error::unsupported("close_invitation"));
  }

  /// Up to `limit` invitations of `org`, newest (highest id) first, with an id below
  /// `before` if given, only those in `state` as seen at `now` if given (expired: pending
  /// with expires_at <= now; pending: pending with expires_at > now).
  [[nodiscard]] virtual Result<std::vector<Invitation>> list_invitations(
      OrgId org, std::optional<InvitationState> state, Timestamp now,
      std::optional<InvitationId> before, int limit) {
    (void)org, (void)state, (void)now, (void)before, (void)limit;
    return fail(Error::unsupported("list_invitations"));
  }

  /// The member of `org` whose email key (trimmed, ASCII lower-cased email) is
  /// `email_key`, or nullopt.
  [[nodiscard]] virtual Result<std::optional<Membership>> find_membership_by_email(
      OrgId org, std::string_view email_key) {
    (void)org, (void)email_key;
    return fail(Error::unsupported("find_membership_by_email"));
  }

  /// How many invitations of `org` are pending and unexpired at `now`.
  [[nodiscard]] virtual Result<std::int64_t> count_pending_invitations(OrgId org, Timestamp now) {
    (void)org, (void)now;
    return fail(Error::unsupported("count_pending_invitations"));
  }

  // --- custom roles (added in 0.3) -----------------------------------------------------

  /// Custom role `name` of `org`, or nullopt.
  [[nodiscard]] virtual Result<std::optional<CustomRole>> find_custom_role(OrgId org,
                                                                          std::string_view name) {
    (void)org, (void)name;
    return fail(Error::unsupported("find_custom_role"));
  }

  /// Every custom role of `org`, by name.
  [[nodiscard]] virtual Result<std::vector<CustomRole>> list_custom_roles(OrgId org) {
    (void)org;
    return fail(Error::unsupported("list_custom_roles"));
  }

  /// Adds a custom role. already_exists (field "name") if `org` has one by that name.
  [[nodiscard]] virtual Result<void> insert_custom_role(OrgId org, const CustomRole& role) {
    (void)org, (void)role;
    return fail(Error::unsupported("insert_custom_role"));
  }

  /// Overwrites custom role `name` with `role` (which may carry a new name). not_found if
  /// there is none; already_exists (field "name") if the new name is taken.
  [[nodiscard]] virtual Result<void> update_custom_role(OrgId org, std::string_view name,
                                                        const CustomRole& role) {
    (void)org, (void)name, (void)role;
    return fail(Error::unsupported("update_custom_role"));
  }

  /// Deletes custom role `name`. not_found if there is none.
  [[nodiscard]] virtual Result<void> delete_custom_role(OrgId org, std::string_view name) {
    (void)org, (void)name;
    return fail(Error::unsupported("delete_custom_role"));
  }

  /// Moves every holder of role `from` in `org` (members, API keys that are not revoked,
  /// pending invitations) to role `to`. Returns how many members moved.
  [[nodiscard]] virtual Result<std::int64_t> reassign_role(OrgId org, std::string_view from,
                                                           std::string_view to) {
    (void)org, (void)from, (void)to;
    return fail(Error::unsupported("reassign_role"));
  }

  /// How many members, unrevoked API keys and stored-pending invitations (expired or not)
  /// of `org` hold `role`.
  [[nodiscard]] virtual Result<std::int64_t> count_role_holders(OrgId org,
                                                                std::string_view role) {
    (void)org, (void)role;
    return fail(Error::unsupported("count_role_holders"));
  }

  // --- added in 0.4 --------------------------------------------------------------------

  /// How many organizations of `tenant` that are not personal `user` created and still
  /// exist: one indexed count (it runs inside write transactions).
  [[nodiscard]] virtual Result<std::int64_t> count_organizations_created_by(
      const TenantId& tenant, const UserId& user) {
    (void)tenant, (void)user;
    return fail(Error::unsupported("count_organizations_created_by"));
  }

  // --- tenant administration (added in 0.5) -------------------------------------------

  /// Organizations of `tenant` with an id above filter.after, in id order, that match
  /// filter.text: it examines them one by one and stops after `limit` matches or
  /// filter.max_examined examined, whichever comes first. Never another tenant's. A read that
  /// is bounded by max_examined rows, whatever the text; one index range of the tenant.
  [[nodiscard]] virtual Result<OrganizationScan> list_organizations(
      const TenantId& tenant, const OrganizationFilter& filter, int limit) {
    (void)tenant, (void)filter, (void)limit;
    return fail(Error::unsupported("list_organizations"));
  }

  /// Inserts a tenant key (id ignored) with the hash of its secret; returns the new id.
  /// already_exists (field "prefix") if the prefix is taken, in any tenant.
  [[nodiscard]] virtual Result<TenantKeyId> insert_tenant_key(const TenantKey& key,
                                                              std::string_view secret_hash) {
    (void)key, (void)secret_hash;
    return fail(Error::unsupported("insert_tenant_key"));
  }

  /// The tenant key with this public prefix, in whichever tenant, with its secret hash; or
  /// nullopt.
  [[nodiscard]] virtual Result<std::optional<StoredTenantKey>> find_tenant_key_by_prefix(
      std::string_view prefix) {
    (void)prefix;
    return fail(Error::unsupported("find_tenant_key_by_prefix"));
  }

  /// Tenant key `id` of `tenant`, or nullopt (also for another tenant's id).
  [[nodiscard]] virtual Result<std::optional<TenantKey>> find_tenant_key(const TenantId& tenant,
                                                                         TenantKeyId id) {
    (void)tenant, (void)id;
    return fail(Error::unsupported("find_tenant_key"));
  }

  /// Every key of `tenant`, revoked ones too, newest first.
  [[nodiscard]] virtual Result<std::vector<TenantKey>> list_tenant_keys(const TenantId& tenant) {
    (void)tenant;
    return fail(Error::unsupported("list_tenant_keys"));
  }

  /// Marks key `id` of `tenant` revoked at `at`. Returns false, changing nothing, if it was
  /// revoked already or is not a key of `tenant`.
  [[nodiscard]] virtual Result<bool> revoke_tenant_key(const TenantId& tenant, TenantKeyId id,
                                                       Timestamp at) {
    (void)tenant, (void)id, (void)at;
    return fail(Error::unsupported("revoke_tenant_key"));
  }

  // --- API keys (added in 0.3) ---------------------------------------------------------

  /// Inserts a key (id ignored) with the hash of its secret; returns the new id.
  /// already_exists (field "prefix") if the prefix is taken; not_found (field "org_id") if
  /// the organization is not in `tenant`.
  [[nodiscard]] virtual Result<ApiKeyId> insert_api_key(const TenantId& tenant, const ApiKey& key,
                                                        std::string_view secret_hash) {
    (void)tenant, (void)key, (void)secret_hash;
    return fail(Error::unsupported("insert_api_key"));
  }

  /// The key with this public prefix, with its tenant and secret hash, or nullopt.
  [[nodiscard]] virtual Result<std::optional<StoredApiKey>> find_api_key_by_prefix(
      std::string_view prefix) {
    (void)prefix;
    return fail(Error::unsupported("find_api_key_by_prefix"));
  }

  /// Key `id` of `org` of `tenant`, or nullopt.
  [[nodiscard]] virtual Result<std::optional<ApiKey>> find_api_key(const TenantId& tenant,
                                                                   OrgId org, ApiKeyId id) {
    (void)tenant, (void)org, (void)id;
    return fail(Error::unsupported("find_api_key"));
  }

  /// Every key of `org`, newest first.
  [[nodiscard]] virtual Result<std::vector<ApiKey>> list_api_keys(OrgId org) {
    (void)org;
    return fail(Error::unsupported("list_api_keys"));
  }

  /// Marks key `id` of `org` revoked at `at`. Returns false if it was revoked already.
  [[nodiscard]] virtual Result<bool> revoke_api_key(OrgId org, ApiKeyId id, Timestamp at) {
    (void)org, (void)id, (void)at;
    return fail(Error::unsupported("revoke_api_key"));
  }

  /// Records that key `id` of `org` was used at `at`.
  [[nodiscard]] virtual Result<void> touch_api_key(OrgId org, ApiKeyId id, Timestamp at) {
    (void)org, (void)id, (void)at;
    return fail(Error::unsupported("touch_api_key"));
  }
};

/// How a Service learns, without a round trip, whether what it cached about an organization
/// may be out of date (C1, C2). A backend that can tell cheaply returns one from
/// Storage::change_signal(); Service::check then answers repeated questions from a per-thread
/// cache, and a backend without one is asked every time.
///
/// The contract, for every process that opens the same database through orgkit: each
/// organization has a version that the backend advances *before* a commit that changed the
/// organization becomes visible, and settles *after* it, before commit() returns. A commit
/// whose scope names no organization advances every organization's version. So a reader that
/// saw `org` settled at version V before it read, and sees `org` still at V later, knows that
/// no commit changing `org` became visible in between.
class ChangeSignal {
 public:
  virtual ~ChangeSignal() = default;

  /// An organization's version: the database-wide part and the organization's own part.
  struct Version {
    std::uint64_t all = 0;
    std::uint64_t org = 0;
  };

  /// `org`'s settled version, or nothing while a commit that may change it is in flight (then
  /// nothing read now may be cached). Wait-free: no system call, no lock, no allocation.
  [[nodiscard]] virtual std::optional<Version> settled(OrgId org) const noexcept = 0;

  /// Whether no commit that may change `org` has begun since `org` was settled at `v`.
  /// Wait-free, as settled().
  [[nodiscard]] virtual bool unchanged(OrgId org, const Version& v) const noexcept = 0;

  /// Whether the versions reflect every commit up to `token`: then an answer cached at a
  /// version that is still unchanged is at least as fresh as `token`.
  [[nodiscard]] virtual bool covers(const CommitToken& token) const noexcept = 0;
};

/// A store of organizations, memberships and audit events. Create one with a factory such
/// as orgkit::open_sqlite and hand it to a Service.
class ORGKIT_EXPORT Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage() = default;

  /// Begins a read transaction: one consistent snapshot; its write methods must not be
  /// called. unavailable if the store could not be reached in time.
  [[nodiscard]] virtual Result<std::unique_ptr<StorageTransaction>> begin_read() = 0;

  /// Begins a write transaction for `scope` (see TRANSACTIONS): serialized with every other
  /// write transaction that shares an organization with it. Waits up to the store's timeout
  /// (then unavailable) or fails with aborted; either way nothing has changed.
  [[nodiscard]] virtual Result<std::unique_ptr<StorageTransaction>> begin_write(
      const WriteScope& scope) = 0;

  /// The hot path of every permission check: the role of `user` in organization `org` of
  /// `tenant` and, for an organization's custom role (P6), its permissions, in one indexed
  /// read outside any transaction. Fills `out` and returns true, or returns false if the user
  /// is not a member (or the organization is not in the tenant). Sees every transaction that
  /// committed before the call began. Implementations reuse `out`'s capacity and must not
  /// allocate on the heap in the steady state: it is called for every request a host serves.
  [[nodiscard]] virtual Result<bool> member_access(const TenantId& tenant, OrgId org,
                                                   const UserId& user, MemberAccess& out) = 0;

  /// Told once, before any other call, the names of the roles the policy defines (added in
  /// 0.5). An organization's custom role never has one of these names, so member_access may
  /// skip looking for a custom role (P6) when the member's role is one of them: the hot path
  /// of a cold check then reads the membership alone. The default ignores the hint.
  virtual void note_policy_roles(const std::vector<std::string>& names) { (void)names; }

  /// Told once, right after note_policy_roles, which of those roles is the owner role (added
  /// in 0.6). Inside write transactions only three role queries must stay bounded by the
  /// number of holders rather than the organization's size (R4): count_memberships of the
  /// owner role, and count_role_holders and reassign_role of a custom role (never a policy
  /// role). So a backend may index the memberships of the owner role and of custom roles
  /// alone, and spare every other membership write that index; listing or counting the
  /// holders of another policy role may then read the organization's memberships. The
  /// default ignores the hint.
  virtual void note_owner_role(const std::string& name) { (void)name; }

  /// The backend's change signal, if it has one (see ChangeSignal); it lives as long as the
  /// storage. Without one (the default), every check reads the store.
  [[nodiscard]] virtual const ChangeSignal* change_signal() const noexcept { return nullptr; }
};

}  // namespace orgkit
