// Six deliberately broken backends, each a StorageWrapper over a real SQLite store (in
// memory) that breaks exactly one rule of storage.hpp the way a buggy backend would. They
// exist to show the conformance suite catches each bug: ctest runs the suite's cases for that
// rule on each double and passes only if they fail (tests/conformance/CMakeLists.txt), and
// runs the rest of the suite on it, which must pass, so each double is otherwise faithful.
//
//   broken:close-not-pending    close_invitation reports true for an invitation that is no
//                               longer pending (its UPDATE lost "AND state = 'pending'").
//   broken:reassign-skips-keys  reassign_role moves members and pending invitations but
//                               forgets API keys.
//   broken:holders-skip-keys    count_role_holders counts members and invitations, not keys.
//   broken:ignores-tenant       lookups by organization id take the tenant from a cache of
//                               id -> tenant instead of checking the one they were given.
//   broken:audit-oldest-first   list_audit_events orders by id ascending (no DESC).
//   broken:audit-filter-after-limit  list_audit_events reads a page and filters it
//                               afterwards, so a page holds fewer matches than it could.
#include "conformance/backends.hpp"
#include "conformance/conformance.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>

#include <orgkit/storage_wrapper.hpp>

namespace orgkit::conformance {
namespace {

// What a double remembers beside the wrapped store, shared by the store and its
// transactions (like a buggy backend's cache).
struct Memory {
  std::mutex mutex;
  std::map<std::int64_t, TenantId> org_tenants;      // ignores-tenant: organization id -> tenant
  std::map<std::int64_t, std::string> token_hashes;  // reassign-skips-keys: invitation -> hash

  TenantId tenant_of(OrgId org, const TenantId& fallback) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = org_tenants.find(org.value());
    return it == org_tenants.end() ? fallback : it->second;
  }
};

// The transactions of a double: forward everything; subclasses override one behaviour.
class Tx : public StorageTransactionWrapper {
 public:
  Tx(std::unique_ptr<StorageTransaction> target, std::shared_ptr<Memory> memory)
      : StorageTransactionWrapper(std::move(target)), memory_(std::move(memory)) {}

 protected:
  std::shared_ptr<Memory> memory_;
};

// A store whose transactions are wrapped in `T` (a Tx).
template <class T>
class Wrapping : public StorageWrapper {
 public:
  explicit Wrapping(std::unique_ptr<Storage> target) : StorageWrapper(std::move(target)) {}

  Result<std::unique_ptr<StorageTransaction>> begin_read() override {
    return wrap(StorageWrapper::begin_read());
  }
  Result<std::unique_ptr<StorageTransaction>> begin_write(const WriteScope& scope) override {
    return wrap(StorageWrapper::begin_write(scope));
  }

 protected:
  std::shared_ptr<Memory> memory_ = std::make_shared<Memory>();

 private:
  Result<std::unique_ptr<StorageTransaction>> wrap(Result<std::unique_ptr<StorageTransaction>> tx) {
    if (!tx) return tx;
    return std::unique_ptr<StorageTransaction>(std::make_unique<T>(std::move(*tx), memory_));
  }
};

// --- close-not-pending ------------------------------------------------------------------

class CloseNotPendingTx final : public Tx {
 public:
  using Tx::Tx;
  // The bug: the conditional write's outcome is not reported. Every close "succeeds", so two
  // racing accepts of one token would both add a member.
  Result<bool> close_invitation(OrgId org, InvitationId id, InvitationState to, const UserId& by,
                                Timestamp at) override {
    auto closed = Tx::close_invitation(org, id, to, by, at);
    if (!closed) return closed;
    return true;
  }
};

// --- reassign-skips-keys ----------------------------------------------------------------

class ReassignSkipsKeysTx final : public Tx {
 public:
  using Tx::Tx;

