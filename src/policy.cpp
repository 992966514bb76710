// The policy builder validates names once, so checks never meet an unknown name (P2).
#include <orgkit/policy.hpp>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "validate.hpp"

namespace orgkit {

namespace {

PermissionPolicy build_standard() {
  namespace p = permissions;
  const std::vector<std::string> all = {
      std::string(p::org_update),          std::string(p::org_delete),
      std::string(p::billing_manage),      std::string(p::members_read),
      std::string(p::members_add),         std::string(p::members_invite),
      std::string(p::members_remove),      std::string(p::members_update_role),
      std::string(p::ownership_transfer),  std::string(p::roles_manage),
      std::string(p::api_keys_manage),     std::string(p::audit_read),
      std::string(p::resources_create),    std::string(p::resources_manage_own),
      std::string(p::resources_manage_all), std::string(p::resources_read)};
  PolicyBuilder b;
  for (const auto& name : all) b.permission(name);
  b.role({std::string(roles::owner), 100, all, true, true});
  b.role({std::string(roles::admin), 50,
          {std::string(p::org_update), std::string(p::members_read), std::string(p::members_add),
           std::string(p::members_invite), std::string(p::members_remove),
           std::string(p::members_update_role), std::string(p::roles_manage),
           std::string(p::api_keys_manage), std::string(p::audit_read),
           std::string(p::resources_create), std::string(p::resources_manage_own),
           std::string(p::resources_manage_all), std::string(p::resources_read)}});
  b.role({std::string(roles::member), 20,
          {std::string(p::members_read), std::string(p::resources_create),
           std::string(p::resources_manage_own), std::string(p::resources_read)}});
  b.role({std::string(roles::viewer), 10,
          {std::string(p::members_read), std::string(p::resources_read)}});
  b.ownership_rule(p::resources_manage_own, p::resources_manage_all);
  b.name("standard");
  auto built = b.build();
  // The standard policy is a constant of this file; a failure here is a programming error
  // that every test run would show at once.
  if (!built) std::abort();
  return std::move(*built);
}

}  // namespace

const PermissionPolicy& PermissionPolicy::standard() {
  static const PermissionPolicy policy = build_standard();
  return policy;
}

Result<Permission> PermissionPolicy::permission(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return Permission{static_cast<std::uint16_t>(i)};
  }
  return fail(Error::invalid("permission",
                             fmt::format("unknown permission '{}' (not in the policy)", name)));
}

std::string_view PermissionPolicy::permission_name(Permission p) const {
  return p.index < names_.size() ? std::string_view(names_[p.index]) : std::string_view();
}

const RoleDefinition* PermissionPolicy::find_role(std::string_view name) const noexcept {
  for (const auto& role : roles_) {
    if (role.name == name) return &role;
  }
  return nullptr;
}

const OwnershipRule* PermissionPolicy::ownership_rule_for(Permission p) const noexcept {
  for (const auto& rule : ownership_rules_) {
    if (rule.own.index == p.index || rule.all.index == p.index) return &rule;
  }
  return nullptr;
}

namespace {

bool listed(const std::optional<std::vector<std::string>>& list, std::string_view role) {
  if (!list) return true;
  for (const auto& r : *list) {
    if (r == role) return true;
  }
  return false;
}

}  // namespace

bool PermissionPolicy::role_change_allowed(std::string_view from, std::string_view to) const {
  if (!rules_.role_changes) return true;
  for (const auto& c : *rules_.role_changes) {
    if (c.from == from && c.to == to) return true;
  }
  return false;
}

bool PermissionPolicy::removal_allowed(std::string_view role) const {
  return listed(rules_.removable_roles, role);
}

bool PermissionPolicy::leaving_allowed(std::string_view role) const {
  return listed(rules_.leaving_roles, role);
}

PermissionSet PermissionPolicy::all_permissions() const {
  PermissionSet all;
  for (std::size_t i = 0; i < names_.size(); ++i) all.set(i);
  return all;
}

