// Custom roles per organization (P6): create, rename, change permissions, delete, list.
#include <algorithm>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/unit_of_work.hpp"
#include "service/use_cases.hpp"
#include "validate.hpp"

namespace orgkit::detail {

namespace {

constexpr int max_custom_roles = 100;

}  // namespace

// A custom role may never hold a permission its creator does not hold, nor rank above them.
Result<std::vector<std::string>> grantable_permissions(const Core& s,
                                                       const RoleDefinition& actor_role,
                                                       const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto field = fmt::format("permissions[{}]", i);
    auto p = s.policy.permission(names[i]);
    if (!p) {
      return fail(Error::invalid(field, fmt::format("unknown permission '{}'", names[i])));
    }
    if (s.policy.owner_reserved().test(p->index)) {
      return fail(Error::denied(field, fmt::format("'{}' is reserved for the {} role; a custom "
                                                   "role cannot hold it",
                                                   names[i], s.policy.owner_role().name)));
    }
    if (!PermissionPolicy::holds(actor_role, *p)) {
      return fail(Error::denied(field, fmt::format("role '{}' does not hold '{}', so it cannot "
                                                   "give it to a role",
                                                   actor_role.name, names[i])));
    }
    if (std::find(out.begin(), out.end(), names[i]) == out.end()) out.push_back(names[i]);
  }
  return out;
}

Result<CustomRole> managed_custom_role(const Core& s, StorageTransaction& tx, OrgId org,
                                       std::string_view name, const RoleDefinition& actor_role,
                                       std::string_view verb) {
  ORGKIT_TRY(role, tx.find_custom_role(org, name));
  if (!role) {
    return fail(
        Error::not_found("role", fmt::format("the organization has no custom role '{}'", name)));
  }
  // Changing or deleting a role changes what its holders may do: the same rule as changing
  // their role directly (P4: lower ranks only, peers only for manages_peers).
  if (!PermissionPolicy::may_manage(actor_role, custom_definition(s, *role))) {
    return fail(Error::denied("role", fmt::format("role '{}' may not {} '{}', which does not "
                                                  "rank below it",
                                                  actor_role.name, verb, role->name)));
  }
  return std::move(*role);
}

Result<Committed<CustomRole>> create_role(Core& c, const Actor& actor, OrgId org,
                                          const CustomRole& spec) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::role_name("name", spec.name));
  return c.write<CustomRole>(actor, scope_of(actor, org), [&](Work& w) -> Result<CustomRole> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::roles_manage, "manage roles"));
    if (c.policy.find_role(spec.name) != nullptr) {
      return fail(Error::exists("name", fmt::format("'{}' is a role of the policy", spec.name)));
    }
    ORGKIT_TRY(perms, grantable_permissions(c, *a.role, spec.permissions));
    // A role its creator could not manage afterwards would be a trap: below the creator's rank
    // (their own rank only for roles that manage peers), and never the owner's.
    const bool below =
        spec.rank < a.role->rank || (a.role->manages_peers && spec.rank == a.role->rank);
    if (!below || spec.rank >= c.policy.owner_role().rank) {
      return fail(Error::denied("rank", fmt::format("rank {} is not below role '{}' (rank {}), so "
                                                    "it could not manage the role",
                                                    spec.rank, a.role->name, a.role->rank)));
    }
    ORGKIT_TRY(existing, tx->list_custom_roles(org));
    if (existing.size() >= static_cast<std::size_t>(max_custom_roles)) {
      return fail(Error::limit(
          "name", fmt::format("an organization has at most {} custom roles", max_custom_roles)));
    }
    CustomRole role{spec.name, spec.rank, std::move(perms), c.clock->now()};
    ORGKIT_CHECK(tx->insert_custom_role(org, role));
    ORGKIT_CHECK(audit(
        c, *tx, actor, org, "role.created", role.name,
        {{"rank", std::nullopt, std::to_string(role.rank)},
         {"permissions", std::nullopt, fmt::format("{}", fmt::join(role.permissions, " "))}}));
    return role;
  });
}

