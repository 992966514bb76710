// Access-token claims (P8): a user's memberships as a bounded, documented JSON object.
#include <nlohmann/json.hpp>

#include "service/core.hpp"
#include "service/use_cases.hpp"

namespace orgkit::detail {

Result<Claims> claims(Core& c, const Actor& actor, const ClaimsOptions& options) {
  ORGKIT_CHECK(validate_actor(actor));
  if (options.max_organizations < 1 || options.max_organizations > 1000) {
    return fail(Error::invalid("max_organizations", "must be 1-1000"));
  }
  ORGKIT_TRY(orgs, my_organizations(c, actor));  // the active organization first (O6)
  ORGKIT_TRY(tx, read(c));
  Claims out;
  out.subject = actor.id;
  out.tenant = actor.tenant;
  out.truncated = orgs.size() > options.max_organizations;
  out.include_permissions = options.include_permissions;
  for (const auto& mo : orgs) {
    if (out.orgs.size() == options.max_organizations) break;
    if (mo.active) out.active_org = mo.organization.id;
    ClaimsOrganization entry{mo.organization.id, mo.organization.slug, mo.role, {}};
    if (options.include_permissions) {
      ORGKIT_TRY(role, find_role(c, *tx, mo.organization.id, mo.role));
      for (std::size_t i = 0; role && i < c.policy.permission_names().size(); ++i) {
        if (role->permissions.test(i)) entry.permissions.push_back(c.policy.permission_names()[i]);
      }
    }
    out.orgs.push_back(std::move(entry));
  }
  return out;
}

}  // namespace orgkit::detail

namespace orgkit {

std::string Claims::to_json() const {
  // ordered_json: the documented key order, stable from one token to the next.
  nlohmann::ordered_json doc;
  doc["v"] = version;
  doc["sub"] = subject.value();
  doc["tenant"] = tenant.value();
  doc["active_org"] = active_org ? nlohmann::ordered_json(std::to_string(active_org->value()))
                                 : nlohmann::ordered_json(nullptr);
  doc["truncated"] = truncated;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& o : orgs) {
    nlohmann::ordered_json entry;
    entry["id"] = std::to_string(o.id.value());
    entry["slug"] = o.slug;
    entry["role"] = o.role;
    if (include_permissions) entry["permissions"] = o.permissions;
    list.push_back(std::move(entry));
  }
  doc["orgs"] = std::move(list);
  return doc.dump();
}

}  // namespace orgkit
