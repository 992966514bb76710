// The reference model: the standard policy, organizations and members (O1-O9, P1-P4, P8).
// Invitations are in reference_model_invitations.cpp, custom roles and keys in
// reference_model_roles.cpp. Each operation checks what docs/rules.md asks, in the order the
// library answers when several refusals apply at once (the documents rank only visibility
// first, R1; the rest of the order is the library's, and a different one is a finding to
// discuss, not a bug by itself).
#include "model/reference_model.hpp"
#include "model/reference_model_steps.hpp"

#include <algorithm>
#include <climits>

namespace orgkit::model {

using namespace steps;

namespace {

const char* const permission_names[permission_count] = {
    "org:update",         "org:delete",           "billing:manage",       "members:read",
    "members:add",        "members:invite",       "members:remove",       "members:update_role",
    "ownership:transfer", "roles:manage",         "api_keys:manage",      "audit:read",
    "resources:create",   "resources:manage_own", "resources:manage_all", "resources:read"};

constexpr Permissions bit(int p) {
  return Permissions{1} << p;
}
constexpr Permissions all_permissions = (Permissions{1} << permission_count) - 1;
// R2: what the owner alone holds in the standard policy.
constexpr Permissions owner_reserved =
    bit(org_delete) | bit(billing_manage) | bit(ownership_transfer);

// P1, P3: the standard matrix.
const std::vector<RoleDef>& policy_roles() {
  static const std::vector<RoleDef> roles = {
      {"owner", 100, all_permissions, true, true},
      {"admin", 50, all_permissions & ~owner_reserved, false, false},
      {"member", 20,
       bit(members_read) | bit(resources_create) | bit(resources_manage_own) | bit(resources_read),
       false, false},
      {"viewer", 10, bit(members_read) | bit(resources_read), false, false},
  };
  return roles;
}

const RoleDef* policy_role(const std::string& name) {
  for (const auto& r : policy_roles()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// U3: a tenant administrator or the host acts above every role, with every permission.
const RoleDef& administrator() {
  static const RoleDef role{"administrator", INT_MAX, all_permissions, true, true};
  return role;
}

// O1: the slug a name gives, as docs/rules.md describes it: lowercase letters and digits,
// anything else one hyphen, 2-48 characters.
std::string slug_from_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() < 2) out = out.empty() ? "org" : out + "-org";
  return out.substr(0, 48);
}

}  // namespace

const char* permission_name(int index) {
  return index >= 0 && index < permission_count ? permission_names[index] : "?";
}

int permission_index(const std::string& name) {
  for (int i = 0; i < permission_count; ++i) {
    if (name == permission_names[i]) return i;
  }
  return -1;
}

const std::vector<PlanDef>& plans() {
  static const std::vector<PlanDef> list = {
      {"team", true, std::nullopt}, {"pro", true, 4}, {"free", false, 3}};
  return list;
}

bool may_grant(const RoleDef& actor, const RoleDef& role) {
  return role.rank <= actor.rank && (role.permissions & ~actor.permissions) == 0 &&
         (!role.owner || actor.owner);
}

bool may_manage(const RoleDef& actor, const RoleDef& target) {
  return target.rank < actor.rank || (actor.manages_peers && target.rank == actor.rank);
}

std::string email_key(const std::string& email) {
  std::string out;
  for (char c : email) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// --- lookups ---------------------------------------------------------------------------

Org* ReferenceModel::live(int org) {
  auto it = state_.orgs.find(org);
  return it != state_.orgs.end() && it->second.alive ? &it->second : nullptr;
}

std::optional<RoleDef> ReferenceModel::find_role(const Org& org, const std::string& name) const {
  if (const RoleDef* r = policy_role(name)) return *r;
  auto it = org.roles.find(name);
  if (it == org.roles.end()) return std::nullopt;
  RoleDef def{name, it->second.rank, 0, false, false};
  for (const auto& p : it->second.permissions) {
    if (int i = permission_index(p); i >= 0) def.permissions |= bit(i);
  }
  def.permissions &= ~owner_reserved;  // R2, whatever was stored
  return def;
}

std::optional<RoleDef> ReferenceModel::role_in(int actor, int org) const {
  auto it = state_.orgs.find(org);
  if (it == state_.orgs.end() || !it->second.alive || it->second.tenant != cast(actor).tenant) {
    return std::nullopt;
  }
  if (!cast(actor).is_member()) return administrator();
  auto m = it->second.members.find(cast(actor).id);
  if (m == it->second.members.end()) return std::nullopt;
  auto role = find_role(it->second, m->second.role);
  // A member's role always exists: deleting a role that someone holds is refused or
  // reassigns them (P6).
  return role ? role : RoleDef{m->second.role, -1, 0, false, false};
}

bool ReferenceModel::slug_taken(const std::string& tenant, const std::string& slug) const {
  return std::any_of(state_.orgs.begin(), state_.orgs.end(), [&](const auto& o) {
    return o.second.alive && o.second.tenant == tenant && o.second.slug == slug;
  });
}

// O1: the name's slug, else -2 ... -5; past that the library draws a random suffix, which
// the model cannot predict ("*", never compared, never taken).
std::string ReferenceModel::free_slug(const std::string& tenant, const std::string& name) const {
  const std::string base = slug_from_name(name);
  for (int n = 1; n <= 5; ++n) {
    const std::string candidate = n == 1 ? base : base + "-" + std::to_string(n);
    if (!slug_taken(tenant, candidate)) return candidate;
  }
  return "*";
}

void ReferenceModel::record(int org, const char* action, int actor) {
  state_.orgs.at(org).audit.push_back(std::string(action) + " by " + cast(actor).id);
}

std::vector<int> ReferenceModel::org_handles() const {
  std::vector<int> out;
  for (const auto& [handle, org] : state_.orgs) out.push_back(handle);
  return out;
}

std::optional<int> ReferenceModel::seat_limit(const Org& org) const {
  for (const auto& p : plans()) {
    if (p.name == org.plan) return p.max_members;
  }
  return std::nullopt;
}

bool ReferenceModel::plan_allows_invitations(const Org& org) const {
  for (const auto& p : plans()) {
    if (p.name == org.plan) return p.invitations;
  }
  return true;
}

// --- the operations --------------------------------------------------------------------

Outcome ReferenceModel::apply(const Op& op) {
  switch (op.kind) {
    case OpKind::create_org:
      return create_org(op);
    case OpKind::ensure_personal:
      return ensure_personal(op);
    case OpKind::update_org:
      return update_org(op);
    case OpKind::delete_org:
      return delete_org(op);
    case OpKind::set_active:
      return set_active(op);
    case OpKind::leave:
      return leave(op);
    case OpKind::transfer:
      return transfer(op);
    case OpKind::add_member:
      return add_member(op);
    case OpKind::change_role:
      return change_role(op);
    case OpKind::remove_member:
      return remove_member(op);
    case OpKind::bulk_change_roles:
      return bulk_change_roles(op);
    case OpKind::bulk_remove:
      return bulk_remove(op);
    case OpKind::set_department:
      return set_department(op);
    case OpKind::get_membership:
      return get_membership(op);
    case OpKind::find_member:
      return find_member(op);
    case OpKind::set_plan:
      return set_plan(op);
    case OpKind::invite:
      return invite(op);
    case OpKind::create_link:
      return create_link(op);
    case OpKind::accept:
      return accept(op);
    case OpKind::decline:
      return decline(op);
    case OpKind::preview:
      return preview(op);
    case OpKind::resend:
      return resend(op);
    case OpKind::revoke_invitation:
      return revoke_invitation(op);
    case OpKind::create_role:
      return create_role(op);
    case OpKind::update_role:
      return update_role(op);
    case OpKind::delete_role:
      return delete_role(op);
    case OpKind::create_key:
      return create_key(op);
    case OpKind::revoke_key:
      return revoke_key(op);
    case OpKind::verify_key:
      return verify_key(op);
    case OpKind::advance_clock:
      state_.now += std::int64_t{op.number} * 60'000;
      return ok();
  }
  return fail(ErrorCode::not_supported);
}

Outcome ReferenceModel::create_org(const Op& op) {
  const CastMember& who = cast(op.actor);
  // An organization never exists without an owner: administrators name one (U3).
  std::string owner = who.id;
  if (!who.is_member()) {
    if (op.user.empty()) return fail(ErrorCode::invalid_argument);
    owner = op.user;
  } else if (!op.user.empty() && op.user != who.id) {
    return fail(ErrorCode::invalid_argument);
  }
  std::string plan = "team";
  if (!op.plan.empty()) {
    auto known = std::find_if(plans().begin(), plans().end(),
                              [&](const PlanDef& p) { return p.name == op.plan; });
    if (known == plans().end()) return fail(ErrorCode::not_found);
    plan = op.plan;
  }
  if (who.is_member()) {  // R4: members only; the personal organization does not count
    const auto created = std::count_if(state_.orgs.begin(), state_.orgs.end(), [&](const auto& o) {
      return o.second.alive && o.second.tenant == who.tenant && o.second.created_by == who.id &&
             !o.second.personal;
    });
    if (created >= max_organizations_per_user) return fail(ErrorCode::limit_exceeded);
  }
  std::string slug = op.alt;
  if (!slug.empty()) {
    if (slug_taken(who.tenant, slug)) return fail(ErrorCode::already_exists);
  } else {
    slug = free_slug(who.tenant, op.text);
  }
  Org org;
  org.tenant = who.tenant;
  org.name = op.text;
  org.slug = slug;
  org.plan = plan;
  org.created_by = who.id;
  org.members[owner] = Member{"owner", email_of(owner), ""};
  state_.orgs[op.id] = std::move(org);
  record(op.id, "organization.created", op.actor);
  return ok("org=" + handle_text(op.id));
}

Outcome ReferenceModel::ensure_personal(const Op& op) {
  const CastMember& who = cast(op.actor);
  if (!who.is_member()) return fail(ErrorCode::invalid_argument);
  for (const auto& [handle, org] : state_.orgs) {
    if (org.alive && org.personal && org.tenant == who.tenant && org.created_by == who.id) {
      return ok("org=" + handle_text(handle));
    }
  }
  Org org;  // O2: named after the account, the slug derived as for any name
  org.tenant = who.tenant;
  org.name = display_of(who.id);
  org.slug = free_slug(who.tenant, org.name);
  org.plan = "team";
  org.created_by = who.id;
  org.personal = true;
  org.members[who.id] = Member{"owner", who.email(), ""};
  state_.orgs[op.id] = std::move(org);
  record(op.id, "organization.created", op.actor);
  return ok("org=" + handle_text(op.id));
}

Outcome ReferenceModel::update_org(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, org_update)) return fail(ErrorCode::permission_denied);
  if (live(op.org)->name == op.text) return ok();  // nothing changed, nothing recorded
  live(op.org)->name = op.text;
  record(op.org, "organization.updated", op.actor);
  return ok();
}

