// PgTransaction: tenant administration (T1), as SQLite's. A tenant's organizations are listed
// by id in bounded steps: the inner query takes at most max_examined rows of the tenant's
// index range (organizations_by_tenant), the outer one keeps those whose name or slug
// matches. The text is a bound parameter compared with strpos()/starts_with(), never a LIKE
// pattern, so % and _ in it are ordinary characters; names are folded with translate() over
// A-Z only, because the contract folds ASCII alone (lower() would follow the locale). Tenant
// keys are found by their unique public prefix; only a hash of the secret is stored.
#include "postgres/rows.hpp"
#include "postgres/transaction.hpp"

namespace orgkit::postgres {

namespace {

#define ORGKIT_PG_ASCII_LOWER(x) \
  "translate(" x ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

constexpr const char* select_tenant_orgs =
    "SELECT " ORGKIT_PG_ORG_COLUMNS
    " FROM (SELECT * FROM organizations WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $5) o "
    "WHERE $3 = '' OR CASE WHEN $4 THEN "
    "(starts_with(" ORGKIT_PG_ASCII_LOWER("o.name") ", $3) OR "
    "starts_with(" ORGKIT_PG_ASCII_LOWER("o.slug") ", $3)) "
    "ELSE (strpos(" ORGKIT_PG_ASCII_LOWER("o.name") ", $3) > 0 OR "
    "strpos(" ORGKIT_PG_ASCII_LOWER("o.slug") ", $3) > 0) END "
    "ORDER BY o.id LIMIT $6";

// How far the step's window reached: how many organizations it holds and the last one.
constexpr const char* examined_window =
    "SELECT count(*), coalesce(max(id), 0) FROM (SELECT id FROM organizations "
    "WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $3) w";

}  // namespace

Result<OrganizationScan> PgTransaction::list_organizations(const TenantId& tenant,
                                                           const OrganizationFilter& filter,
                                                           int limit) {
  return guarded("list organizations", [&]() -> Result<OrganizationScan> {
    const std::int64_t after = filter.after ? filter.after->value() : 0;
    const int window = filter.max_examined < 1 ? 1 : filter.max_examined;
    OrganizationScan out;
    const auto r = run(select_tenant_orgs, tenant.value(), after, filter.text,
                       filter.match == NameMatch::prefix, window, limit);
    out.items.reserve(r.size());
    for (const auto& row : r) out.items.push_back(read_org(row));
    for (auto& o : out.items) o.metadata = read_metadata(o.id);
    if (limit > 0 && out.items.size() == static_cast<std::size_t>(limit)) {
      out.resume_after = out.items.back().id;  // stopped at the limit: examined up to here
      return out;
    }
    const auto w = run(examined_window, tenant.value(), after, window);
    if (w[0][0].as<std::int64_t>() >= window) out.resume_after = OrgId(w[0][1].as<std::int64_t>());
    return out;
  });
}

Result<TenantKeyId> PgTransaction::insert_tenant_key(const TenantKey& key,
                                                     std::string_view secret_hash) {
  return guarded(
      "create tenant key",
      [&]() -> Result<TenantKeyId> {
        const nullable_param expires = param_of(key.expires_at);
        const auto r = write(
            "INSERT INTO tenant_keys (tenant, name, prefix, secret_hash, created_by, "
            "created_by_kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
            "$8::bigint) RETURNING id",
            key.tenant.value(), key.name, key.prefix, bytea(secret_hash), key.created_by.value(),
            std::string(to_string(key.created_by_kind)), to_unix_ms(key.created_at),
            expires.get());
        return TenantKeyId(r[0][0].as<std::int64_t>());
      },
      "prefix");
}

Result<std::optional<StoredTenantKey>> PgTransaction::find_tenant_key_by_prefix(
    std::string_view prefix) {
  return guarded("read tenant key", [&]() -> Result<std::optional<StoredTenantKey>> {
    const auto r = run("SELECT " ORGKIT_PG_TENANT_KEY_COLUMNS
                       ", secret_hash FROM tenant_keys WHERE prefix = $1",
                       std::string(prefix));
    if (r.empty()) return std::optional<StoredTenantKey>();
    StoredTenantKey stored;
    stored.key = read_tenant_key(r[0]);
    stored.secret_hash = bytes_of(r[0][9]);
    return std::optional<StoredTenantKey>(std::move(stored));
  });
}

Result<std::optional<TenantKey>> PgTransaction::find_tenant_key(const TenantId& tenant,
                                                                TenantKeyId id) {
  return guarded("read tenant key", [&]() -> Result<std::optional<TenantKey>> {
    const auto r = run("SELECT " ORGKIT_PG_TENANT_KEY_COLUMNS
                       " FROM tenant_keys WHERE id = $1 AND tenant = $2",
                       id.value(), tenant.value());
    if (r.empty()) return std::optional<TenantKey>();
    return std::optional<TenantKey>(read_tenant_key(r[0]));
  });
}

Result<std::vector<TenantKey>> PgTransaction::list_tenant_keys(const TenantId& tenant) {
  return guarded("list tenant keys", [&]() -> Result<std::vector<TenantKey>> {
    const auto r = run("SELECT " ORGKIT_PG_TENANT_KEY_COLUMNS
                       " FROM tenant_keys WHERE tenant = $1 ORDER BY id DESC",
                       tenant.value());
    std::vector<TenantKey> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(read_tenant_key(row));
    return out;
  });
}

Result<bool> PgTransaction::revoke_tenant_key(const TenantId& tenant, TenantKeyId id,
                                              Timestamp at) {
  return guarded("revoke tenant key", [&]() -> Result<bool> {
    const auto r = write(
        "UPDATE tenant_keys SET revoked_at = $1 WHERE id = $2 AND tenant = $3 "
        "AND revoked_at IS NULL",
        to_unix_ms(at), id.value(), tenant.value());
    return r.affected_rows() == 1;
  });
}

}  // namespace orgkit::postgres
