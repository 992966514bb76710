// Permission checks (P2, P3, P7): one read of the member's access, no allocation.
#include <fmt/format.h>

#include "service/check_cache.hpp"
#include "service/core.hpp"
#include "service/use_cases.hpp"
#include "rules/rules.hpp"
#include "validate.hpp"

namespace orgkit::detail {

// --- checks ----------------------------------------------------------------------------

bool grants(const Core& s, const MemberAccess& access, Permission p) {
  return rules::grants(s.policy, access.role, access.custom, access.permissions, p);
}

namespace {

bool grants(const CachedAccess& access, Permission p) {
  return access.member && p.index < max_permissions && access.permissions.test(p.index);
}

// A tenant administrator or the host holds every permission in every organization of its
// tenant (U3), as visible() gives it to the operations: one read of the organization. Never
// cached: the cache is keyed by user id, which a member may share with an administrator.
Result<CachedAccess> administrator_access(Core& c, const Actor& actor, OrgId org) {
  CachedAccess out;
  if (!org.valid()) return out;
  auto tx = c.storage->begin_read();
  if (!tx) return fail(std::move(tx).error());
  auto found = (*tx)->find_organization(actor.tenant, org);
  if (!found) return fail(std::move(found).error());
  out.member = found->has_value();
  if (out.member) {
    const RoleDefinition& role =
        actor.kind == PrincipalKind::host ? c.host_role : c.tenant_admin_role;
    out.permissions = role.permissions;
  }
  return out;
}

// What the actor may do in `org`: from this thread's cache while the storage's change signal
// says `org` is unchanged since the answer was read, else one read of the store (C1, C2).
// `consistency` may demand more: at least a commit the signal must have seen, or the store.
Result<CachedAccess> access_of(Core& c, const Actor& actor, OrgId org, Consistency consistency) {
  if (!actor.is_member()) return administrator_access(c, actor, org);
  const ChangeSignal* signal = c.change_signal;
  CheckCache* cache = signal != nullptr && c.check_cache_capacity > 0
                          ? &thread_check_cache(c.id, c.check_cache_capacity)
                          : nullptr;
  bool cache_may_answer = cache != nullptr;
  if (consistency.mode() == Consistency::Mode::fully_consistent) cache_may_answer = false;
  if (consistency.mode() == Consistency::Mode::at_least_as_fresh) {
    cache_may_answer = cache_may_answer && signal->covers(consistency.token());
  }
  if (cache_may_answer) {
    if (auto hit = cache->find(actor.tenant.value(), org, actor.id.value(), *signal)) return *hit;
  }
  // The version is taken before the read, so a commit racing with it leaves the entry stale
  // by version, never by content. A direct read refreshes the cache too.
  const auto version = cache != nullptr ? signal->settled(org) : std::nullopt;
  // Reused per thread so that a miss does not allocate once the buffers have grown.
  thread_local MemberAccess access;
  auto found = c.storage->member_access(actor.tenant, org, actor.id, access);
  if (!found) return fail(std::move(found).error());
  CachedAccess out;
  out.member = *found;
  if (*found) out.permissions = rules::granted(c.policy, access.role, access.custom, access.permissions);
  if (version) cache->put(actor.tenant.value(), org, actor.id.value(), *version, out);
  return out;
}

}  // namespace

Result<bool> check(Core& c, const Actor& actor, OrgId org, Permission permission,
                   Consistency consistency) {
  auto access = access_of(c, actor, org, consistency);
  if (!access) return fail(std::move(access).error());
  return grants(*access, permission);
}

Result<bool> check(Core& c, const Actor& actor, OrgId org, Permission permission) {
  return check(c, actor, org, permission, Consistency::minimize_latency());
}

Result<bool> check(Core& c, const Actor& actor, OrgId org, Permission permission,
                   const UserId& resource_owner) {
  const OwnershipRule* rule = c.policy.ownership_rule_for(permission);
  if (rule == nullptr) return check(c, actor, org, permission);
  auto access = access_of(c, actor, org, Consistency::minimize_latency());
  if (!access) return fail(std::move(access).error());
  if (grants(*access, rule->all)) return true;
  return grants(*access, rule->own) && resource_owner == actor.id;
}

Result<bool> check(Core& c, const Actor& actor, OrgId org, std::string_view permission) {
  auto p = c.policy.permission(permission);
  if (!p) return fail(std::move(p).error());
  return check(c, actor, org, *p);
}

Result<bool> check(Core& c, const Actor& actor, OrgId org, std::string_view permission,
                   const UserId& resource_owner) {
  auto p = c.policy.permission(permission);
  if (!p) return fail(std::move(p).error());
  return check(c, actor, org, *p, resource_owner);
}

Result<bool> check(Core& c, const Actor& actor, OrgId org, std::string_view permission,
                   const CommitToken& at_least) {
  return check(c, actor, org, permission, Consistency::at_least_as_fresh(at_least));
}

Result<bool> check(Core& c, const Actor& actor, OrgId org, std::string_view permission,
                   Consistency consistency) {
  auto p = c.policy.permission(permission);
  if (!p) return fail(std::move(p).error());
  return check(c, actor, org, *p, consistency);
}

Result<bool> check(Core& c, const VerifiedApiKey& key, std::string_view permission) {
  auto p = c.policy.permission(permission);
  if (!p) return fail(std::move(p).error());
  return key.allows(permission);
}

Result<void> authorize(Core& c, const Actor& actor, OrgId org, std::string_view permission) {
  auto p = c.policy.permission(permission);
  if (!p) return fail(std::move(p).error());
  if (!actor.is_member()) {
    auto admin = administrator_access(c, actor, org);
    if (!admin) return fail(std::move(admin).error());
    if (admin->member) return {};
    return fail(Error::not_found("org_id", fmt::format("no organization {}", org.value())));
  }
  MemberAccess access;
  auto found = c.storage->member_access(actor.tenant, org, actor.id, access);
  if (!found) return fail(std::move(found).error());
  if (!*found) {  // as everywhere: an organization one is not in does not exist for one
    return fail(Error::not_found("org_id", fmt::format("no organization {} that user '{}' is a "
                                                       "member of",
                                                       org.value(), actor.id.value())));
  }
  if (grants(c, access, *p)) return {};
  return fail(Error::denied("permission", fmt::format("user '{}' has role '{}', which lacks '{}'",
                                                      actor.id.value(), access.role, permission)));
}

}  // namespace orgkit::detail