Outcome ReferenceModel::delete_org(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, org_delete)) return fail(ErrorCode::permission_denied);
  live(op.org)->alive = false;  // O5: everything of it goes with it
  for (auto it = state_.invitations.begin(); it != state_.invitations.end();) {
    it = it->second.org == op.org ? state_.invitations.erase(it) : std::next(it);
  }
  for (auto it = state_.keys.begin(); it != state_.keys.end();) {
    it = it->second.org == op.org ? state_.keys.erase(it) : std::next(it);
  }
  for (auto it = state_.active.begin(); it != state_.active.end();) {
    it = it->second == op.org ? state_.active.erase(it) : std::next(it);
  }
  return ok();
}

Outcome ReferenceModel::set_active(const Op& op) {
  const CastMember& who = cast(op.actor);
  if (!who.is_member()) return fail(ErrorCode::invalid_argument);
  if (!role_in(op.actor, op.org)) return fail(ErrorCode::not_found);
  state_.active[{who.tenant, who.id}] = op.org;
  return ok();
}

std::optional<ErrorCode> ReferenceModel::leave_step(int actor, int org_handle) {
  const CastMember& who = cast(actor);
  if (!role_in(actor, org_handle)) return ErrorCode::not_found;
  Org& org = *live(org_handle);
  const std::string role = org.members.at(who.id).role;
  const auto owners = std::count_if(org.members.begin(), org.members.end(),
                                    [](const auto& m) { return m.second.role == "owner"; });
  if (role == "owner" && owners <= 1) return ErrorCode::conflict;  // O7
  org.members.erase(who.id);
  auto active = state_.active.find({who.tenant, who.id});
  if (active != state_.active.end() && active->second == org_handle) state_.active.erase(active);
  record(org_handle, "member.left", actor);
  return std::nullopt;
}

