// Tenant administration (T1, U3): what only a tenant administrator or the host needs beside
// the ordinary operations, which already accept them. The tenant's organizations, listed in
// bounded steps, and tenant keys: the credentials by which an operator proves to be a tenant
// administrator. Tenant keys are API keys for a whole tenant and reuse their machinery
// (tokens.hpp: 256 random bits, SHA-256 stored, constant-time compare); only the host mints or
// revokes them, so a leaked key can never issue itself a successor.
#include <charconv>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/unit_of_work.hpp"
#include "service/use_cases.hpp"
#include "tokens.hpp"
#include "validate.hpp"

namespace orgkit::detail {

namespace {

// How many organizations one page of a filtered listing may examine (R4: bounded work).
constexpr int max_examined_per_page = 10000;

// Cursors: "o:" and the id after which the next page starts.
Result<std::optional<OrgId>> decode_org_cursor(const std::string& cursor) {
  if (cursor.empty()) return std::optional<OrgId>();
  std::int64_t id = 0;
  const char* b = cursor.data();
  const char* e = b + cursor.size();
  if (cursor.size() < 3 || cursor.compare(0, 2, "o:") != 0 ||
      std::from_chars(b + 2, e, id).ptr != e || id <= 0) {
    return fail(Error::invalid("cursor", "is not a cursor returned by list_tenant_organizations"));
  }
  return std::optional<OrgId>(OrgId(id));
}

std::string ascii_lower(std::string s) {
  for (char& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return s;
}

// Tenant administrators and the host: the principals that administer a whole tenant.
Result<void> require_administrator(const Actor& actor, std::string_view what) {
  if (!actor.is_member()) return {};
  return fail(Error::denied("actor", fmt::format("only a tenant administrator or the host may {}; "
                                                 "user '{}' is a member",
                                                 what, actor.id.value())));
}

Result<void> require_host(const Actor& actor, std::string_view what) {
  if (actor.kind == PrincipalKind::host) return {};
  return fail(Error::denied(
      "actor", fmt::format("only the host may {}; '{}' is a {}", what, actor.id.value(),
                           actor.kind == PrincipalKind::tenant_admin ? "tenant administrator"
                                                                     : "member")));
}

std::string audit_target(const TenantKey& key) { return fmt::format("otk_{}", key.prefix); }

}  // namespace

Result<Page<Organization>> list_tenant_organizations(Core& c, const Actor& actor,
                                                     const OrganizationQuery& query) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(require_administrator(actor, "list every organization of a tenant"));
  ORGKIT_CHECK(validate::page_limit("limit", query.limit));
  ORGKIT_TRY(text, validate::line("text", query.text, validate::max_name_chars));
  if (query.match != NameMatch::contains && query.match != NameMatch::prefix) {
    return fail(Error::invalid("match", "must be contains or prefix"));
  }
  ORGKIT_TRY(after, decode_org_cursor(query.cursor));
  OrganizationFilter filter;
  filter.after = after;
  filter.text = ascii_lower(std::move(text));
  filter.match = query.match;
  filter.max_examined = max_examined_per_page;
  ORGKIT_TRY(tx, read(c));
  // One more than asked: whether another page follows is known without a second call.
  ORGKIT_TRY(scan, tx->list_organizations(actor.tenant, filter, query.limit + 1));
  Page<Organization> page;
  if (scan.items.size() > static_cast<std::size_t>(query.limit)) {
    scan.items.resize(static_cast<std::size_t>(query.limit));
    page.next_cursor = fmt::format("o:{}", scan.items.back().id.value());
  } else if (scan.resume_after) {
    // The examination bound stopped the step: more organizations may match beyond it.
    page.next_cursor = fmt::format("o:{}", scan.resume_after->value());
  }
  page.items = std::move(scan.items);
  return page;
}

Result<Committed<IssuedTenantKey>> create_tenant_key(Core& c, const Actor& actor,
                                                     const NewTenantKey& spec) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(require_host(actor, "create tenant keys"));
  ORGKIT_TRY(name, validate::org_name("name", spec.name));
  if (spec.expires_in && (*spec.expires_in < std::chrono::minutes(1) ||
                          *spec.expires_in > std::chrono::hours(24 * 3650))) {
    return fail(Error::invalid("expires_in", "must be 1 minute to 10 years"));
  }
  ORGKIT_TRY(secret, tokens::generate_key(tokens::tenant_key_kind));
  return c.write<IssuedTenantKey>(
      actor, tenant_scope(actor), [&](Work& w) -> Result<IssuedTenantKey> {
        TenantKey key;
        key.tenant = actor.tenant;
        key.name = name;
        key.prefix = secret.prefix;
        key.created_by = actor.id;
        key.created_by_kind = actor.kind;
        key.created_at = c.clock->now();
        if (spec.expires_in) {
          key.expires_at = key.created_at +
                           std::chrono::duration_cast<std::chrono::milliseconds>(*spec.expires_in);
        }
        ORGKIT_TRY(id, w.insert_tenant_key(key, secret.hash));
        key.id = id;
        std::vector<FieldChange> changes{{"name", std::nullopt, key.name}};
        if (key.expires_at) {
          changes.push_back({"expires_at", std::nullopt,
                             std::to_string(to_unix_ms(*key.expires_at))});
        }
        // The tenant's own trail (organization 0): the key belongs to no organization.
        ORGKIT_CHECK(audit(c, w, actor, OrgId(), "tenant_key.created", audit_target(key),
                           std::move(changes)));
        return IssuedTenantKey{std::move(key), secret.text};
      });
}

