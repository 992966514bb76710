// PgTransaction: commit and its token, organizations, per-user state.
#include "postgres/transaction.hpp"
#include "postgres/change_signal.hpp"
#include "postgres/rows.hpp"

namespace orgkit::postgres {

namespace {

// The commit log row of a transaction that wrote: the WAL insert position now (before this
// transaction's commit record), which is its token (postgres.hpp, commit tokens). The same
// statement prunes a few older rows that no other pruner holds, so the log stays small
// without any writer waiting for another; only rows this transaction sees as committed are
// removed, and atomically with its own row, so the greatest token never goes missing.
// It also sends the commit's notification ($1: the channel, $2: the scope's organizations or
// "*"; change_signal.hpp), which PostgreSQL delivers only if the transaction commits, and
// counts the other processes' listeners ($3: this process's own) that must hear of it before
// commit() returns.
constexpr const char* insert_commit_token =
    "WITH t AS (SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS token), "
    "pruned AS (DELETE FROM commit_log WHERE token = ANY (ARRAY("
    "  SELECT c.token FROM commit_log c WHERE c.token < (SELECT token FROM t) "
    "  ORDER BY c.token LIMIT 8 FOR UPDATE SKIP LOCKED))), "
    "ins AS (INSERT INTO commit_log (token) SELECT token FROM t RETURNING token) "
    "SELECT token, pg_notify($1, token::text || ' ' || $2), "
    "(SELECT count(*) FROM listeners WHERE id <> $3 "
    " AND lease_until > (extract(epoch from clock_timestamp()) * 1000)::bigint) FROM ins";

// The organizations a notification names: "1,2,3", or "*" for a scope that names none.
std::string notified_orgs(const std::vector<OrgId>& scope) {
  if (scope.empty()) return "*";
  std::string out;
  for (OrgId org : scope) {
    if (!out.empty()) out += ',';
    out += std::to_string(org.value());
  }
  return out;
}

constexpr const char* newest_token = "SELECT coalesce(max(token), 0) FROM commit_log";

}  // namespace

PgTransaction::~PgTransaction() {
  if (lease_) (*lease_)->rollback_quietly();
}

Result<CommitToken> PgTransaction::commit_steps() {
  bool signalled = false;
  std::int64_t others = 0;  // listeners of other processes that must hear of this commit
  static const std::string no_channel = "orgkit";
  const std::string& channel = channel_ != nullptr ? *channel_ : no_channel;
  const std::int64_t own_listener = signal_ != nullptr ? signal_->listener_id() : 0;
  auto committed = guarded("commit", [&]() -> Result<CommitToken> {
    std::int64_t token = 0;
    if (wrote_) {
      try {
        const auto r = run(insert_commit_token, channel, notified_orgs(scope_), own_listener);
        token = r[0][0].as<std::int64_t>();
        others = r[0][2].as<std::int64_t>();
      } catch (const pqxx::unique_violation&) {
        throw lost_race();  // another commit read the same position: retry whole
      }
      // This process's cached checks of the scope stop trusting themselves before the change
      // becomes visible, and may cache again once it is.
      if (signal_ != nullptr) {
        signal_->begin_commit(scope_);
        signalled = true;
      }
    } else {
      token = run(newest_token)[0][0].as<std::int64_t>();
    }
    conn().commit();
    conn().in_transaction = false;
    return CommitToken(static_cast<std::uint64_t>(token));
  });
  if (signalled) signal_->end_commit(scope_);
  // C1 across servers: returns only once every other cache has heard of the commit.
  if (committed && others > 0) await_listeners(conn(), channel, own_listener);
  return committed;
}

Result<CommitToken> PgTransaction::commit() {
  if (!lease_) return fail(Error::storage_failure("commit: the transaction has ended"));
  auto committed = commit_steps();
  // A failed COMMIT (or a failed step before it) leaves the transaction to roll back; the
  // connection goes back to the pool now, not when this object dies.
  (*lease_)->rollback_quietly();
  lease_.reset();
  return committed;
}

Result<OrgId> PgTransaction::insert_organization(const Organization& org) {
  return guarded(
      "create organization",
      [&]() -> Result<OrgId> {
        const auto r = write(
            "INSERT INTO organizations (tenant, name, slug, description, legal_name, "
            "alerting_email, invoicing_email, plan, personal, created_by, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            org.tenant.value(), org.name, org.slug, org.description, org.legal_name,
            org.alerting_email, org.invoicing_email, org.plan, org.personal,
            org.created_by.value(), to_unix_ms(org.created_at));
        const OrgId id(r[0][0].as<std::int64_t>());
        write_metadata(id, org.metadata);
        return id;
      },
      "slug");
}

Result<std::optional<Organization>> PgTransaction::find_organization(const TenantId& tenant,
                                                                     OrgId id) {
  return guarded("read organization", [&]() -> Result<std::optional<Organization>> {
    const auto r = run("SELECT " ORGKIT_PG_ORG_COLUMNS
                       " FROM organizations o WHERE o.id = $1 AND o.tenant = $2",
                       id.value(), tenant.value());
    if (r.empty()) return std::optional<Organization>();
    Organization o = read_org(r[0]);
    o.metadata = read_metadata(o.id);
    return std::optional<Organization>(std::move(o));
  });
}

Result<bool> PgTransaction::slug_taken(const TenantId& tenant, std::string_view slug) {
  return guarded("read slug", [&]() -> Result<bool> {
    return !run("SELECT 1 FROM organizations WHERE tenant = $1 AND slug = $2", tenant.value(),
                std::string(slug))
                .empty();
  });
}

Result<void> PgTransaction::update_organization(const Organization& org) {
  return guarded("update organization", [&]() -> Result<void> {
    const auto r = write(
        "UPDATE organizations SET name = $1, description = $2, legal_name = $3, "
        "alerting_email = $4, invoicing_email = $5, plan = $6 WHERE id = $7 AND tenant = $8",
        org.name, org.description, org.legal_name, org.alerting_email, org.invoicing_email,
        org.plan, org.id.value(), org.tenant.value());
    if (r.affected_rows() != 1) return fail(Error::not_found("org_id", "no such organization"));
    write("DELETE FROM organization_metadata WHERE org_id = $1", org.id.value());
    write_metadata(org.id, org.metadata);
    return {};
  });
}

Result<void> PgTransaction::delete_organization(const TenantId& tenant, OrgId id) {
  return guarded("delete organization", [&]() -> Result<void> {
    const auto r =
        write("DELETE FROM organizations WHERE id = $1 AND tenant = $2", id.value(), tenant.value());
    if (r.affected_rows() != 1) return fail(Error::not_found("org_id", "no such organization"));
    return {};
  });
}

Result<std::vector<MyOrganization>> PgTransaction::organizations_of(const TenantId& tenant,
                                                                    const UserId& user) {
  return guarded("list organizations", [&]() -> Result<std::vector<MyOrganization>> {
    const auto r = run("SELECT " ORGKIT_PG_ORG_COLUMNS
                       ", m.role FROM memberships m JOIN organizations o ON o.id = m.org_id "
                       "WHERE m.tenant = $1 AND m.user_id = $2 ORDER BY o.id",
                       tenant.value(), user.value());
    std::vector<MyOrganization> out;
    out.reserve(r.size());
    for (const auto& row : r) {
      MyOrganization mo;
      mo.organization = read_org(row);
      mo.role = row[12].as<std::string>();
      out.push_back(std::move(mo));
    }
    for (auto& mo : out) mo.organization.metadata = read_metadata(mo.organization.id);
    return out;
  });
}

Result<std::optional<OrgId>> PgTransaction::personal_organization_of(const TenantId& tenant,
                                                                     const UserId& user) {
  return guarded("read personal organization", [&]() -> Result<std::optional<OrgId>> {
    const auto r = run(
        "SELECT id FROM organizations WHERE tenant = $1 AND created_by = $2 AND personal",
        tenant.value(), user.value());
    if (r.empty()) return std::optional<OrgId>();
    return std::optional<OrgId>(OrgId(r[0][0].as<std::int64_t>()));
  });
}

Result<std::int64_t> PgTransaction::count_organizations_created_by(const TenantId& tenant,
                                                                  const UserId& user) {
  return guarded("count organizations", [&]() -> Result<std::int64_t> {
    return run("SELECT count(*) FROM organizations WHERE tenant = $1 AND created_by = $2 "
               "AND NOT personal",
               tenant.value(), user.value())[0][0]
        .as<std::int64_t>();
  });
}

Result<std::optional<OrgId>> PgTransaction::active_organization(const TenantId& tenant,
                                                                const UserId& user) {
  return guarded("read active organization", [&]() -> Result<std::optional<OrgId>> {
    const auto r = run("SELECT active_org_id FROM user_state WHERE tenant = $1 AND user_id = $2",
                       tenant.value(), user.value());
    if (r.empty() || r[0][0].is_null()) return std::optional<OrgId>();
    return std::optional<OrgId>(OrgId(r[0][0].as<std::int64_t>()));
  });
}

Result<void> PgTransaction::set_active_organization(const TenantId& tenant, const UserId& user,
                                                    std::optional<OrgId> org) {
  return guarded("set active organization", [&]() -> Result<void> {
    const nullable_param id{org ? std::optional<std::string>(std::to_string(org->value()))
                                : std::nullopt};
    write(
        "INSERT INTO user_state (tenant, user_id, active_org_id) VALUES ($1, $2, $3::bigint) "
        "ON CONFLICT (tenant, user_id) DO UPDATE SET active_org_id = excluded.active_org_id",
        tenant.value(), user.value(), id.get());
    return {};
  });
}

void PgTransaction::write_metadata(OrgId id, const std::map<std::string, std::string>& md) {
  for (const auto& [key, value] : md) {
    write("INSERT INTO organization_metadata (org_id, key, value) VALUES ($1, $2, $3)",
          id.value(), key, value);
  }
}

std::map<std::string, std::string> PgTransaction::read_metadata(OrgId id) {
  std::map<std::string, std::string> md;
  const auto r = run("SELECT key, value FROM organization_metadata WHERE org_id = $1", id.value());
  for (const auto& row : r) md.emplace(row[0].as<std::string>(), row[1].as<std::string>());
  return md;
}

}  // namespace orgkit::postgres