Outcome ReferenceModel::leave(const Op& op) {
  if (!cast(op.actor).is_member()) return fail(ErrorCode::invalid_argument);
  if (auto error = leave_step(op.actor, op.org)) return fail(*error);
  return ok();
}

Outcome ReferenceModel::transfer(const Op& op) {
  const CastMember& who = cast(op.actor);
  if (op.user == who.id) return fail(ErrorCode::invalid_argument);
  if (!who.is_member()) return fail(ErrorCode::invalid_argument);
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  // O8: only the owner role holds ownership:transfer, and only an owner transfers.
  if (!holds(*role, ownership_transfer) || !role->owner) return fail(ErrorCode::permission_denied);
  Org& org = *live(op.org);
  auto keep = find_role(org, op.role.empty() ? "admin" : op.role);
  if (!keep) return fail(ErrorCode::not_found);
  auto target = org.members.find(op.user);
  if (target == org.members.end()) return fail(ErrorCode::not_found);
  if (target->second.role == "owner") return fail(ErrorCode::conflict);
  target->second.role = "owner";
  org.members.at(who.id).role = keep->name;
  record(op.org, "ownership.transferred", op.actor);
  return ok();
}

Outcome ReferenceModel::add_member(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, members_add)) return fail(ErrorCode::permission_denied);
  Org& org = *live(op.org);
  auto granted = find_role(org, op.role);
  if (!granted) return fail(ErrorCode::not_found);
  // I7: a plan without invitations takes no members either, except from the host.
  if (cast(op.actor).kind != PrincipalKind::host && !plan_allows_invitations(org)) {
    return fail(ErrorCode::permission_denied);
  }
  if (org.personal) return fail(ErrorCode::conflict);  // O2
  if (!may_grant(*role, *granted)) return fail(ErrorCode::permission_denied);
  const bool member = org.members.count(op.user) != 0;
  auto limit = seat_limit(org);
  if (limit && static_cast<int>(org.members.size()) + 1 > *limit) {
    return fail(member ? ErrorCode::already_exists : ErrorCode::limit_exceeded);
  }
  if (member) return fail(ErrorCode::already_exists);
  org.members[op.user] = Member{granted->name, email_of(op.user), ""};
  record(op.org, "member.added", op.actor);
  return ok();
}

