// Access-token claims (P8): a user's memberships as a bounded, documented JSON object.
#include <nlohmann/json.hpp>

#include "service/core.hpp"
#include "service/use_cases.hpp"

namespace orgkit::detail {

Result<std::string> claims(Core& c, const Actor& actor, const ClaimsOptions& options) {
  ORGKIT_CHECK(validate_actor(actor));
  if (options.max_organizations < 1 || options.max_organizations > 1000) {
    return fail(Error::invalid("max_organizations", "must be 1-1000"));
  }
  ORGKIT_TRY(orgs, my_organizations(c, actor));  // the active organization first (O6)
  ORGKIT_TRY(tx, read(c));
  // ordered_json: the documented key order, stable from one token to the next.
  nlohmann::ordered_json doc;
  doc["v"] = 1;
  doc["sub"] = actor.id.value();
  doc["tenant"] = actor.tenant.value();
  doc["active_org"] = nullptr;
  doc["truncated"] = orgs.size() > options.max_organizations;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& mo : orgs) {
    if (list.size() == options.max_organizations) break;
    if (mo.active) doc["active_org"] = std::to_string(mo.organization.id.value());
    nlohmann::ordered_json entry;
    entry["id"] = std::to_string(mo.organization.id.value());
    entry["slug"] = mo.organization.slug;
    entry["role"] = mo.role;
    if (options.include_permissions) {
      ORGKIT_TRY(role, find_role(c, *tx, mo.organization.id, mo.role));
      nlohmann::ordered_json perms = nlohmann::ordered_json::array();
      for (std::size_t i = 0; role && i < c.policy.permission_names().size(); ++i) {
        if (role->permissions.test(i)) perms.push_back(c.policy.permission_names()[i]);
      }
      entry["permissions"] = std::move(perms);
    }
    list.push_back(std::move(entry));
  }
  doc["orgs"] = std::move(list);
  return doc.dump();
}

}  // namespace orgkit::detail
