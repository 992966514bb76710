#include "support/storage_doubles.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace orgkit::test {

void ScopeViolations::add(std::string what) {
  std::lock_guard<std::mutex> lock(mutex);
  found.push_back(std::move(what));
}

std::vector<std::string> ScopeViolations::list() {
  std::lock_guard<std::mutex> lock(mutex);
  return found;
}

namespace {

// Checks every write against the declared scope: the organizations named, plus those this
// transaction created. A read transaction has no scope and may not write at all.
class ScopeCheckingTransaction final : public StorageTransactionWrapper {
 public:
  ScopeCheckingTransaction(std::unique_ptr<StorageTransaction> target,
                           std::optional<WriteScope> scope,
                           std::shared_ptr<ScopeViolations> violations)
      : StorageTransactionWrapper(std::move(target)),
        scope_(std::move(scope)),
        violations_(std::move(violations)) {
    if (scope_) allowed_.insert(scope_->orgs.begin(), scope_->orgs.end());
  }

  Result<OrgId> insert_organization(const Organization& org) override {
    tenant("insert_organization", org.tenant);
    auto id = StorageTransactionWrapper::insert_organization(org);
    if (id) allowed_.insert(*id);
    return id;
  }
  Result<void> update_organization(const Organization& org) override {
    write("update_organization", org.tenant, org.id);
    return StorageTransactionWrapper::update_organization(org);
  }
  Result<void> delete_organization(const TenantId& t, OrgId id) override {
    write("delete_organization", t, id);
    return StorageTransactionWrapper::delete_organization(t, id);
  }
  Result<void> insert_membership(const TenantId& t, const Membership& m) override {
    write("insert_membership", t, m.org);
    return StorageTransactionWrapper::insert_membership(t, m);
  }
  Result<void> update_membership_role(OrgId org, const UserId& u, std::string_view r) override {
    write("update_membership_role", std::nullopt, org);
    return StorageTransactionWrapper::update_membership_role(org, u, r);
  }
  Result<void> delete_membership(OrgId org, const UserId& u) override {
    write("delete_membership", std::nullopt, org);
    return StorageTransactionWrapper::delete_membership(org, u);
  }
  Result<void> set_active_organization(const TenantId& t, const UserId& u,
                                       std::optional<OrgId> org) override {
    tenant("set_active_organization", t);  // per-user state: kept by unique keys
    return StorageTransactionWrapper::set_active_organization(t, u, org);
  }
  Result<AuditEventId> append_audit_event(const AuditEvent& e) override {
    if (e.org.valid()) {
      write("append_audit_event", e.tenant, e.org);
    } else {
      tenant("append_audit_event", e.tenant);  // the tenant's own trail (tenant keys)
    }
    return StorageTransactionWrapper::append_audit_event(e);
  }
  Result<TenantKeyId> insert_tenant_key(const TenantKey& k, std::string_view hash) override {
    tenant("insert_tenant_key", k.tenant);  // tenant-level: kept by unique keys
    return StorageTransactionWrapper::insert_tenant_key(k, hash);
  }
  Result<bool> revoke_tenant_key(const TenantId& t, TenantKeyId id, Timestamp at) override {
    tenant("revoke_tenant_key", t);
    return StorageTransactionWrapper::revoke_tenant_key(t, id, at);
  }
  Result<InvitationId> insert_invitation(const TenantId& t, const Invitation& inv,
                                         std::string_view key, std::string_view hash) override {
    write("insert_invitation", t, inv.org);
    return StorageTransactionWrapper::insert_invitation(t, inv, key, hash);
  }
  Result<void> reissue_invitation(OrgId org, InvitationId id, const Invitation& inv,
                                  std::string_view hash) override {
    write("reissue_invitation", std::nullopt, org);
    return StorageTransactionWrapper::reissue_invitation(org, id, inv, hash);
  }
  Result<bool> close_invitation(OrgId org, InvitationId id, InvitationState to, const UserId& by,
                                Timestamp at) override {
    write("close_invitation", std::nullopt, org);
    return StorageTransactionWrapper::close_invitation(org, id, to, by, at);
  }
  Result<void> insert_custom_role(OrgId org, const CustomRole& r) override {
    write("insert_custom_role", std::nullopt, org);
    return StorageTransactionWrapper::insert_custom_role(org, r);
  }
  Result<void> update_custom_role(OrgId org, std::string_view n, const CustomRole& r) override {
    write("update_custom_role", std::nullopt, org);
    return StorageTransactionWrapper::update_custom_role(org, n, r);
  }
  Result<void> delete_custom_role(OrgId org, std::string_view n) override {
    write("delete_custom_role", std::nullopt, org);
    return StorageTransactionWrapper::delete_custom_role(org, n);
  }
  Result<std::int64_t> reassign_role(OrgId org, std::string_view f, std::string_view t) override {
    write("reassign_role", std::nullopt, org);
    return StorageTransactionWrapper::reassign_role(org, f, t);
  }
  Result<ApiKeyId> insert_api_key(const TenantId& t, const ApiKey& k,
                                  std::string_view hash) override {
    write("insert_api_key", t, k.org);
    return StorageTransactionWrapper::insert_api_key(t, k, hash);
  }
  Result<bool> revoke_api_key(OrgId org, ApiKeyId id, Timestamp at) override {
    write("revoke_api_key", std::nullopt, org);
    return StorageTransactionWrapper::revoke_api_key(org, id, at);
  }
  Result<void> touch_api_key(OrgId org, ApiKeyId id, Timestamp at) override {
    write("touch_api_key", std::nullopt, org);
    return StorageTransactionWrapper::touch_api_key(org, id, at);
  }