std::optional<ErrorCode> ReferenceModel::change_role_step(int actor, int org_handle,
                                                          const std::string& user,
                                                          const std::string& role_name) {
  auto role = role_in(actor, org_handle);
  if (!role) return ErrorCode::not_found;
  if (!holds(*role, members_update_role)) return ErrorCode::permission_denied;
  Org& org = *live(org_handle);
  auto granted = find_role(org, role_name);
  if (!granted) return ErrorCode::not_found;
  auto target = org.members.find(user);
  if (target == org.members.end()) return ErrorCode::not_found;
  auto current = find_role(org, target->second.role);
  if (current && !may_manage(*role, *current)) return ErrorCode::permission_denied;
  if (!may_grant(*role, *granted)) return ErrorCode::permission_denied;
  if (target->second.role == granted->name) return std::nullopt;
  const auto owners = std::count_if(org.members.begin(), org.members.end(),
                                    [](const auto& m) { return m.second.role == "owner"; });
  if (target->second.role == "owner" && owners <= 1) return ErrorCode::conflict;  // P4, O7
  target->second.role = granted->name;
  record(org_handle, "member.role_changed", actor);
  return std::nullopt;
}

Outcome ReferenceModel::change_role(const Op& op) {
  if (auto error = change_role_step(op.actor, op.org, op.user, op.role)) return fail(*error);
  return ok("role=" + live(op.org)->members.at(op.user).role);
}

