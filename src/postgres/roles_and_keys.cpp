// PgTransaction: custom roles (P6) and API keys (P9). A key's secret is kept only as a hash
// (bytea); the public prefix finds it.
#include "postgres/rows.hpp"
#include "postgres/transaction.hpp"

namespace orgkit::postgres {

Result<std::optional<CustomRole>> PgTransaction::find_custom_role(OrgId org,
                                                                  std::string_view name) {
  return guarded("read role", [&]() -> Result<std::optional<CustomRole>> {
    const auto r = run(
        "SELECT name, rank, permissions, created_at FROM org_roles "
        "WHERE org_id = $1 AND name = $2",
        org.value(), std::string(name));
    if (r.empty()) return std::optional<CustomRole>();
    return std::optional<CustomRole>(read_custom_role(r[0]));
  });
}

Result<std::vector<CustomRole>> PgTransaction::list_custom_roles(OrgId org) {
  return guarded("list roles", [&]() -> Result<std::vector<CustomRole>> {
    const auto r = run(
        "SELECT name, rank, permissions, created_at FROM org_roles "
        "WHERE org_id = $1 ORDER BY name",
        org.value());
    std::vector<CustomRole> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(read_custom_role(row));
    return out;
  });
}

Result<void> PgTransaction::insert_custom_role(OrgId org, const CustomRole& role) {
  return guarded(
      "create role",
      [&]() -> Result<void> {
        write(
            "INSERT INTO org_roles (org_id, name, rank, permissions, created_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            org.value(), role.name, role.rank, join_words(role.permissions),
            to_unix_ms(role.created_at));
        return {};
      },
      "name");
}

Result<void> PgTransaction::update_custom_role(OrgId org, std::string_view name,
                                               const CustomRole& role) {
  return guarded(
      "update role",
      [&]() -> Result<void> {
        const auto r = write(
            "UPDATE org_roles SET name = $1, rank = $2, permissions = $3 "
            "WHERE org_id = $4 AND name = $5",
            role.name, role.rank, join_words(role.permissions), org.value(), std::string(name));
        if (r.affected_rows() != 1) return fail(Error::not_found("role", "no such role"));
        return {};
      },
      "name");
}

Result<void> PgTransaction::delete_custom_role(OrgId org, std::string_view name) {
  return guarded("delete role", [&]() -> Result<void> {
    const auto r = write("DELETE FROM org_roles WHERE org_id = $1 AND name = $2", org.value(),
                         std::string(name));
    if (r.affected_rows() != 1) return fail(Error::not_found("role", "no such role"));
    return {};
  });
}

Result<std::int64_t> PgTransaction::reassign_role(OrgId org, std::string_view from,
                                                  std::string_view to) {
  return guarded("reassign role", [&]() -> Result<std::int64_t> {
    const std::string f(from);
    const std::string t(to);
    const auto moved = write("UPDATE memberships SET role = $1 WHERE org_id = $2 AND role = $3",
                             t, org.value(), f)
                           .affected_rows();
    write("UPDATE api_keys SET role = $1 WHERE org_id = $2 AND role = $3 AND revoked_at IS NULL",
          t, org.value(), f);
    write("UPDATE invitations SET role = $1 WHERE org_id = $2 AND role = $3 "
          "AND state = 'pending'",
          t, org.value(), f);
    return static_cast<std::int64_t>(moved);
  });
}

Result<std::int64_t> PgTransaction::count_role_holders(OrgId org, std::string_view role) {
  return guarded("count role holders", [&]() -> Result<std::int64_t> {
    return run("SELECT (SELECT count(*) FROM memberships WHERE org_id = $1 AND role = $2) + "
               "(SELECT count(*) FROM api_keys WHERE org_id = $1 AND role = $2 "
               "AND revoked_at IS NULL) + "
               "(SELECT count(*) FROM invitations WHERE org_id = $1 AND role = $2 "
               "AND state = 'pending')",
               org.value(), std::string(role))[0][0]
        .as<std::int64_t>();
  });
}

Result<ApiKeyId> PgTransaction::insert_api_key(const TenantId& tenant, const ApiKey& key,
                                               std::string_view secret_hash) {
  return guarded(
      "create API key",
      [&]() -> Result<ApiKeyId> {
        const nullable_param expires = param_of(key.expires_at);
        const auto r = write(
            "INSERT INTO api_keys (org_id, tenant, name, role, prefix, secret_hash, created_by, "
            "created_at, expires_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::bigint "
            "WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1 AND tenant = $2) "
            "RETURNING id",
            key.org.value(), tenant.value(), key.name, key.role, key.prefix, bytea(secret_hash),
            key.created_by.value(), to_unix_ms(key.created_at), expires.get());
        if (r.empty()) return fail(not_in_tenant());
        return ApiKeyId(r[0][0].as<std::int64_t>());
      },
      "prefix");
}

Result<std::optional<StoredApiKey>> PgTransaction::find_api_key_by_prefix(
    std::string_view prefix) {
  return guarded("read API key", [&]() -> Result<std::optional<StoredApiKey>> {
    const auto r = run("SELECT " ORGKIT_PG_API_KEY_COLUMNS
                       ", tenant, secret_hash FROM api_keys WHERE prefix = $1",
                       std::string(prefix));
    if (r.empty()) return std::optional<StoredApiKey>();
    StoredApiKey stored;
    stored.key = read_api_key(r[0]);
    stored.tenant = TenantId(r[0][10].as<std::string>());
    stored.secret_hash = bytes_of(r[0][11]);
    return std::optional<StoredApiKey>(std::move(stored));
  });
}

Result<std::optional<ApiKey>> PgTransaction::find_api_key(const TenantId& tenant, OrgId org,
                                                          ApiKeyId id) {
  return guarded("read API key", [&]() -> Result<std::optional<ApiKey>> {
    const auto r = run("SELECT " ORGKIT_PG_API_KEY_COLUMNS
                       " FROM api_keys WHERE id = $1 AND org_id = $2 AND tenant = $3",
                       id.value(), org.value(), tenant.value());
    if (r.empty()) return std::optional<ApiKey>();
    return std::optional<ApiKey>(read_api_key(r[0]));
  });
}

Result<std::vector<ApiKey>> PgTransaction::list_api_keys(OrgId org) {
  return guarded("list API keys", [&]() -> Result<std::vector<ApiKey>> {
    const auto r = run("SELECT " ORGKIT_PG_API_KEY_COLUMNS
                       " FROM api_keys WHERE org_id = $1 ORDER BY id DESC",
                       org.value());
    std::vector<ApiKey> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(read_api_key(row));
    return out;
  });
}

Result<bool> PgTransaction::revoke_api_key(OrgId org, ApiKeyId id, Timestamp at) {
  return guarded("revoke API key", [&]() -> Result<bool> {
    const auto r = write(
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND org_id = $3 "
        "AND revoked_at IS NULL",
        to_unix_ms(at), id.value(), org.value());
    return r.affected_rows() == 1;
  });
}

Result<void> PgTransaction::touch_api_key(OrgId org, ApiKeyId id, Timestamp at) {
  return guarded("record API key use", [&]() -> Result<void> {
    write("UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND org_id = $3", to_unix_ms(at),
          id.value(), org.value());
    return {};
  });
}

}  // namespace orgkit::postgres
