// API keys per organization (P9): create (secret shown once), list, revoke, verify.
#include <fmt/format.h>

#include "service/core.hpp"
#include "service/unit_of_work.hpp"
#include "service/use_cases.hpp"
#include "tokens.hpp"
#include "validate.hpp"

namespace orgkit::detail {

Result<Committed<IssuedApiKey>> create_api_key(Core& c, const Actor& actor, OrgId org,
                                               const NewApiKey& spec) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_TRY(name, validate::org_name("name", spec.name));
  ORGKIT_CHECK(validate::role_name("role", spec.role));
  if (spec.expires_in && (*spec.expires_in < std::chrono::minutes(1) ||
                          *spec.expires_in > std::chrono::hours(24 * 3650))) {
    return fail(Error::invalid("expires_in", "must be 1 minute to 10 years"));
  }
  ORGKIT_TRY(secret, tokens::generate_api_key());
  return c.write<IssuedApiKey>(actor, scope_of(actor, org), [&](Work& w) -> Result<IssuedApiKey> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::api_keys_manage, "manage API keys"));
    ORGKIT_TRY(role, requested_role(c, *tx, org, "role", spec.role));
    // A key acts with its own role, never its creator's, and never above it (PITFALLS 4, 11).
    if (!PermissionPolicy::may_grant(*a.role, *role) || role->owner) {
      return fail(Error::denied("role", fmt::format("role '{}' may not create a key with role '{}' "
                                                    "(keys never hold the owner role)",
                                                    a.role->name, role->name)));
    }
    ApiKey key;
    key.org = org;
    key.name = std::move(name);
    key.role = role->name;
    key.prefix = secret.prefix;
    key.created_by = actor.id;
    key.created_at = c.clock->now();
    if (spec.expires_in) {
      key.expires_at =
          key.created_at + std::chrono::duration_cast<std::chrono::milliseconds>(*spec.expires_in);
    }
    ORGKIT_TRY(id, tx->insert_api_key(actor.tenant, key, secret.hash));
    key.id = id;
    ORGKIT_CHECK(audit(c, *tx, actor, org, "api_key.created", fmt::format("okk_{}", key.prefix),
                       {{"name", std::nullopt, key.name}, {"role", std::nullopt, key.role}}));
    return IssuedApiKey{std::move(key), secret.text};
  });
}

Result<std::vector<ApiKey>> list_api_keys(Core& c, const Actor& actor, OrgId org) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(a, visible(c, *tx, actor, org));
  const RoleRef& role = a.role;
  // Seeing the keys (never their secrets) is api_keys:read where a policy declares it (002:
  // members "can access" the organization's keys); managing them includes seeing them.
  if (!require(c, *role, permissions::api_keys_read, "see API keys")) {
    ORGKIT_CHECK(require(c, *role, permissions::api_keys_manage, "see API keys"));
  }
  return tx->list_api_keys(org);
}

Result<Committed<ApiKey>> revoke_api_key(Core& c, const Actor& actor, OrgId org, ApiKeyId id) {
  ORGKIT_CHECK(validate_actor(actor));
  return c.write<ApiKey>(actor, scope_of(actor, org), [&](Work& w) -> Result<ApiKey> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::api_keys_manage, "manage API keys"));
    ORGKIT_TRY(key, tx->find_api_key(actor.tenant, org, id));
    if (!key) {
      return fail(Error::not_found("key_id",
                                   fmt::format("no API key {} in this organization", id.value())));
    }
    ORGKIT_TRY(role, find_role(c, *tx, org, key->role));
    if (role && !PermissionPolicy::may_grant(*a.role, *role)) {
      return fail(Error::denied("key_id", fmt::format("role '{}' may not revoke a key with role "
                                                      "'{}'",
                                                      a.role->name, role->name)));
    }
    const Timestamp now = c.clock->now();
    ORGKIT_TRY(revoked, tx->revoke_api_key(org, id, now));
    if (!revoked) return fail(Error{ErrorCode::revoked, "key_id", "the key is revoked already"});
    key->revoked_at = now;
    ORGKIT_CHECK(audit(c, *tx, actor, org, "api_key.revoked", fmt::format("okk_{}", key->prefix),
                       {{"revoked", "false", "true"}}));
    return std::move(*key);
  });
}

Result<VerifiedApiKey> verify_api_key(Core& c, std::string_view presented) {
  const std::string_view prefix = tokens::api_key_prefix(presented);
  if (prefix.empty()) {
    return fail(Error::invalid("key", "is not an orgkit API key (okk_<16 hex>_<43 characters>)"));
  }
  const std::string hash = tokens::hash(presented);
  VerifiedApiKey out;
  {
    // A read: verifying serves every request a key makes, so it must not queue behind writers.
    ORGKIT_TRY(tx, read(c));
    ORGKIT_TRY(stored, tx->find_api_key_by_prefix(prefix));
    // The same answer for an unknown prefix and a wrong secret: nothing to probe with.
    if (!stored || !tokens::same_hash(stored->secret_hash, hash)) {
      return fail(Error::not_found("key", "unknown API key"));
    }
    const Timestamp now = c.clock->now();
    if (stored->key.revoked_at) {
      return fail(Error{ErrorCode::revoked, "key", "this API key was revoked"});
    }
    if (stored->key.expires_at && *stored->key.expires_at <= now) {
      return fail(Error{ErrorCode::expired, "key", "this API key has expired"});
    }
    ORGKIT_TRY(role, find_role(c, *tx, stored->key.org, stored->key.role));
    if (!role) {
      return fail(Error::conflict(
          "role", fmt::format("the key's role '{}' no longer exists", stored->key.role)));
    }
    for (std::size_t i = 0; i < c.policy.permission_names().size(); ++i) {
      // A key is never the owner: what the owner role alone holds never reaches it.
      if (role->permissions.test(i) && !c.policy.owner_reserved().test(i)) {
        out.permissions.push_back(c.policy.permission_names()[i]);
      }
    }
    out.tenant = std::move(stored->tenant);
    out.key = std::move(stored->key);
  }
  // Last use is recorded at most once a minute per key, and only as well as it can be: a busy
  // store delays the record, never the request.
  const Timestamp now = c.clock->now();
  if (!out.key.last_used_at || now - *out.key.last_used_at >= std::chrono::minutes(1)) {
    // wait = false: a writer holding the lock means the record is skipped, never that the
    // request waits (the next use within a minute records it).
    if (auto tx = c.storage->begin_write(WriteScope{out.tenant, {out.key.org}, false})) {
      if ((*tx)->touch_api_key(out.key.org, out.key.id, now) && (*tx)->commit()) {
        out.key.last_used_at = now;
      }
    }
  }
  return out;
}

}  // namespace orgkit::detail
