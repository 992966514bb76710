// SqliteTransaction: custom roles (P6) and API keys (P9).
#include "sqlite/rows.hpp"
#include "sqlite/transaction.hpp"

namespace orgkit::sqlite {

Result<std::optional<CustomRole>> SqliteTransaction::find_custom_role(OrgId org,
                                                                      std::string_view name) {
  return guarded("read role", [&]() -> Result<std::optional<CustomRole>> {
    auto& s = stmt(
        "SELECT name, rank, permissions, created_at FROM org_roles "
        "WHERE org_id = ? AND name = ?");
    s.bind(1, org.value());
    s.bind(2, std::string(name));
    if (!s.executeStep()) return std::optional<CustomRole>();
    return std::optional<CustomRole>(read_custom_role(s));
  });
}

Result<std::vector<CustomRole>> SqliteTransaction::list_custom_roles(OrgId org) {
  return guarded("list roles", [&]() -> Result<std::vector<CustomRole>> {
    auto& s = stmt(
        "SELECT name, rank, permissions, created_at FROM org_roles "
        "WHERE org_id = ? ORDER BY name");
    s.bind(1, org.value());
    std::vector<CustomRole> out;
    while (s.executeStep()) out.push_back(read_custom_role(s));
    return out;
  });
}

Result<void> SqliteTransaction::insert_custom_role(OrgId org, const CustomRole& role) {
  return guarded(
      "create role",
      [&]() -> Result<void> {
        auto& s = stmt(
            "INSERT INTO org_roles (org_id, name, rank, permissions, created_at) "
            "VALUES (?, ?, ?, ?, ?)");
        s.bind(1, org.value());
        s.bind(2, role.name);
        s.bind(3, role.rank);
        s.bind(4, join_words(role.permissions));
        s.bind(5, to_unix_ms(role.created_at));
        s.exec();
        return {};
      },
      "name");
}

Result<void> SqliteTransaction::update_custom_role(OrgId org, std::string_view name,
                                                   const CustomRole& role) {
  return guarded(
      "update role",
      [&]() -> Result<void> {
        auto& s = stmt(
            "UPDATE org_roles SET name = ?, rank = ?, permissions = ? "
            "WHERE org_id = ? AND name = ?");
        s.bind(1, role.name);
        s.bind(2, role.rank);
        s.bind(3, join_words(role.permissions));
        s.bind(4, org.value());
        s.bind(5, std::string(name));
        if (s.exec() != 1) return fail(Error::not_found("role", "no such role"));
        return {};
      },
      "name");
}

Result<void> SqliteTransaction::delete_custom_role(OrgId org, std::string_view name) {
  return guarded("delete role", [&]() -> Result<void> {
    auto& s = stmt("DELETE FROM org_roles WHERE org_id = ? AND name = ?");
    s.bind(1, org.value());
    s.bind(2, std::string(name));
    if (s.exec() != 1) return fail(Error::not_found("role", "no such role"));
    return {};
  });
}

Result<std::int64_t> SqliteTransaction::reassign_role(OrgId org, std::string_view from,
                                                      std::string_view to) {
  return guarded("reassign role", [&]() -> Result<std::int64_t> {
    const std::string* by_index = indexed(from, &RoleIndex::reassign_sql);
    auto& m = by_index ? stmt(by_index->c_str())
                       : stmt("UPDATE memberships SET role = ?1 WHERE org_id = ?2 AND role = ?3");
    m.bind(1, std::string(to));
    m.bind(2, org.value());
    m.bind(3, std::string(from));
    const std::int64_t moved = m.exec();
    auto& k = stmt(
        "UPDATE api_keys SET role = ?1 WHERE org_id = ?2 AND role = ?3 "
        "AND revoked_at IS NULL");
    k.bind(1, std::string(to));
    k.bind(2, org.value());
    k.bind(3, std::string(from));
    k.exec();
    auto& i = stmt(
        "UPDATE invitations SET role = ?1 WHERE org_id = ?2 AND role = ?3 "
        "AND state = 'pending'");
    i.bind(1, std::string(to));
    i.bind(2, org.value());
    i.bind(3, std::string(from));
    i.exec();
    return moved;
  });
}

Result<std::int64_t> SqliteTransaction::count_role_holders(OrgId org, std::string_view role) {
  return guarded("count role holders", [&]() -> Result<std::int64_t> {
    const std::string* by_index = indexed(role, &RoleIndex::holders_sql);
    auto& s = by_index ? stmt(by_index->c_str()) : stmt(
        "SELECT (SELECT count(*) FROM memberships WHERE org_id = ?1 AND role = ?2) + "
        "(SELECT count(*) FROM api_keys WHERE org_id = ?1 AND role = ?2 "
        "AND revoked_at IS NULL) + "
        "(SELECT count(*) FROM invitations WHERE org_id = ?1 AND role = ?2 "
        "AND state = 'pending')");
    s.bind(1, org.value());
    s.bind(2, std::string(role));
    (void)s.executeStep();
    return s.getColumn(0).getInt64();
  });
}

Result<ApiKeyId> SqliteTransaction::insert_api_key(const TenantId& tenant, const ApiKey& key,
                                                   std::string_view secret_hash) {
  return guarded(
      "create API key",
      [&]() -> Result<ApiKeyId> {
        if (!org_in_tenant(key.org, tenant)) return fail(not_in_tenant());
        auto& s = stmt(
            "INSERT INTO api_keys (org_id, tenant, name, role, prefix, secret_hash, created_by, "
            "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, key.org.value());
        s.bind(2, tenant.value());
        s.bind(3, key.name);
        s.bind(4, key.role);
        s.bind(5, key.prefix);
        s.bind(6, secret_hash.data(), static_cast<int>(secret_hash.size()));
        s.bind(7, key.created_by.value());
        s.bind(8, to_unix_ms(key.created_at));
        if (key.expires_at)
          s.bind(9, to_unix_ms(*key.expires_at));
        else
          s.bind(9);
        s.exec();
        return ApiKeyId((*lease_)->db.getLastInsertRowid());
      },
      "prefix");
}

Result<std::optional<StoredApiKey>> SqliteTransaction::find_api_key_by_prefix(
    std::string_view prefix) {
  return guarded("read API key", [&]() -> Result<std::optional<StoredApiKey>> {
    auto& s = stmt("SELECT " ORGKIT_API_KEY_COLUMNS
                   ", tenant, secret_hash FROM api_keys "
                   "WHERE prefix = ?");
    s.bind(1, std::string(prefix));
    if (!s.executeStep()) return std::optional<StoredApiKey>();
    StoredApiKey stored;
    stored.key = read_api_key(s);
    stored.tenant = TenantId(s.getColumn(10).getString());
    stored.secret_hash = blob(s.getColumn(11));
    return std::optional<StoredApiKey>(std::move(stored));
  });
}

Result<std::optional<ApiKey>> SqliteTransaction::find_api_key(const TenantId& tenant, OrgId org,
                                                              ApiKeyId id) {
  return guarded("read API key", [&]() -> Result<std::optional<ApiKey>> {
    auto& s = stmt("SELECT " ORGKIT_API_KEY_COLUMNS
                   " FROM api_keys "
                   "WHERE id = ? AND org_id = ? AND tenant = ?");
    s.bind(1, id.value());
    s.bind(2, org.value());
    s.bind(3, tenant.value());
    if (!s.executeStep()) return std::optional<ApiKey>();
    return std::optional<ApiKey>(read_api_key(s));
  });
}

Result<std::vector<ApiKey>> SqliteTransaction::list_api_keys(OrgId org) {
  return guarded("list API keys", [&]() -> Result<std::vector<ApiKey>> {
    auto& s = stmt("SELECT " ORGKIT_API_KEY_COLUMNS
                   " FROM api_keys WHERE org_id = ? "
                   "ORDER BY id DESC");
    s.bind(1, org.value());
    std::vector<ApiKey> out;
    while (s.executeStep()) out.push_back(read_api_key(s));
    return out;
  });
}

Result<bool> SqliteTransaction::revoke_api_key(OrgId org, ApiKeyId id, Timestamp at) {
  return guarded("revoke API key", [&]() -> Result<bool> {
    auto& s = stmt(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND org_id = ? "
        "AND revoked_at IS NULL");
    s.bind(1, to_unix_ms(at));
    s.bind(2, id.value());
    s.bind(3, org.value());
    return s.exec() == 1;
  });
}

Result<void> SqliteTransaction::touch_api_key(OrgId org, ApiKeyId id, Timestamp at) {
  return guarded("record API key use", [&]() -> Result<void> {
    auto& s = stmt("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND org_id = ?");
    s.bind(1, to_unix_ms(at));
    s.bind(2, id.value());
    s.bind(3, org.value());
    s.exec();
    return {};
  });
}

}  // namespace orgkit::sqlite