PolicyBuilder& PolicyBuilder::member_rules(MemberRules rules) {
  rules_ = std::move(rules);
  return *this;
}

PolicyBuilder& PolicyBuilder::name(std::string_view name) {
  name_ = std::string(name);
  return *this;
}

PolicyBuilder& PolicyBuilder::permissions(std::initializer_list<std::string_view> names) {
  for (auto n : names) names_.emplace_back(n);
  return *this;
}

PolicyBuilder& PolicyBuilder::permission(std::string_view name) {
  names_.emplace_back(name);
  return *this;
}

PolicyBuilder& PolicyBuilder::role(RoleSpec spec) {
  roles_.push_back(std::move(spec));
  return *this;
}

PolicyBuilder& PolicyBuilder::ownership_rule(std::string_view own, std::string_view all) {
  ownership_rules_.emplace_back(std::string(own), std::string(all));
  return *this;
}

PolicyBuilder PolicyBuilder::from(const PermissionPolicy& policy) {
  PolicyBuilder b;
  b.name_ = policy.name_;
  b.names_ = policy.names_;
  for (const RoleDefinition& role : policy.roles_) {
    RoleSpec spec{role.name, role.rank, {}, role.owner, role.manages_peers};
    for (std::size_t i = 0; i < policy.names_.size(); ++i) {
      if (role.permissions.test(i)) spec.permissions.push_back(policy.names_[i]);
    }
    spec.manages = role.manages;
    b.roles_.push_back(std::move(spec));
  }
  for (const OwnershipRule& rule : policy.ownership_rules_) {
    b.ownership_rules_.emplace_back(policy.names_[rule.own.index], policy.names_[rule.all.index]);
  }
  b.rules_ = policy.rules_;
  return b;
}

