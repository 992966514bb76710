// The bundled SQLite storage: open_sqlite(), the pool, and the permission check's read.
#include <algorithm>
#include <atomic>
#include <list>
#include <memory>
#include <mutex>

#include <SQLiteCpp/Transaction.h>

#include <orgkit/sqlite.hpp>

#include "sqlite/connection.hpp"
#include "sqlite/role_index.hpp"
#include "sqlite/transaction.hpp"

namespace orgkit {
namespace sqlite {
namespace {

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(const SqliteOptions& options, bool in_memory)
      : pool_(options, in_memory), busy_timeout_ms_(options.busy_timeout_ms) {}

  Result<void> initialize(const std::string& path, bool in_memory) {
    return guarded("open database", [&]() -> Result<void> {
      auto lease = pool_.acquire();
      if (auto migrated = sqlite::migrate(lease->db); !migrated) return migrated;
      auto signal = ShmChangeSignal::open(path, in_memory);
      if (!signal) return fail(std::move(signal).error());
      signal_ = std::move(*signal);
      // Under the write lock, so that no commit is between taking a number and committing.
      SQLite::Transaction lock(lease->db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement s(lease->db, "SELECT sequence FROM commit_sequence");
      if (s.executeStep()) signal_->seed(static_cast<std::uint64_t>(s.getColumn(0).getInt64()));
      s.reset();
      lock.commit();
      return {};
    });
  }

  const ChangeSignal* change_signal() const noexcept override { return signal_.get(); }

  Result<std::unique_ptr<StorageTransaction>> begin_read() override {
    return begin("BEGIN", true, {}, false);
  }

  // SQLite has one write lock per file, so every write transaction is serialized with every
  // other, which keeps the contract for any scope. IMMEDIATE takes that lock now (waiting up
  // to the busy timeout), so a writer never fails half-way after it has read.
  Result<std::unique_ptr<StorageTransaction>> begin_write(const WriteScope& scope) override {
    return begin("BEGIN IMMEDIATE", scope.wait, scope.orgs, true);
  }

  void note_policy_roles(const std::vector<std::string>& names) override {
    policy_roles_ = names;
  }

  // Rebuilds memberships_by_role, once, if the file has it for another policy (or in full,
  // as schema v1 made it): role_index.hpp. On any failure the queries keep reading without
  // it, which gives the same answers.
  void note_owner_role(const std::string& owner) override {
    RoleIndex wanted = RoleIndex::for_policy(policy_roles_, owner);
    try {
      auto lease = pool_.acquire();
      SQLite::Transaction lock(lease->db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement current(lease->db,
                                "SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                                "name = 'memberships_by_role'");
      const bool same = current.executeStep() && current.getColumn(0).getString() == wanted.create_sql;
      current.reset();
      if (!same) {
        lease->reset_all();
        lease->db.exec("DROP INDEX IF EXISTS memberships_by_role");
        lease->db.exec(wanted.create_sql);
      }
      lock.commit();
    } catch (const std::exception&) {
      return;  // the queries go on without the index's texts
    }
    std::lock_guard<std::mutex> guard(role_index_mutex_);
    role_indexes_.push_back(std::move(wanted));
    role_index_.store(&role_indexes_.back(), std::memory_order_release);
  }

  Result<bool> member_access(const TenantId& tenant, OrgId org, const UserId& user,
                             MemberAccess& out) override {
    try {
      auto lease = pool_.acquire();
      // The membership by primary key; then, only for a role the policy does not define, the
      // organization's custom role of that name by its primary key.
      auto& s = lease->statement(
          "SELECT role FROM memberships WHERE org_id = ? AND user_id = ? AND tenant = ?");
      s.bind(1, org.value());
      s.bindNoCopy(2, user.value());
      s.bindNoCopy(3, tenant.value());
      if (!s.executeStep()) {
        (void)s.tryReset();
        return false;
      }
      const SQLite::Column role = s.getColumn(0);
      out.role.assign(role.getText(), static_cast<std::size_t>(role.getBytes()));
      (void)s.tryReset();  // ends the implicit read transaction now
      out.custom = false;
      out.permissions.clear();
      if (std::find(policy_roles_.begin(), policy_roles_.end(), out.role) != policy_roles_.end()) {
        return true;
      }
      // A custom role, or one that no longer exists (which grants nothing). A separate read:
      // a custom role's permissions may change in between, which the change signal sees as
      // a change of the organization, like any other.
      auto& r = lease->statement("SELECT permissions FROM org_roles WHERE org_id = ? AND name = ?");
      r.bind(1, org.value());
      r.bindNoCopy(2, out.role);
      if (r.executeStep()) {
        const SQLite::Column perms = r.getColumn(0);
        out.custom = true;
        out.permissions.assign(perms.getText(), static_cast<std::size_t>(perms.getBytes()));
      }
      (void)r.tryReset();
      return true;
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "check permission"));
    } catch (const std::exception& e) {
      return fail(Error::storage_failure(fmt::format("check permission failed: {}", e.what())));
    }
  }

 private:
  Result<std::unique_ptr<StorageTransaction>> begin(const char* sql, bool wait,
                                                     const std::vector<OrgId>& scope,
                                                     bool exclusive) {
    return guarded("begin transaction", [&]() -> Result<std::unique_ptr<StorageTransaction>> {
      auto lease = pool_.acquire();
      if (!wait) {
        // Ask for the lock once, without the busy handler, then wait as usual again.
        sqlite3_busy_timeout(lease->db.getHandle(), 0);
        const int rc = sqlite3_exec(lease->db.getHandle(), sql, nullptr, nullptr, nullptr);
        sqlite3_busy_timeout(lease->db.getHandle(), busy_timeout_ms_);
        if (rc != SQLITE_OK) throw SQLite::Exception(lease->db.getHandle(), rc);
        return std::unique_ptr<StorageTransaction>(new SqliteTransaction(
            std::move(lease), signal_.get(), scope, exclusive, role_index()));
      }
      lease->statement(sql).exec();  // prepared once per connection
      return std::unique_ptr<StorageTransaction>(new SqliteTransaction(
          std::move(lease), signal_.get(), scope, exclusive, role_index()));
    });
  }

  const RoleIndex* role_index() const noexcept {
    return role_index_.load(std::memory_order_acquire);
  }

  Pool pool_;
  int busy_timeout_ms_;
  std::vector<std::string> policy_roles_;  // never an organization's custom role
  // Every RoleIndex noted, kept for the storage's life (connections cache statements by the
  // address of their text); the last one is current.
  std::mutex role_index_mutex_;
  std::list<RoleIndex> role_indexes_;
  std::atomic<const RoleIndex*> role_index_{nullptr};
  std::unique_ptr<ShmChangeSignal> signal_;  // set by initialize(), which fails without it
};

}  // namespace
}  // namespace sqlite

Result<std::unique_ptr<Storage>> open_sqlite(const SqliteOptions& options) {
  if (options.path.empty()) {
    return fail(Error::invalid("path", "must be a file path or \":memory:\""));
  }
  if (options.max_connections < 1 || options.max_connections > 64) {
    return fail(Error::invalid("max_connections", "must be 1-64"));
  }
  if (options.cache_kib < 64 || options.cache_kib > 1024 * 1024) {
    return fail(Error::invalid("cache_kib", "must be 64-1048576"));
  }
  if (options.checkpoint_pages < 100 || options.checkpoint_pages > 1000000) {
    return fail(Error::invalid("checkpoint_pages", "must be 100-1000000"));
  }
  if (options.mmap_mib < 0 || options.mmap_mib > 1024 * 1024) {
    return fail(Error::invalid("mmap_mib", "must be 0-1048576"));
  }
  if (options.durability != SqliteDurability::process_crash &&
      options.durability != SqliteDurability::power_loss) {
    return fail(Error::invalid("durability", "must be process_crash or power_loss"));
  }
  if (options.busy_timeout_ms < 0) {
    return fail(Error::invalid("busy_timeout_ms", "must not be negative"));
  }
  const bool in_memory = options.path == ":memory:";
  // An in-memory database lives inside one connection: share that one.
  auto storage = std::make_unique<sqlite::SqliteStorage>(options, in_memory);
  if (auto ok = storage->initialize(options.path, in_memory); !ok) return fail(ok.error());
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace orgkit