  // Remembers each invitation's token hash, so the reassignment below can rewrite an
  // invitation through reissue_invitation without changing its token.
  Result<InvitationId> insert_invitation(const TenantId& tenant, const Invitation& inv,
                                         std::string_view email_key,
                                         std::string_view token_hash) override {
    auto id = Tx::insert_invitation(tenant, inv, email_key, token_hash);
    if (id) remember(*id, token_hash);
    return id;
  }
  Result<void> reissue_invitation(OrgId org, InvitationId id, const Invitation& inv,
                                  std::string_view token_hash) override {
    auto done = Tx::reissue_invitation(org, id, inv, token_hash);
    if (done) remember(id, token_hash);
    return done;
  }

  // The bug: a reassignment written as one update per holder table, with api_keys missing.
  // Members and pending invitations move as they should; keys keep the old role.
  Result<std::int64_t> reassign_role(OrgId org, std::string_view from,
                                     std::string_view to) override {
    std::int64_t moved = 0;
    std::string after;
    for (;;) {
      auto page = target().list_memberships(org, std::string(from), after, 100);
      if (!page) return fail(page.error());
      if (page->empty()) break;
      for (const auto& m : *page) {
        if (auto r = target().update_membership_role(org, m.user, to); !r) return fail(r.error());
        ++moved;
      }
      after = page->back().user.value();
    }
    auto invitations = target().list_invitations(org, std::nullopt, from_unix_ms(0), std::nullopt,
                                                 std::numeric_limits<int>::max());
    if (!invitations) return fail(invitations.error());
    for (Invitation inv : *invitations) {
      if (inv.state != InvitationState::pending || inv.role != from) continue;
      inv.role = std::string(to);
      auto hash = hash_of(inv.id);
      if (!hash) return fail(Error::storage_failure("reassign role: unknown invitation token"));
      if (auto r = target().reissue_invitation(org, inv.id, inv, *hash); !r) return fail(r.error());
    }
    return moved;
  }

 private:
  void remember(InvitationId id, std::string_view hash) {
    std::lock_guard<std::mutex> lock(memory_->mutex);
    memory_->token_hashes[id.value()] = std::string(hash);
  }
  std::optional<std::string> hash_of(InvitationId id) {
    std::lock_guard<std::mutex> lock(memory_->mutex);
    auto it = memory_->token_hashes.find(id.value());
    if (it == memory_->token_hashes.end()) return std::nullopt;
    return it->second;
  }
};

// --- holders-skip-keys ------------------------------------------------------------------

class HoldersSkipKeysTx final : public Tx {
 public:
  using Tx::Tx;
  // The bug: API keys are left out of the count, so a custom role held only by keys looks
  // unused and can be deleted from under them.
  Result<std::int64_t> count_role_holders(OrgId org, std::string_view role) override {
    auto holders = Tx::count_role_holders(org, role);
    if (!holders) return holders;
    auto keys = target().list_api_keys(org);
    if (!keys) return fail(keys.error());
    const auto live = std::count_if(keys->begin(), keys->end(), [&](const ApiKey& k) {
      return k.role == role && !k.revoked_at;
    });
    return *holders - static_cast<std::int64_t>(live);
  }
};

// --- ignores-tenant ---------------------------------------------------------------------

class IgnoresTenantTx final : public Tx {
 public:
  using Tx::Tx;

  Result<OrgId> insert_organization(const Organization& org) override {
    auto id = Tx::insert_organization(org);
    if (id) {
      std::lock_guard<std::mutex> lock(memory_->mutex);
      memory_->org_tenants[id->value()] = org.tenant;
    }
    return id;
  }

