// One unit of work on one pooled connection (orgkit/storage.hpp's StorageTransaction).
// Its methods live in four files by subject: transaction.cpp (organizations, members, user
// state, audit), invitations.cpp, roles_and_keys.cpp, tenant_admin.cpp.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <orgkit/storage.hpp>

#include "sqlite/change_signal.hpp"
#include "sqlite/connection.hpp"
#include "sqlite/role_index.hpp"

namespace orgkit::sqlite {

class SqliteTransaction final : public StorageTransaction {
 public:
  /// `signal` (may be null) is told about the commit of a transaction that wrote, for the
  /// organizations of `scope` (all of them when empty); `exclusive`: begun IMMEDIATE.
  /// `roles` (may be null): the role index the storage keeps (role_index.hpp).
  SqliteTransaction(Lease lease, ShmChangeSignal* signal = nullptr, std::vector<OrgId> scope = {},
                    bool exclusive = false, const RoleIndex* roles = nullptr);
  ~SqliteTransaction() override;
  Result<CommitToken> commit() override;
  Result<OrgId> insert_organization(const Organization& org) override;
  Result<std::optional<Organization>> find_organization(const TenantId& tenant, OrgId id) override;
  Result<bool> slug_taken(const TenantId& tenant, std::string_view slug) override;
  Result<void> update_organization(const Organization& org) override;
  Result<void> delete_organization(const TenantId& tenant, OrgId id) override;
  Result<std::vector<MyOrganization>> organizations_of(const TenantId& tenant,
                                                       const UserId& user) override;
  Result<std::optional<OrgId>> personal_organization_of(const TenantId& tenant,
                                                        const UserId& user) override;
  Result<std::int64_t> count_organizations_created_by(const TenantId& tenant,
                                                      const UserId& user) override;
  Result<void> insert_membership(const TenantId& tenant, const Membership& m) override;
  Result<std::optional<Membership>> find_membership(const TenantId& tenant, OrgId org,
                                                    const UserId& user) override;
  Result<void> update_membership_role(OrgId org, const UserId& user,
                                      std::string_view role) override;
  Result<void> update_membership_department(OrgId org, const UserId& user,
                                            std::string_view department) override;
  Result<void> delete_membership(OrgId org, const UserId& user) override;
  Result<std::vector<Membership>> list_memberships(OrgId org,
                                                   const std::optional<std::string>& role,
                                                   const std::string& after_user,
                                                   int limit) override;
  Result<std::int64_t> count_memberships(OrgId org,
                                         const std::optional<std::string>& role) override;
  Result<std::optional<OrgId>> active_organization(const TenantId& tenant,
                                                   const UserId& user) override;
  Result<void> set_active_organization(const TenantId& tenant, const UserId& user,
                                       std::optional<OrgId> org) override;
  Result<AuditEventId> append_audit_event(const AuditEvent& e) override;
  Result<std::vector<AuditEvent>> list_audit_events(const TenantId& tenant, OrgId org,
                                                    const AuditFilter& filter,
                                                    int limit) override;
  Result<InvitationId> insert_invitation(const TenantId& tenant, const Invitation& inv,
                                         std::string_view email_key,
                                         std::string_view token_hash) override;
  Result<std::optional<StoredInvitation>> find_invitation_by_token(
      std::string_view token_hash) override;
  Result<std::optional<Invitation>> find_invitation(const TenantId& tenant, OrgId org,
                                                    InvitationId id) override;
  Result<std::optional<Invitation>> find_pending_email_invitation(
      OrgId org, std::string_view email_key) override;
  Result<void> reissue_invitation(OrgId org, InvitationId id, const Invitation& inv,
                                  std::string_view token_hash) override;
  Result<bool> close_invitation(OrgId org, InvitationId id, InvitationState to, const UserId& by,
                                Timestamp at) override;
  Result<std::vector<Invitation>> list_invitations(OrgId org, std::optional<InvitationState> state,
                                                   Timestamp now,
                                                   std::optional<InvitationId> before,
                                                   int limit) override;
  Result<std::optional<Membership>> find_membership_by_email(OrgId org,
                                                             std::string_view email_key) override;
  Result<std::int64_t> count_pending_invitations(OrgId org, Timestamp now) override;
  Result<std::optional<CustomRole>> find_custom_role(OrgId org, std::string_view name) override;
  Result<std::vector<CustomRole>> list_custom_roles(OrgId org) override;
  Result<void> insert_custom_role(OrgId org, const CustomRole& role) override;
  Result<void> update_custom_role(OrgId org, std::string_view name,
                                  const CustomRole& role) override;
  Result<void> delete_custom_role(OrgId org, std::string_view name) override;
  Result<std::int64_t> reassign_role(OrgId org, std::string_view from,
                                     std::string_view to) override;
  Result<std::int64_t> count_role_holders(OrgId org, std::string_view role) override;
  Result<OrganizationScan> list_organizations(const TenantId& tenant,
                                              const OrganizationFilter& filter,
                                              int limit) override;
  Result<TenantKeyId> insert_tenant_key(const TenantKey& key,
                                        std::string_view secret_hash) override;
  Result<std::optional<StoredTenantKey>> find_tenant_key_by_prefix(
      std::string_view prefix) override;
  Result<std::optional<TenantKey>> find_tenant_key(const TenantId& tenant,
                                                   TenantKeyId id) override;
  Result<std::vector<TenantKey>> list_tenant_keys(const TenantId& tenant) override;
  Result<bool> revoke_tenant_key(const TenantId& tenant, TenantKeyId id, Timestamp at) override;
  Result<ApiKeyId> insert_api_key(const TenantId& tenant, const ApiKey& key,
                                  std::string_view secret_hash) override;
  Result<std::optional<StoredApiKey>> find_api_key_by_prefix(std::string_view prefix) override;
  Result<std::optional<ApiKey>> find_api_key(const TenantId& tenant, OrgId org,
                                             ApiKeyId id) override;
  Result<std::vector<ApiKey>> list_api_keys(OrgId org) override;
  Result<bool> revoke_api_key(OrgId org, ApiKeyId id, Timestamp at) override;
  Result<void> touch_api_key(OrgId org, ApiKeyId id, Timestamp at) override;