Result<PermissionPolicy> PolicyBuilder::build() const {
  PermissionPolicy policy;
  if (name_.empty() || name_.size() > 64) return fail(Error::invalid("name", "must be 1-64 characters"));
  for (char c : name_) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return fail(Error::invalid("name", "may contain only letters, digits, '_', '-' and '.'"));
  }
  policy.name_ = name_;
  if (names_.empty()) return fail(Error::invalid("permissions", "a policy needs permissions"));
  if (names_.size() > max_permissions) {
    return fail(Error::invalid("permissions", fmt::format("at most {} permissions, got {}",
                                                          max_permissions, names_.size())));
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const auto field = fmt::format("permissions[{}]", i);
    if (auto ok = validate::permission_name(field, names_[i]); !ok) return fail(ok.error());
    if (!seen.insert(names_[i]).second) {
      return fail(Error::invalid(field, fmt::format("duplicate permission '{}'", names_[i])));
    }
  }
  policy.names_ = names_;

  if (roles_.empty()) return fail(Error::invalid("roles", "a policy needs roles"));
  std::set<std::string> role_names;
  int owners = 0;
  for (std::size_t r = 0; r < roles_.size(); ++r) {
    const RoleSpec& spec = roles_[r];
    const auto field = fmt::format("roles[{}]", r);
    if (auto ok = validate::role_name(field + ".name", spec.name); !ok) return fail(ok.error());
    if (!role_names.insert(spec.name).second) {
      return fail(Error::invalid(field + ".name", fmt::format("duplicate role '{}'", spec.name)));
    }
    RoleDefinition def{spec.name, spec.rank, {}, spec.owner, spec.manages_peers, spec.manages};
    for (std::size_t i = 0; i < spec.permissions.size(); ++i) {
      auto p = policy.permission(spec.permissions[i]);
      if (!p) {
        return fail(Error::invalid(fmt::format("{}.permissions[{}]", field, i),
                                   fmt::format("unknown permission '{}'", spec.permissions[i])));
      }
      def.permissions.set(p->index);
    }
    if (spec.owner) ++owners;
    // O8: only an owner transfers ownership; a policy saying otherwise would let check() and
    // transfer_ownership() disagree, so it is refused here.
    if (auto t = policy.permission(permissions::ownership_transfer);
        t && !spec.owner && def.permissions.test(t->index)) {
      return fail(Error::invalid(field + ".permissions",
                                 "only the owner role may hold 'ownership:transfer'"));
    }
    policy.roles_.push_back(std::move(def));
  }
  if (owners != 1) {
    return fail(Error::invalid("roles", fmt::format("exactly one role must be the owner role, "
                                                    "found {}", owners)));
  }
  std::stable_sort(policy.roles_.begin(), policy.roles_.end(),
                   [](const RoleDefinition& a, const RoleDefinition& b) { return a.rank > b.rank; });
  for (std::size_t r = 0; r < policy.roles_.size(); ++r) {
    if (policy.roles_[r].owner) policy.owner_index_ = r;
  }
  if (policy.roles_.front().rank != policy.owner_role().rank) {
    return fail(Error::invalid("roles", "no role may outrank the owner role"));
  }
  // Only the owner role manages owners: another role at the owner's rank that manages its
  // peers could demote them.
  for (std::size_t r = 0; r < roles_.size(); ++r) {
    if (!roles_[r].owner && roles_[r].manages_peers &&
        roles_[r].rank >= policy.owner_role().rank) {
      return fail(Error::invalid(fmt::format("roles[{}].manages_peers", r),
                                 fmt::format("role '{}' has the owner role's rank, so managing "
                                             "its peers would let it manage owners; only the "
                                             "owner role may",
                                             roles_[r].name)));
    }
  }
  // What only the owner role holds stays with it: no custom role or key gets it.
  PermissionSet others;
  for (const auto& role : policy.roles_) {
    if (!role.owner) others |= role.permissions;
  }
  policy.owner_reserved_ = policy.owner_role().permissions & ~others;

  for (std::size_t i = 0; i < ownership_rules_.size(); ++i) {
    const auto field = fmt::format("ownership_rules[{}]", i);
    auto own = policy.permission(ownership_rules_[i].first);
    if (!own) return fail(Error::invalid(field + ".own", own.error().message));
    auto all = policy.permission(ownership_rules_[i].second);
    if (!all) return fail(Error::invalid(field + ".all", all.error().message));
    policy.ownership_rules_.push_back({*own, *all});
  }

  auto known_role = [&](const std::string& field, const std::string& role) -> Result<void> {
    if (policy.find_role(role) == nullptr) {
      return fail(Error::invalid(field, fmt::format("unknown role '{}'", role)));
    }
    return {};
  };
  for (std::size_t r = 0; r < roles_.size(); ++r) {
    if (!roles_[r].manages) continue;
    for (std::size_t i = 0; i < roles_[r].manages->size(); ++i) {
      const auto field = fmt::format("roles[{}].manages[{}]", r, i);
      if (auto ok = known_role(field, (*roles_[r].manages)[i]); !ok) return fail(ok.error());
    }
  }
  if (rules_.role_changes) {
    for (std::size_t i = 0; i < rules_.role_changes->size(); ++i) {
      const auto& c = (*rules_.role_changes)[i];
      const auto field = fmt::format("member_rules.role_changes[{}]", i);
      if (auto ok = known_role(field + ".from", c.from); !ok) return fail(ok.error());
      if (auto ok = known_role(field + ".to", c.to); !ok) return fail(ok.error());
    }
  }
  for (const auto& [list, label] : {std::pair{&rules_.removable_roles, "removable_roles"},
                                    std::pair{&rules_.leaving_roles, "leaving_roles"}}) {
    if (!*list) continue;
    for (std::size_t i = 0; i < (*list)->size(); ++i) {
      const auto field = fmt::format("member_rules.{}[{}]", label, i);
      if (auto ok = known_role(field, (**list)[i]); !ok) return fail(ok.error());
    }
  }
  policy.rules_ = rules_;
  return policy;
}

}  // namespace orgkit