std::optional<ErrorCode> ReferenceModel::remove_step(int actor, int org_handle,
                                                     const std::string& user) {
  const CastMember& who = cast(actor);
  if (who.is_member() && user == who.id) return leave_step(actor, org_handle);
  auto role = role_in(actor, org_handle);
  if (!role) return ErrorCode::not_found;
  if (!holds(*role, members_remove)) return ErrorCode::permission_denied;
  Org& org = *live(org_handle);
  auto target = org.members.find(user);
  if (target == org.members.end()) return ErrorCode::not_found;
  auto current = find_role(org, target->second.role);
  if (current && !may_manage(*role, *current)) return ErrorCode::permission_denied;
  const auto owners = std::count_if(org.members.begin(), org.members.end(),
                                    [](const auto& m) { return m.second.role == "owner"; });
  if (target->second.role == "owner" && owners <= 1) return ErrorCode::conflict;
  org.members.erase(target);
  record(org_handle, "member.removed", actor);
  return std::nullopt;
}

Outcome ReferenceModel::remove_member(const Op& op) {
  if (auto error = remove_step(op.actor, op.org, op.user)) return fail(*error);
  return ok();
}

Outcome ReferenceModel::bulk_change_roles(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, members_update_role)) return fail(ErrorCode::permission_denied);
  Outcome out = ok();
  for (const auto& [user, granted] : op.rows) {  // each row sees the rows before it
    out.rows.push_back(change_role_step(op.actor, op.org, user, granted));
  }
  return out;
}

Outcome ReferenceModel::bulk_remove(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, members_remove)) return fail(ErrorCode::permission_denied);
  Outcome out = ok();
  for (const auto& row : op.rows) out.rows.push_back(remove_step(op.actor, op.org, row.first));
  return out;
}

Outcome ReferenceModel::set_department(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, members_update_role)) return fail(ErrorCode::permission_denied);
  Org& org = *live(op.org);
  auto target = org.members.find(op.user);
  if (target == org.members.end()) return fail(ErrorCode::not_found);
  const bool self = cast(op.actor).is_member() && op.user == cast(op.actor).id;
  auto current = find_role(org, target->second.role);
  if (!self && current && !may_manage(*role, *current)) return fail(ErrorCode::permission_denied);
  if (target->second.department == op.text) return ok();
  target->second.department = op.text;
  record(op.org, "member.department_changed", op.actor);
  return ok();
}

Outcome ReferenceModel::get_membership(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  const Org& org = *live(op.org);
  const bool self = cast(op.actor).is_member() && op.user == cast(op.actor).id;
  if (!self && !holds(*role, members_read)) return fail(ErrorCode::permission_denied);
  auto target = org.members.find(op.user);
  if (target == org.members.end()) return fail(ErrorCode::not_found);
  return ok("role=" + target->second.role);
}

// P10: found by address, trimmed and ignoring case; one's own without members:read.
Outcome ReferenceModel::find_member(const Op& op) {
  if (op.text.find('@') == std::string::npos) return fail(ErrorCode::invalid_argument);
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  const Org& org = *live(op.org);
  const std::string key = email_key(op.text);
  const CastMember& who = cast(op.actor);
  if (who.is_member() && email_key(org.members.at(who.id).email) == key) {
    return ok("user=" + who.id);
  }
  if (!holds(*role, members_read)) return fail(ErrorCode::permission_denied);
  for (const auto& [user, m] : org.members) {
    if (email_key(m.email) == key) return ok("user=" + user);
  }
  return fail(ErrorCode::not_found);
}

Outcome ReferenceModel::set_plan(const Op& op) {
  auto plan = std::find_if(plans().begin(), plans().end(),
                           [&](const PlanDef& p) { return p.name == op.plan; });
  if (plan == plans().end()) return fail(ErrorCode::not_found);
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, billing_manage)) return fail(ErrorCode::permission_denied);
  Org& org = *live(op.org);
  if (org.plan == plan->name) return ok();
  if (plan->max_members && static_cast<int>(org.members.size()) > *plan->max_members) {
    return fail(ErrorCode::limit_exceeded);
  }
  org.plan = plan->name;
  record(op.org, "organization.plan_changed", op.actor);
  return ok();
}

}  // namespace orgkit::model