Result<Committed<CustomRole>> update_role(Core& c, const Actor& actor, OrgId org,
                                          std::string_view name, const CustomRoleUpdate& update) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::role_name("role", name));
  if (update.name) {
    ORGKIT_CHECK(validate::role_name("name", *update.name));
    if (c.policy.find_role(*update.name) != nullptr) {
      return fail(Error::exists("name", fmt::format("'{}' is a role of the policy", *update.name)));
    }
  }
  return c.write<CustomRole>(actor, scope_of(actor, org), [&](Work& w) -> Result<CustomRole> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::roles_manage, "manage roles"));
    ORGKIT_TRY(current, managed_custom_role(c, *tx, org, name, *a.role, "change"));
    CustomRole next = current;
    std::vector<FieldChange> changes;
    if (update.name && *update.name != current.name) {
      next.name = *update.name;
      changes.push_back({"name", current.name, next.name});
    }
    if (update.permissions) {
      ORGKIT_TRY(perms, grantable_permissions(c, *a.role, *update.permissions));
      if (perms != current.permissions) {
        changes.push_back({"permissions", fmt::format("{}", fmt::join(current.permissions, " ")),
                           fmt::format("{}", fmt::join(perms, " "))});
        next.permissions = std::move(perms);
      }
    }
    if (changes.empty()) return next;
    ORGKIT_CHECK(tx->update_custom_role(org, current.name, next));
    if (next.name != current.name) {
      ORGKIT_TRY(moved, tx->reassign_role(org, current.name, next.name));
      (void)moved;
    }
    ORGKIT_CHECK(audit(c, *tx, actor, org, "role.updated", next.name, std::move(changes)));
    return next;
  });
}

Result<Committed<void>> delete_role(Core& c, const Actor& actor, OrgId org, std::string_view name,
                                    std::optional<std::string> reassign_to) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::role_name("role", name));
  if (reassign_to) ORGKIT_CHECK(validate::role_name("reassign_to", *reassign_to));
  return c.write<void>(actor, scope_of(actor, org), [&](Work& w) -> Result<void> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::roles_manage, "manage roles"));
    ORGKIT_TRY(current, managed_custom_role(c, *tx, org, name, *a.role, "delete"));
    ORGKIT_TRY(holders, tx->count_role_holders(org, name));
    std::vector<FieldChange> changes{{"rank", std::to_string(current.rank), std::nullopt}};
    // A named reassignment is checked whether or not anyone holds the role now: an unknown
    // name is the same not_found in every call.
    RoleRef target;
    if (reassign_to) {
      if (*reassign_to == name) {
        return fail(Error::invalid("reassign_to", "must be another role"));
      }
      ORGKIT_TRY(found, requested_role(c, *tx, org, "reassign_to", *reassign_to));
      target = std::move(found);
    }
    if (holders > 0) {
      if (!target) {
        return fail(Error::conflict("role", fmt::format("{} members, API keys or pending "
                                                        "invitations hold '{}'; reassign them "
                                                        "to another role first",
                                                        holders, name)));
      }
      if (!PermissionPolicy::may_grant(*a.role, *target) || target->owner) {
        return fail(Error::denied("reassign_to", fmt::format("role '{}' may not grant '{}'",
                                                             a.role->name, target->name)));
      }
      if (!c.policy.role_change_allowed(name, target->name)) {
        return fail(Error::denied("reassign_to", fmt::format("the policy does not allow changing "
                                                             "a role from '{}' to '{}'",
                                                             name, target->name)));
      }
      ORGKIT_TRY(moved, tx->reassign_role(org, name, target->name));
      changes.push_back({"reassigned_to", std::nullopt, target->name});
      changes.push_back({"members_moved", std::nullopt, std::to_string(moved)});
    }
    ORGKIT_CHECK(tx->delete_custom_role(org, name));
    ORGKIT_CHECK(audit(c, *tx, actor, org, "role.deleted", std::string(name), std::move(changes)));
    return {};
  });
}

Result<std::vector<RoleInfo>> list_roles(Core& c, const Actor& actor, OrgId org) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::members_read, "list roles"));
  (void)a;
  std::vector<RoleInfo> out;
  for (const auto& r : c.policy.roles()) {
    RoleInfo info{r.name, r.rank, {}, false};
    for (std::size_t i = 0; i < c.policy.permission_names().size(); ++i) {
      if (r.permissions.test(i)) info.permissions.push_back(c.policy.permission_names()[i]);
    }
    out.push_back(std::move(info));
  }
  ORGKIT_TRY(custom, tx->list_custom_roles(org));
  for (auto& r : custom) out.push_back({std::move(r.name), r.rank, std::move(r.permissions), true});
  return out;
}

}  // namespace orgkit::detail
