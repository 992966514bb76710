// Permission checks (P2, P3, P7): one read of the member's access, no allocation.
#include <fmt/format.h>

#include "service/core.hpp"
#include "service/use_cases.hpp"
#include "rules/rules.hpp"
#include "validate.hpp"

namespace orgkit::detail {

// --- checks ----------------------------------------------------------------------------

bool grants(const Core& s, const MemberAccess& access, Permission p) {
  return rules::grants(s.policy, access.role, access.custom, access.permissions, p);
}

Result<bool> check(Core& c, const Actor& actor, OrgId org, Permission permission) {
  // Reused per thread so that a check does not allocate once the buffers have grown.
  thread_local MemberAccess access;
  auto found = c.storage->member_access(actor.tenant, org, actor.id, access);
  if (!found) return fail(std::move(found).error());
  return *found && grants(c, access, permission);
}

Result<bool> check(Core& c, const Actor& actor, OrgId org, Permission permission,
                   const UserId& resource_owner) {
  const OwnershipRule* rule = c.policy.ownership_rule_for(permission);
  if (rule == nullptr) return check(c, actor, org, permission);
  thread_local MemberAccess access;
  auto found = c.storage->member_access(actor.tenant, org, actor.id, access);
  if (!found) return fail(std::move(found).error());
  if (!*found) return false;
  if (grants(c, access, rule->all)) return true;
  return grants(c, access, rule->own) && resource_owner == actor.id;
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

Result<bool> check(Core& c, const VerifiedApiKey& key, std::string_view permission) {
  auto p = c.policy.permission(permission);
  if (!p) return fail(std::move(p).error());
  return key.allows(permission);
}

Result<void> authorize(Core& c, const Actor& actor, OrgId org, std::string_view permission) {
  auto p = c.policy.permission(permission);
  if (!p) return fail(std::move(p).error());
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
