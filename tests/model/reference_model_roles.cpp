// The reference model: custom roles (P6, R2) and API keys (P9).
#include "model/reference_model.hpp"
#include "model/reference_model_steps.hpp"

#include <algorithm>

namespace orgkit::model {

using namespace steps;

namespace {

bool is_policy_role(const std::string& name) {
  return name == "owner" || name == "admin" || name == "member" || name == "viewer";
}

// P6, R2: a custom role holds only what its creator holds, never what only the owner holds;
// the permissions as given, duplicates dropped. The first refused one is the answer.
std::optional<ErrorCode> grantable(const RoleDef& actor, const std::vector<std::string>& names,
                                   std::vector<std::string>& out) {
  for (const auto& name : names) {
    const int p = permission_index(name);
    if (p < 0) return ErrorCode::invalid_argument;
    if (p == org_delete || p == billing_manage || p == ownership_transfer) {
      return ErrorCode::permission_denied;
    }
    if (!holds(actor, p)) return ErrorCode::permission_denied;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return std::nullopt;
}

}  // namespace

int ReferenceModel::holders(int org, const std::string& role) const {
  const Org& o = state_.orgs.at(org);
  int n = static_cast<int>(std::count_if(o.members.begin(), o.members.end(),
                                         [&](const auto& m) { return m.second.role == role; }));
  for (const auto& [handle, key] : state_.keys) {
    if (key.org == org && !key.revoked && key.role == role) ++n;
  }
  for (const auto& [handle, inv] : state_.invitations) {
    if (inv.org == org && inv.state == Stored::pending && inv.role == role) ++n;  // expired too
  }
  return n;
}

void ReferenceModel::reassign(int org, const std::string& from, const std::string& to) {
  for (auto& [user, m] : state_.orgs.at(org).members) {
    if (m.role == from) m.role = to;
  }
  for (auto& [handle, key] : state_.keys) {
    if (key.org == org && !key.revoked && key.role == from) key.role = to;
  }
  for (auto& [handle, inv] : state_.invitations) {
    if (inv.org == org && inv.state == Stored::pending && inv.role == from) inv.role = to;
  }
}

Outcome ReferenceModel::create_role(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, roles_manage)) return fail(ErrorCode::permission_denied);
  if (is_policy_role(op.text)) return fail(ErrorCode::already_exists);
  std::vector<std::string> permissions;
  if (auto error = grantable(*role, op.perms, permissions)) return fail(*error);
  // Below its creator (peers only for owners), and never the owner's rank.
  const bool below = op.number < role->rank || (role->manages_peers && op.number == role->rank);
  if (!below || op.number >= 100) return fail(ErrorCode::permission_denied);
  Org& org = *live(op.org);
  if (org.roles.count(op.text) != 0) return fail(ErrorCode::already_exists);
  org.roles[op.text] = CustomRoleDef{op.number, std::move(permissions)};
  record(op.org, "role.created", op.actor);
  return ok();
}

Outcome ReferenceModel::update_role(const Op& op) {
  if (!op.alt.empty() && is_policy_role(op.alt)) return fail(ErrorCode::already_exists);
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, roles_manage)) return fail(ErrorCode::permission_denied);
  Org& org = *live(op.org);
  auto current = org.roles.find(op.text);
  if (current == org.roles.end()) return fail(ErrorCode::not_found);
  // Changing a role changes its holders: the rank rule for managing them (P4).
  if (!may_manage(*role, *find_role(org, op.text))) return fail(ErrorCode::permission_denied);
  CustomRoleDef next = current->second;
  const bool rename = !op.alt.empty() && op.alt != op.text;
  bool changed = rename;
  if (op.flag) {
    std::vector<std::string> permissions;
    if (auto error = grantable(*role, op.perms, permissions)) return fail(*error);
    if (permissions != next.permissions) {
      next.permissions = std::move(permissions);
      changed = true;
    }
  }
  if (!changed) return ok();
  if (rename && org.roles.count(op.alt) != 0) return fail(ErrorCode::already_exists);
  org.roles.erase(current);
  org.roles[rename ? op.alt : op.text] = next;
  if (rename) reassign(op.org, op.text, op.alt);  // its holders keep it under the new name
  record(op.org, "role.updated", op.actor);
  return ok();
}

Outcome ReferenceModel::delete_role(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, roles_manage)) return fail(ErrorCode::permission_denied);
  Org& org = *live(op.org);
  if (org.roles.count(op.text) == 0) return fail(ErrorCode::not_found);
  if (!may_manage(*role, *find_role(org, op.text))) return fail(ErrorCode::permission_denied);
  const int held = holders(op.org, op.text);
  std::optional<RoleDef> target;
  if (!op.alt.empty()) {
    if (op.alt == op.text) return fail(ErrorCode::invalid_argument);
    target = find_role(org, op.alt);
    if (!target) return fail(ErrorCode::not_found);
  }
  if (held > 0) {
    if (!target) return fail(ErrorCode::conflict);
    if (!may_grant(*role, *target) || target->owner) return fail(ErrorCode::permission_denied);
    reassign(op.org, op.text, target->name);
  }
  org.roles.erase(op.text);
  record(op.org, "role.deleted", op.actor);
  return ok();
}

Outcome ReferenceModel::create_key(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, api_keys_manage)) return fail(ErrorCode::permission_denied);
  auto granted = find_role(*live(op.org), op.role);
  if (!granted) return fail(ErrorCode::not_found);
  // A key acts with its own role, never above its creator's, never the owner's (P9).
  if (!may_grant(*role, *granted) || granted->owner) return fail(ErrorCode::permission_denied);
  Key key;
  key.org = op.org;
  key.name = "key";
  key.role = granted->name;
  if (op.number > 0) key.expires_at = state_.now + std::int64_t{op.number} * 60'000;
  state_.keys[op.id] = key;
  state_.issued_keys.insert(op.id);
  record(op.org, "api_key.created", op.actor);
  return ok("key=" + handle_text(op.id));
}

Outcome ReferenceModel::revoke_key(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, api_keys_manage)) return fail(ErrorCode::permission_denied);
  auto key = state_.keys.find(op.ref);
  if (key == state_.keys.end() || key->second.org != op.org) return fail(ErrorCode::not_found);
  auto held = find_role(*live(op.org), key->second.role);
  if (held && !may_grant(*role, *held)) return fail(ErrorCode::permission_denied);
  if (key->second.revoked) return fail(ErrorCode::revoked);
  key->second.revoked = true;
  record(op.org, "api_key.revoked", op.actor);
  return ok();
}

Outcome ReferenceModel::verify_key(const Op& op) const {
  auto key = state_.keys.find(op.ref);
  if (key == state_.keys.end()) return fail(ErrorCode::not_found);
  if (key->second.revoked) return fail(ErrorCode::revoked);
  if (key->second.expires_at && *key->second.expires_at <= state_.now) {
    return fail(ErrorCode::expired);
  }
  auto role = find_role(state_.orgs.at(key->second.org), key->second.role);
  if (!role) return fail(ErrorCode::conflict);
  std::string out = "org=" + handle_text(key->second.org) + " role=" + role->name + " [";
  bool first = true;
  for (int p = 0; p < permission_count; ++p) {
    // R2: the owner-reserved permissions never reach a key
    if (holds(*role, p) && p != org_delete && p != billing_manage && p != ownership_transfer) {
      out += (first ? "" : " ") + std::string(permission_name(p));
      first = false;
    }
  }
  return ok(out + "]");
}

}  // namespace orgkit::model