 private:
  static constexpr const char* select_org_by_id =
      "SELECT o.id, o.tenant, o.name, o.slug, o.description, o.legal_name, o.alerting_email, "
      "o.invoicing_email, o.plan, o.personal, o.created_by, o.created_at, o.metadata "
      "FROM organizations o WHERE o.id = ? AND o.tenant = ?";
  static constexpr const char* select_orgs_of_user =
      "SELECT o.id, o.tenant, o.name, o.slug, o.description, o.legal_name, o.alerting_email, "
      "o.invoicing_email, o.plan, o.personal, o.created_by, o.created_at, o.metadata, m.role "
      "FROM memberships m JOIN organizations o ON o.id = m.org_id "
      "WHERE m.tenant = ? AND m.user_id = ? ORDER BY o.id";
  // What a row keyed by an organization gets when the organization is not in the tenant.
  static Error not_in_tenant() {
    return Error::not_found("org_id", "no such organization in this tenant");
  }
  // Every operation after commit() is a programming error; it fails instead of crashing.
  SQLite::Statement& stmt(const char* sql) {
    if (!lease_) throw SQLite::Exception("the transaction has ended", SQLITE_MISUSE);
    return (*lease_)->statement(sql);
  }
  // Whether organization `org` is in `tenant`: rows keyed by an organization are written only
  // under its own tenant. Remembers the last pair it confirmed (an organization never changes
  // tenant, and one deleted meanwhile fails the insert's foreign key), so that a transaction
  // adding many rows to one organization (a CSV import) asks once.
  bool org_in_tenant(OrgId org, const TenantId& tenant);
  // The id of this transaction's next audit event (schema.hpp, audit_id_shift).
  std::int64_t next_audit_id();
  // The number this transaction's commit takes, chosen once, under the write lock: the next
  // one in the change signal's file, or without one the row's number plus one. Notes in
  // `reserve_to_` whether the commit must raise the commit_sequence row (change_signal.hpp).
  std::int64_t own_number();
  // The commit_sequence row: the reserved mark, or without a change signal the last number.
  std::int64_t sequence_row();
  std::optional<Lease> lease_;
  sqlite3_int64 changes_at_begin_;  // total_changes64 at begin: did this transaction write?
  ShmChangeSignal* signal_;
  std::vector<OrgId> scope_;
  bool exclusive_;
  // This transaction's commit number, once own_number() has chosen it.
  std::optional<std::int64_t> number_;
  // The mark the commit_sequence row is raised to by this transaction's commit, or 0.
  std::int64_t reserve_to_ = 0;
  // For a read: the highest commit its snapshot is known to include (taken before it began).
  std::uint64_t published_at_begin_ = 0;
  std::int64_t audit_events_ = 0;  // audit events appended so far
  std::optional<std::pair<OrgId, TenantId>> org_confirmed_;  // by org_in_tenant
  const RoleIndex* roles_;
  // The role index's query for `role`, or null when `role` is not in the index.
  const std::string* indexed(std::string_view role, std::string RoleIndex::*query) const {
    return roles_ != nullptr && roles_->indexes(role) ? &(roles_->*query) : nullptr;
  }
};

}  // namespace orgkit::sqlite
