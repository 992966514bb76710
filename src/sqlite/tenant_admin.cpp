// SqliteTransaction: tenant administration (T1). A tenant's organizations are listed by id in
// bounded steps: the inner query takes at most max_examined rows of the tenant's index range
// (organizations_by_tenant), the outer one keeps those whose name or slug matches. The text
// is a bound parameter compared with instr()/substr(), never a LIKE pattern, so % and _ in
// it are ordinary characters. lower() folds ASCII only, as the contract says. Tenant keys
// are found by their unique public prefix; only a hash of the secret is stored.
#include "sqlite/rows.hpp"
#include "sqlite/transaction.hpp"

namespace orgkit::sqlite {

namespace {

constexpr const char* select_tenant_orgs =
    "SELECT o.id, o.tenant, o.name, o.slug, o.description, o.legal_name, o.alerting_email, "
    "o.invoicing_email, o.plan, o.personal, o.created_by, o.created_at, o.metadata "
    "FROM (SELECT * FROM organizations WHERE tenant = ?1 AND id > ?2 ORDER BY id LIMIT ?5) o "
    "WHERE ?3 = '' OR CASE ?4 "
    "WHEN 1 THEN (substr(lower(o.name), 1, length(?3)) = ?3 "
    "OR substr(lower(o.slug), 1, length(?3)) = ?3) "
    "ELSE (instr(lower(o.name), ?3) > 0 OR instr(lower(o.slug), ?3) > 0) END "
    "ORDER BY o.id LIMIT ?6";

// How far the step's window reached: how many organizations it holds and the last one.
constexpr const char* examined_window =
    "SELECT count(*), max(id) FROM (SELECT id FROM organizations "
    "WHERE tenant = ?1 AND id > ?2 ORDER BY id LIMIT ?3)";

}  // namespace

Result<OrganizationScan> SqliteTransaction::list_organizations(const TenantId& tenant,
                                                               const OrganizationFilter& filter,
                                                               int limit) {
  return guarded("list organizations", [&]() -> Result<OrganizationScan> {
    const std::int64_t after = filter.after ? filter.after->value() : 0;
    const int window = filter.max_examined < 1 ? 1 : filter.max_examined;
    OrganizationScan out;
    {
      auto& s = stmt(select_tenant_orgs);
      s.bind(1, tenant.value());
      s.bind(2, after);
      s.bind(3, filter.text);
      s.bind(4, filter.match == NameMatch::prefix ? 1 : 0);
      s.bind(5, window);
      s.bind(6, limit);
      while (s.executeStep()) out.items.push_back(read_org(s));
    }
    if (limit > 0 && out.items.size() == static_cast<std::size_t>(limit)) {
      out.resume_after = out.items.back().id;  // stopped at the limit: examined up to here
      return out;
    }
    auto& w = stmt(examined_window);
    w.bind(1, tenant.value());
    w.bind(2, after);
    w.bind(3, window);
    (void)w.executeStep();
    const std::int64_t examined = w.getColumn(0).getInt64();
    if (examined >= window) out.resume_after = OrgId(w.getColumn(1).getInt64());
    return out;
  });
}

Result<TenantKeyId> SqliteTransaction::insert_tenant_key(const TenantKey& key,
                                                         std::string_view secret_hash) {
  return guarded(
      "create tenant key",
      [&]() -> Result<TenantKeyId> {
        auto& s = stmt(
            "INSERT INTO tenant_keys (tenant, name, prefix, secret_hash, created_by, "
            "created_by_kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, key.tenant.value());
        s.bind(2, key.name);
        s.bind(3, key.prefix);
        s.bind(4, secret_hash.data(), static_cast<int>(secret_hash.size()));
        s.bind(5, key.created_by.value());
        s.bind(6, std::string(to_string(key.created_by_kind)));
        s.bind(7, to_unix_ms(key.created_at));
        if (key.expires_at)
          s.bind(8, to_unix_ms(*key.expires_at));
        else
          s.bind(8);
        s.exec();
        return TenantKeyId((*lease_)->db.getLastInsertRowid());
      },
      "prefix");
}

Result<std::optional<StoredTenantKey>> SqliteTransaction::find_tenant_key_by_prefix(
    std::string_view prefix) {
  return guarded("read tenant key", [&]() -> Result<std::optional<StoredTenantKey>> {
    auto& s = stmt("SELECT " ORGKIT_TENANT_KEY_COLUMNS
                   ", secret_hash FROM tenant_keys WHERE prefix = ?");
    s.bind(1, std::string(prefix));
    if (!s.executeStep()) return std::optional<StoredTenantKey>();
    StoredTenantKey stored;
    stored.key = read_tenant_key(s);
    stored.secret_hash = blob(s.getColumn(9));
    return std::optional<StoredTenantKey>(std::move(stored));
  });
}

Result<std::optional<TenantKey>> SqliteTransaction::find_tenant_key(const TenantId& tenant,
                                                                    TenantKeyId id) {
  return guarded("read tenant key", [&]() -> Result<std::optional<TenantKey>> {
    auto& s = stmt("SELECT " ORGKIT_TENANT_KEY_COLUMNS
                   " FROM tenant_keys WHERE id = ? AND tenant = ?");
    s.bind(1, id.value());
    s.bind(2, tenant.value());
    if (!s.executeStep()) return std::optional<TenantKey>();
    return std::optional<TenantKey>(read_tenant_key(s));
  });
}

Result<std::vector<TenantKey>> SqliteTransaction::list_tenant_keys(const TenantId& tenant) {
  return guarded("list tenant keys", [&]() -> Result<std::vector<TenantKey>> {
    auto& s = stmt("SELECT " ORGKIT_TENANT_KEY_COLUMNS
                   " FROM tenant_keys WHERE tenant = ? ORDER BY id DESC");
    s.bind(1, tenant.value());
    std::vector<TenantKey> out;
    while (s.executeStep()) out.push_back(read_tenant_key(s));
    return out;
  });
}

Result<bool> SqliteTransaction::revoke_tenant_key(const TenantId& tenant, TenantKeyId id,
                                                  Timestamp at) {
  return guarded("revoke tenant key", [&]() -> Result<bool> {
    auto& s = stmt(
        "UPDATE tenant_keys SET revoked_at = ? WHERE id = ? AND tenant = ? "
        "AND revoked_at IS NULL");
    s.bind(1, to_unix_ms(at));
    s.bind(2, id.value());
    s.bind(3, tenant.value());
    return s.exec() == 1;
  });
}

}  // namespace orgkit::sqlite
