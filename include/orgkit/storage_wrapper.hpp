// orgkit/storage_wrapper.hpp: storage that forwards every call to another storage.
//
// Derive from StorageWrapper (and, for transactions, StorageTransactionWrapper) and override
// only what you change: a decorator (metrics, tracing, a cache), a fault injector for tests,
// or a deliberately broken backend that shows a test suite can fail. Every method forwards
// to the wrapped object unchanged, so a wrapper that overrides nothing behaves exactly like
// the storage it wraps. The same idea as rocksdb's FileSystemWrapper and leveldb's
// EnvWrapper.
//
// A wrapper owns what it wraps. Thread safety is that of the wrapped storage plus whatever
// the overriding methods add.
//
// Example: a storage whose transactions count commits.
//   struct Counting final : orgkit::StorageWrapper {
//     using StorageWrapper::StorageWrapper;
//     std::atomic<int> commits{0};
//     orgkit::Result<std::unique_ptr<orgkit::StorageTransaction>> begin_write(
//         const orgkit::WriteScope& scope) override {
//       auto tx = StorageWrapper::begin_write(scope);
//       if (tx) ++commits;  // or wrap *tx in a StorageTransactionWrapper of your own
//       return tx;
//     }
//   };
#pragma once

#include <memory>
#include <utility>

#include <orgkit/storage.hpp>

namespace orgkit {

/// A transaction that forwards every call to `target()`.
class StorageTransactionWrapper : public StorageTransaction {
 public:
  explicit StorageTransactionWrapper(std::unique_ptr<StorageTransaction> target)
      : target_(std::move(target)) {}

  StorageTransaction& target() { return *target_; }

