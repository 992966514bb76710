// The PostgreSQL storage: open_postgres(), how transactions begin (the lock strategy of
// postgres.hpp), and the permission check's read. Why row locks on organizations: they are the
// smallest lock that serializes exactly the writers the contract says must be serialized
// (those sharing an organization); FOR NO KEY UPDATE leaves foreign key checks of other
// transactions (which take FOR KEY SHARE) unblocked, and locking in id order means two
// writers over overlapping scopes never deadlock on these locks.
#include <memory>

#include <fmt/format.h>

#include <orgkit/postgres.hpp>

#include "postgres/change_signal.hpp"
#include "postgres/connection.hpp"
#include "postgres/rows.hpp"
#include "postgres/schema.hpp"
#include "postgres/transaction.hpp"

namespace orgkit {
namespace postgres {
namespace {

constexpr const char* lock_scope =
    "SELECT id FROM organizations WHERE tenant = $1 AND id = ANY ($2::bigint[]) "
    "ORDER BY id FOR NO KEY UPDATE";
constexpr const char* lock_scope_nowait =
    "SELECT id FROM organizations WHERE tenant = $1 AND id = ANY ($2::bigint[]) "
    "ORDER BY id FOR NO KEY UPDATE NOWAIT";
// One indexed read: the membership by primary key, and the organization's custom role of that
// name, if any, by its primary key.
constexpr const char* select_access =
    "SELECT m.role, r.permissions FROM memberships m LEFT JOIN org_roles r "
    "ON r.org_id = m.org_id AND r.name = m.role "
    "WHERE m.org_id = $1 AND m.user_id = $2 AND m.tenant = $3";

class PgStorage final : public Storage {
 public:
  PgStorage(Settings settings, bool cache_checks)
      : pool_(std::move(settings)), channel_("orgkit_" + pool_.settings().schema) {
    if (cache_checks) signal_ = std::make_unique<PgChangeSignal>(pool_.settings());
  }

  Result<void> initialize() {
    return guarded("open database", [&]() -> Result<void> {
      return pool_.with_retry([&](Lease& lease) -> Result<void> {
        return migrate(*lease, pool_.settings().schema);
      });
    });
  }

  const ChangeSignal* change_signal() const noexcept override { return signal_.get(); }

  Result<std::unique_ptr<StorageTransaction>> begin_read() override {
    return guarded("begin transaction", [&]() -> Result<std::unique_ptr<StorageTransaction>> {
      return pool_.with_retry([&](Lease& lease) {
        lease->exec_direct("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        lease->in_transaction = true;
        return std::unique_ptr<StorageTransaction>(new PgTransaction(std::move(lease), false));
      });
    });
  }

  // READ COMMITTED plus a row lock on each organization of the scope, taken now: what the
  // transaction then reads about those organizations stays true until it ends, because every
  // other writer that may change them waits for the same locks (storage.hpp, TRANSACTIONS).
  Result<std::unique_ptr<StorageTransaction>> begin_write(const WriteScope& scope) override {
    return guarded("begin transaction", [&]() -> Result<std::unique_ptr<StorageTransaction>> {
      const std::string ids = id_array(scope.orgs);
      return pool_.with_retry([&](Lease& lease) {
        lease->exec_direct("BEGIN ISOLATION LEVEL READ COMMITTED");
        lease->in_transaction = true;
        if (!scope.orgs.empty()) {
          lease->exec(scope.wait ? lock_scope : lock_scope_nowait, scope.tenant.value(), ids);
        }
        return std::unique_ptr<StorageTransaction>(
            new PgTransaction(std::move(lease), true, scope.orgs, signal_.get(), &channel_));
      });
    });
  }

  Result<bool> member_access(const TenantId& tenant, OrgId org, const UserId& user,
                             MemberAccess& out) override {
    try {
      return pool_.with_retry([&](Lease& lease) -> bool {
        const pqxx::result r = lease->exec(select_access, org.value(), user.value(), tenant.value());
        if (r.empty()) return false;
        const pqxx::field role = r[0][0];
        out.role.assign(role.c_str(), role.size());
        const pqxx::field perms = r[0][1];
        out.custom = !perms.is_null();
        if (out.custom) {
          out.permissions.assign(perms.c_str(), perms.size());
        } else {
          out.permissions.clear();
        }
        return true;
      });
    } catch (const std::exception& e) {
      return fail(map_error(e, "check permission"));
    }
  }

 private:
  Pool pool_;
  std::string channel_;                     // what writers notify (change_signal.hpp)
  std::unique_ptr<PgChangeSignal> signal_;  // null: checks read the store every time
};

bool valid_schema_name(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z'))) return false;
  for (const char c : s) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return s.rfind("pg_", 0) != 0;  // reserved for the system
}

}  // namespace
}  // namespace postgres

Result<std::unique_ptr<Storage>> open_postgres(const PostgresOptions& options) {
  if (options.connection.empty()) {
    return fail(Error::invalid("connection", "must be a libpq connection string or URI"));
  }
  if (!postgres::valid_schema_name(options.schema)) {
    return fail(Error::invalid(
        "schema", "must be 1-63 characters of a-z, 0-9 and _, not starting with a digit or pg_"));
  }
  if (options.pool_size < 1 || options.pool_size > 256) {
    return fail(Error::invalid("pool_size", "must be 1-256"));
  }
  if (options.statement_timeout_ms < 1 || options.statement_timeout_ms > 3'600'000) {
    return fail(Error::invalid("statement_timeout_ms", "must be 1-3600000"));
  }
  if (options.reconnect_budget_ms < 0 || options.reconnect_budget_ms > 600'000) {
    return fail(Error::invalid("reconnect_budget_ms", "must be 0-600000"));
  }
  postgres::Settings settings{options.connection, options.schema, options.pool_size,
                              options.statement_timeout_ms, options.reconnect_budget_ms};
  auto storage = std::make_unique<postgres::PgStorage>(std::move(settings), options.cache_checks);
  if (auto ok = storage->initialize(); !ok) return fail(ok.error());
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace orgkit
