// One unit of work on one pooled PostgreSQL connection (orgkit/storage.hpp's
// StorageTransaction). Its methods live in four files by subject: transaction.cpp (commit,
// organizations, per-user state), memberships.cpp (members, audit), invitations.cpp,
// roles_and_keys.cpp. Every statement is prepared, parameterised and keyed by organization or
// tenant; every conditional state change checks the rows it changed, as the SQLite store does.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <orgkit/storage.hpp>

#include "postgres/connection.hpp"

namespace orgkit::postgres {

class PgChangeSignal;

class PgTransaction final : public StorageTransaction {
 public:
  /// `lease` has begun a transaction; `writable`: begun by begin_write, for `scope` (the
  /// organizations it may change; empty: none named). A write that commits notifies
  /// `channel` (change_signal.hpp) and advances `signal` (may be null) around its COMMIT.
  PgTransaction(Lease lease, bool writable, std::vector<OrgId> scope = {},
                PgChangeSignal* signal = nullptr, const std::string* channel = nullptr)
      : lease_(std::move(lease)),
        writable_(writable),
        scope_(std::move(scope)),
        signal_(signal),
        channel_(channel) {}
  ~PgTransaction() override;
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
  Result<ApiKeyId> insert_api_key(const TenantId& tenant, const ApiKey& key,
                                  std::string_view secret_hash) override;
  Result<std::optional<StoredApiKey>> find_api_key_by_prefix(std::string_view prefix) override;
  Result<std::optional<ApiKey>> find_api_key(const TenantId& tenant, OrgId org,
                                             ApiKeyId id) override;
  Result<std::vector<ApiKey>> list_api_keys(OrgId org) override;
  Result<bool> revoke_api_key(OrgId org, ApiKeyId id, Timestamp at) override;
  Result<void> touch_api_key(OrgId org, ApiKeyId id, Timestamp at) override;
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

 private:
  // What a row keyed by an organization gets when the organization is not in the tenant.
  static Error not_in_tenant() {
    return Error::not_found("org_id", "no such organization in this tenant");
  }
  Connection& conn() {
    // Every operation after commit() is a programming error; it fails instead of crashing.
    if (!lease_) throw std::logic_error("the transaction has ended");
    return **lease_;
  }
  /// A read.
  template <class... Args>
  pqxx::result run(const char* sql, Args&&... args) {
    return conn().exec(sql, std::forward<Args>(args)...);
  }
  /// A write: the transaction wrote if it changed a row (the commit then takes a token).
  template <class... Args>
  pqxx::result write(const char* sql, Args&&... args) {
    if (!writable_) throw std::logic_error("a read transaction cannot write");
    pqxx::result r = conn().exec(sql, std::forward<Args>(args)...);
    if (r.affected_rows() > 0) wrote_ = true;
    return r;
  }
  void write_metadata(OrgId id, const std::map<std::string, std::string>& md);
  std::map<std::string, std::string> read_metadata(OrgId id);
  Result<CommitToken> commit_steps();

  std::optional<Lease> lease_;
  bool writable_;
  bool wrote_ = false;
  std::vector<OrgId> scope_;
  PgChangeSignal* signal_;
  const std::string* channel_;
};

}  // namespace orgkit::postgres