  // The bug: organization ids are unique across tenants, so these look up the organization's
  // own tenant (from the cache) instead of checking the caller's.
  Result<std::optional<Organization>> find_organization(const TenantId& tenant, OrgId id) override {
    return Tx::find_organization(memory_->tenant_of(id, tenant), id);
  }
  Result<std::optional<Membership>> find_membership(const TenantId& tenant, OrgId org,
                                                    const UserId& user) override {
    return Tx::find_membership(memory_->tenant_of(org, tenant), org, user);
  }
  Result<std::optional<Invitation>> find_invitation(const TenantId& tenant, OrgId org,
                                                    InvitationId id) override {
    return Tx::find_invitation(memory_->tenant_of(org, tenant), org, id);
  }
  Result<std::optional<ApiKey>> find_api_key(const TenantId& tenant, OrgId org,
                                             ApiKeyId id) override {
    return Tx::find_api_key(memory_->tenant_of(org, tenant), org, id);
  }
  Result<std::vector<AuditEvent>> list_audit_events(const TenantId& tenant, OrgId org,
                                                    const AuditFilter& filter,
                                                    int limit) override {
    return Tx::list_audit_events(memory_->tenant_of(org, tenant), org, filter, limit);
  }
};

class IgnoresTenantStorage final : public Wrapping<IgnoresTenantTx> {
 public:
  using Wrapping::Wrapping;
  // The same bug on the permission check's hot path.
  Result<bool> member_access(const TenantId& tenant, OrgId org, const UserId& user,
                             MemberAccess& out) override {
    return Wrapping::member_access(memory_->tenant_of(org, tenant), org, user, out);
  }
};

// --- audit-oldest-first -----------------------------------------------------------------

class AuditOldestFirstTx final : public Tx {
 public:
  using Tx::Tx;
  // The bug: ORDER BY id without DESC. Faithful to such a query otherwise: the `limit`
  // oldest events below `before`, oldest first.
  Result<std::vector<AuditEvent>> list_audit_events(const TenantId& tenant, OrgId org,
                                                    const AuditFilter& filter,
                                                    int limit) override {
    auto events = Tx::list_audit_events(tenant, org, filter, std::numeric_limits<int>::max());
    if (!events) return events;
    std::reverse(events->begin(), events->end());
    if (limit >= 0 && events->size() > static_cast<std::size_t>(limit)) {
      events->resize(static_cast<std::size_t>(limit));
    }
    return events;
  }
};

// --- audit-filter-after-limit -----------------------------------------------------------

class AuditFilterAfterLimitTx final : public Tx {
 public:
  using Tx::Tx;
  // The bug: the query pages first (newest `limit` below `before`) and the filters run on
  // that page in memory. Right without filters and whenever the newest events match; with a
  // selective filter a page comes back short or empty while matches remain further down.
  Result<std::vector<AuditEvent>> list_audit_events(const TenantId& tenant, OrgId org,
                                                    const AuditFilter& filter,
                                                    int limit) override {
    AuditFilter page_only;
    page_only.before = filter.before;
    auto events = Tx::list_audit_events(tenant, org, page_only, limit);
    if (!events) return events;
    events->erase(std::remove_if(events->begin(), events->end(),
                                 [&](const AuditEvent& e) {
                                   return (filter.action && e.action != *filter.action) ||
                                          (filter.target && e.target != *filter.target) ||
                                          (filter.since && e.at < *filter.since) ||
                                          (filter.until && !(e.at < *filter.until));
                                 }),
                  events->end());
    return events;
  }
};

// A factory for double `S` over a fresh in-memory SQLite store.
template <class S>
BackendFactory over_sqlite_memory() {
  return []() -> Result<std::unique_ptr<Storage>> {
    auto inner = open_sqlite(SqliteOptions{});
    if (!inner) return fail(inner.error());
    return std::unique_ptr<Storage>(std::make_unique<S>(std::move(*inner)));
  };
}

}  // namespace

void register_broken_backends() {
  register_backend("broken:close-not-pending", over_sqlite_memory<Wrapping<CloseNotPendingTx>>());
  register_backend("broken:reassign-skips-keys",
                   over_sqlite_memory<Wrapping<ReassignSkipsKeysTx>>());
  register_backend("broken:holders-skip-keys", over_sqlite_memory<Wrapping<HoldersSkipKeysTx>>());
  register_backend("broken:ignores-tenant", over_sqlite_memory<IgnoresTenantStorage>());
  register_backend("broken:audit-oldest-first", over_sqlite_memory<Wrapping<AuditOldestFirstTx>>());
  register_backend("broken:audit-filter-after-limit",
                   over_sqlite_memory<Wrapping<AuditFilterAfterLimitTx>>());
}

}  // namespace orgkit::conformance