  Result<CommitToken> commit() override { return target_->commit(); }
  Result<OrgId> insert_organization(const Organization& org) override {
    return target_->insert_organization(org);
  }
  Result<std::optional<Organization>> find_organization(const TenantId& tenant, OrgId id) override {
    return target_->find_organization(tenant, id);
  }
  Result<bool> slug_taken(const TenantId& tenant, std::string_view slug) override {
    return target_->slug_taken(tenant, slug);
  }
  Result<void> update_organization(const Organization& org) override {
    return target_->update_organization(org);
  }
  Result<void> delete_organization(const TenantId& tenant, OrgId id) override {
    return target_->delete_organization(tenant, id);
  }
  Result<std::vector<MyOrganization>> organizations_of(const TenantId& tenant, const UserId& user) override {
    return target_->organizations_of(tenant, user);
  }
  Result<std::optional<OrgId>> personal_organization_of(const TenantId& tenant, const UserId& user) override {
    return target_->personal_organization_of(tenant, user);
  }
  Result<std::int64_t> count_organizations_created_by(const TenantId& tenant,
                                                      const UserId& user) override {
    return target_->count_organizations_created_by(tenant, user);
  }
  Result<void> insert_membership(const TenantId& tenant, const Membership& membership) override {
    return target_->insert_membership(tenant, membership);
  }
  Result<std::optional<Membership>> find_membership(const TenantId& tenant, OrgId org, const UserId& user) override {
    return target_->find_membership(tenant, org, user);
  }
  Result<void> update_membership_role(OrgId org, const UserId& user, std::string_view role) override {
    return target_->update_membership_role(org, user, role);
  }
  Result<void> update_membership_department(OrgId org, const UserId& user,
                                            std::string_view department) override {
    return target_->update_membership_department(org, user, department);
  }
  Result<void> delete_membership(OrgId org, const UserId& user) override {
    return target_->delete_membership(org, user);
  }
  Result<std::vector<Membership>> list_memberships(OrgId org, const std::optional<std::string>& role, const std::string& after_user, int limit) override {
    return target_->list_memberships(org, role, after_user, limit);
  }
  Result<std::int64_t> count_memberships(OrgId org, const std::optional<std::string>& role) override {
    return target_->count_memberships(org, role);
  }
  Result<std::optional<OrgId>> active_organization(const TenantId& tenant, const UserId& user) override {
    return target_->active_organization(tenant, user);
  }
  Result<void> set_active_organization(const TenantId& tenant, const UserId& user, std::optional<OrgId> org) override {
    return target_->set_active_organization(tenant, user, org);
  }
  Result<AuditEventId> append_audit_event(const AuditEvent& event) override {
    return target_->append_audit_event(event);
  }
  Result<std::vector<AuditEvent>> list_audit_events(const TenantId& tenant, OrgId org, const AuditFilter& filter, int limit) override {
    return target_->list_audit_events(tenant, org, filter, limit);
  }
  Result<InvitationId> insert_invitation(const TenantId& tenant, const Invitation& inv, std::string_view email_key, std::string_view token_hash) override {
    return target_->insert_invitation(tenant, inv, email_key, token_hash);
  }
  Result<std::optional<StoredInvitation>> find_invitation_by_token(std::string_view token_hash) override {
    return target_->find_invitation_by_token(token_hash);
  }
  Result<std::optional<Invitation>> find_invitation(const TenantId& tenant, OrgId org, InvitationId id) override {
    return target_->find_invitation(tenant, org, id);
  }
  Result<std::optional<Invitation>> find_pending_email_invitation(OrgId org, std::string_view email_key) override {
    return target_->find_pending_email_invitation(org, email_key);
  }
  Result<void> reissue_invitation(OrgId org, InvitationId id, const Invitation& inv, std::string_view token_hash) override {
    return target_->reissue_invitation(org, id, inv, token_hash);
  }
  Result<bool> close_invitation(OrgId org, InvitationId id, InvitationState to, const UserId& by, Timestamp at) override {
    return target_->close_invitation(org, id, to, by, at);
  }
  Result<std::vector<Invitation>> list_invitations(OrgId org, std::optional<InvitationState> state, Timestamp now, std::optional<InvitationId> before, int limit) override {
    return target_->list_invitations(org, state, now, before, limit);
  }
  Result<std::optional<Membership>> find_membership_by_email(OrgId org, std::string_view email_key) override {
    return target_->find_membership_by_email(org, email_key);
  }
  Result<std::int64_t> count_pending_invitations(OrgId org, Timestamp now) override {
    return target_->count_pending_invitations(org, now);
  }
  Result<std::optional<CustomRole>> find_custom_role(OrgId org, std::string_view name) override {
    return target_->find_custom_role(org, name);
  }
  Result<std::vector<CustomRole>> list_custom_roles(OrgId org) override {
    return target_->list_custom_roles(org);
  }
  Result<void> insert_custom_role(OrgId org, const CustomRole& role) override {
    return target_->insert_custom_role(org, role);
  }
  Result<void> update_custom_role(OrgId org, std::string_view name, const CustomRole& role) override {
    return target_->update_custom_role(org, name, role);
  }
  Result<void> delete_custom_role(OrgId org, std::string_view name) override {
    return target_->delete_custom_role(org, name);
  }
  Result<std::int64_t> reassign_role(OrgId org, std::string_view from, std::string_view to) override {
    return target_->reassign_role(org, from, to);
  }
  Result<std::int64_t> count_role_holders(OrgId org, std::string_view role) override {
    return target_->count_role_holders(org, role);
  }
  Result<OrganizationScan> list_organizations(const TenantId& tenant,
                                              const OrganizationFilter& filter,
                                              int limit) override {
    return target_->list_organizations(tenant, filter, limit);
  }
  Result<TenantKeyId> insert_tenant_key(const TenantKey& key,
                                        std::string_view secret_hash) override {
    return target_->insert_tenant_key(key, secret_hash);
  }
  Result<std::optional<StoredTenantKey>> find_tenant_key_by_prefix(
      std::string_view prefix) override {
    return target_->find_tenant_key_by_prefix(prefix);
  }
  Result<std::optional<TenantKey>> find_tenant_key(const TenantId& tenant,
                                                   TenantKeyId id) override {
    return target_->find_tenant_key(tenant, id);
  }
  Result<std::vector<TenantKey>> list_tenant_keys(const TenantId& tenant) override {
    return target_->list_tenant_keys(tenant);
  }
  Result<bool> revoke_tenant_key(const TenantId& tenant, TenantKeyId id, Timestamp at) override {
    return target_->revoke_tenant_key(tenant, id, at);
  }
  Result<ApiKeyId> insert_api_key(const TenantId& tenant, const ApiKey& key, std::string_view secret_hash) override {
    return target_->insert_api_key(tenant, key, secret_hash);
  }
  Result<std::optional<StoredApiKey>> find_api_key_by_prefix(std::string_view prefix) override {
    return target_->find_api_key_by_prefix(prefix);
  }
  Result<std::optional<ApiKey>> find_api_key(const TenantId& tenant, OrgId org, ApiKeyId id) override {
    return target_->find_api_key(tenant, org, id);
  }
  Result<std::vector<ApiKey>> list_api_keys(OrgId org) override {
    return target_->list_api_keys(org);
  }
  Result<bool> revoke_api_key(OrgId org, ApiKeyId id, Timestamp at) override {
    return target_->revoke_api_key(org, id, at);
  }
  Result<void> touch_api_key(OrgId org, ApiKeyId id, Timestamp at) override {
    return target_->touch_api_key(org, id, at);
  }

 private:
  std::unique_ptr<StorageTransaction> target_;
};

/// A storage that forwards every call to `target()`. Transactions are the target's own; to
/// intercept their calls, override begin_read/begin_write and wrap what they return in a
/// StorageTransactionWrapper subclass.
class StorageWrapper : public Storage {
 public:
  explicit StorageWrapper(std::unique_ptr<Storage> target) : target_(std::move(target)) {}

  Storage& target() { return *target_; }

  Result<std::unique_ptr<StorageTransaction>> begin_read() override {
    return target_->begin_read();
  }
  Result<std::unique_ptr<StorageTransaction>> begin_write(const WriteScope& scope) override {
    return target_->begin_write(scope);
  }
  Result<bool> member_access(const TenantId& tenant, OrgId org, const UserId& user, MemberAccess& out) override {
    return target_->member_access(tenant, org, user, out);
  }
  void note_policy_roles(const std::vector<std::string>& names) override {
    target_->note_policy_roles(names);
  }
  void note_owner_role(const std::string& name) override { target_->note_owner_role(name); }
  const ChangeSignal* change_signal() const noexcept override { return target_->change_signal(); }

 private:
  std::unique_ptr<Storage> target_;
};

}  // namespace orgkit