 private:
  void tenant(const char* method, const TenantId& t) {
    if (!scope_) {
      violations_->add(fmt::format("{} in a read transaction", method));
    } else if (t != scope_->tenant) {
      violations_->add(fmt::format("{} in tenant '{}' outside the scope's tenant '{}'", method,
                                   t.value(), scope_->tenant.value()));
    }
  }
  void write(const char* method, const std::optional<TenantId>& t, OrgId org) {
    if (t) {
      tenant(method, *t);
    } else if (!scope_) {
      violations_->add(fmt::format("{} in a read transaction", method));
    }
    if (scope_ && allowed_.count(org) == 0) {
      violations_->add(fmt::format("{} on organization {}, which the scope does not declare",
                                   method, org.value()));
    }
  }
  std::optional<WriteScope> scope_;
  std::shared_ptr<ScopeViolations> violations_;
  std::set<OrgId> allowed_;
};

}  // namespace

Result<std::unique_ptr<StorageTransaction>> ScopeCheckingStorage::begin_read() {
  auto tx = StorageWrapper::begin_read();
  if (!tx) return tx;
  return std::unique_ptr<StorageTransaction>(
      new ScopeCheckingTransaction(std::move(*tx), std::nullopt, violations_));
}

Result<std::unique_ptr<StorageTransaction>> ScopeCheckingStorage::begin_write(
    const WriteScope& scope) {
  auto tx = StorageWrapper::begin_write(scope);
  if (!tx) return tx;
  return std::unique_ptr<StorageTransaction>(
      new ScopeCheckingTransaction(std::move(*tx), scope, violations_));
}

// --- FlakyStorage --------------------------------------------------------------------------

class FlakyTransaction final : public StorageTransactionWrapper {
 public:
  FlakyTransaction(std::unique_ptr<StorageTransaction> target, FlakyStorage& owner)
      : StorageTransactionWrapper(std::move(target)), owner_(owner) {}
  Result<CommitToken> commit() override {
    if (owner_.failures_left_.fetch_sub(1) > 0) {
      ++owner_.commits_refused;
      return fail(Error::aborted("test double: a concurrent transaction won"));
    }  // the wrapped transaction rolls back when this one is destroyed
    return StorageTransactionWrapper::commit();
  }

 private:
  FlakyStorage& owner_;
};

Result<std::unique_ptr<StorageTransaction>> FlakyStorage::begin_write(const WriteScope& scope) {
  ++write_begins;
  auto tx = StorageWrapper::begin_write(scope);
  if (!tx) return tx;
  return std::unique_ptr<StorageTransaction>(new FlakyTransaction(std::move(*tx), *this));
}

// --- OrgLockingStorage ---------------------------------------------------------------------

namespace {

class OrgLockedTransaction final : public StorageTransactionWrapper {
 public:
  OrgLockedTransaction(std::unique_ptr<StorageTransaction> target,
                       std::vector<std::unique_lock<std::mutex>> locks, OrgLockingStorage& owner)
      : StorageTransactionWrapper(std::move(target)), locks_(std::move(locks)), owner_(owner) {}
  Result<std::optional<Membership>> find_membership(const TenantId& t, OrgId org,
                                                    const UserId& u) override {
    if (!arrived_) {
      arrived_ = true;
      owner_.arrive();
    }
    return StorageTransactionWrapper::find_membership(t, org, u);
  }
  // SQLite refuses at once (SQLITE_BUSY, not waiting) to turn a read transaction into a
  // write while another connection writes, because its snapshot is about to go stale: in
  // this optimistic mode that is a lost race. The writes add_member makes are enough here.
  Result<void> insert_membership(const TenantId& t, const Membership& m) override {
    return lost_race(StorageTransactionWrapper::insert_membership(t, m));
  }
  Result<AuditEventId> append_audit_event(const AuditEvent& e) override {
    return lost_race(StorageTransactionWrapper::append_audit_event(e));
  }
  Result<CommitToken> commit() override { return lost_race(StorageTransactionWrapper::commit()); }

 private:
  template <class T>
  static Result<T> lost_race(Result<T> r) {
    if (!r && r.error().code == ErrorCode::unavailable) {
      return fail(Error::aborted("test double: another writer holds the file"));
    }
    return r;
  }
  std::vector<std::unique_lock<std::mutex>> locks_;  // held until this transaction ends
  OrgLockingStorage& owner_;
  bool arrived_ = false;
};

}  // namespace

std::mutex& OrgLockingStorage::lock_for(OrgId org) {
  std::lock_guard<std::mutex> guard(locks_mutex_);
  auto& slot = locks_[org.value()];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

Result<std::unique_ptr<StorageTransaction>> OrgLockingStorage::begin_write(
    const WriteScope& scope) {
  ++write_begins;
  std::vector<OrgId> orgs = scope.orgs;
  std::sort(orgs.begin(), orgs.end());  // one order, so two scopes cannot deadlock
  orgs.erase(std::unique(orgs.begin(), orgs.end()), orgs.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (OrgId org : orgs) locks.emplace_back(lock_for(org));
  // Optimistic on the file: writers meet only at commit, where SQLite lets one win.
  auto tx = target().begin_read();
  if (!tx) return tx;
  return std::unique_ptr<StorageTransaction>(
      new OrgLockedTransaction(std::move(*tx), std::move(locks), *this));
}

void OrgLockingStorage::arrive() {
  std::unique_lock<std::mutex> lock(meet_mutex_);
  if (++arrived_ >= rendezvous_size_) {
    overlapped = true;
    met_.notify_all();
    return;
  }
  met_.wait_for(lock, timeout_, [&] { return arrived_ >= rendezvous_size_; });
}

}  // namespace orgkit::test