Result<std::vector<TenantKey>> list_tenant_keys(Core& c, const Actor& actor) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(require_administrator(actor, "see the tenant's keys"));
  ORGKIT_TRY(tx, read(c));
  return tx->list_tenant_keys(actor.tenant);
}

Result<Committed<TenantKey>> revoke_tenant_key(Core& c, const Actor& actor, TenantKeyId id) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(require_host(actor, "revoke tenant keys"));
  return c.write<TenantKey>(actor, tenant_scope(actor), [&](Work& w) -> Result<TenantKey> {
    ORGKIT_TRY(key, w.find_tenant_key(actor.tenant, id));
    if (!key) {
      return fail(Error::not_found(
          "key_id", fmt::format("no tenant key {} in this tenant", id.value())));
    }
    if (key->revoked_at) {
      return fail(Error{ErrorCode::revoked, "key_id", "the tenant key is revoked already"});
    }
    const Timestamp now = c.clock->now();
    ORGKIT_TRY(revoked, w.revoke_tenant_key(actor.tenant, id, now));
    if (!revoked) {
      return fail(Error{ErrorCode::revoked, "key_id", "the tenant key is revoked already"});
    }
    key->revoked_at = now;
    ORGKIT_CHECK(audit(c, w, actor, OrgId(), "tenant_key.revoked", audit_target(*key),
                       {{"revoked", "false", "true"}}));
    return std::move(*key);
  });
}

Result<VerifiedTenantKey> verify_tenant_key(Core& c, std::string_view presented,
                                            const TenantId& tenant) {
  ORGKIT_CHECK(validate::host_id("tenant", tenant.value()));
  const std::string_view prefix = tokens::key_prefix(tokens::tenant_key_kind, presented);
  if (prefix.empty()) {
    return fail(Error::invalid("key", "is not an orgkit tenant key (otk_<16 hex>_<43 characters>)"));
  }
  const std::string hash = tokens::hash(presented);
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(stored, tx->find_tenant_key_by_prefix(prefix));
  // One answer for an unknown prefix, a wrong secret and another tenant's key: nothing to
  // probe with, and a key never opens another tenant.
  if (!stored || !tokens::same_hash(stored->secret_hash, hash) || stored->key.tenant != tenant) {
    return fail(Error::not_found("key", "unknown tenant key"));
  }
  if (stored->key.revoked_at) {
    return fail(Error{ErrorCode::revoked, "key", "this tenant key was revoked"});
  }
  if (stored->key.expires_at && *stored->key.expires_at <= c.clock->now()) {
    return fail(Error{ErrorCode::expired, "key", "this tenant key has expired"});
  }
  VerifiedTenantKey out;
  out.actor = Actor::tenant_admin(tenant, fmt::format("tenant-key-{}", stored->key.id.value()));
  out.key = std::move(stored->key);
  return out;
}

}  // namespace orgkit::detail
