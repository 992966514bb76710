#include "model/library_runner.hpp"

#include "model/reference_model.hpp"

#include <type_traits>

namespace orgkit::model {

namespace {

// Ids and secrets the library never issued: what a handle of a missing op stands for.
constexpr std::int64_t unknown_id = 1'000'000'000;
const std::string unknown_token = "oki_" + std::string(43, 'A');
const std::string unknown_key = "okk_00000000000000aa_" + std::string(43, 'A');

LinkExpiry link_expiry(int n) {
  static const LinkExpiry all[] = {LinkExpiry::one_hour, LinkExpiry::one_day, LinkExpiry::two_days,
                                   LinkExpiry::seven_days};
  return all[n < 0 || n > 3 ? 0 : n];
}

// Whether a result carries a commit token (every mutation's Committed<T>, U1).
template <class T, class = void>
struct has_commit_token : std::false_type {};
template <class T>
struct has_commit_token<T, std::void_t<decltype(std::declval<T>().commit_token)>> : std::true_type {
};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

}  // namespace

Actor actor_of(int index) {
  const CastMember& c = cast(index);
  switch (c.kind) {
    case PrincipalKind::tenant_admin:
      return Actor::tenant_admin(TenantId(c.tenant), c.id);
    case PrincipalKind::host:
      return Actor::host(TenantId(c.tenant), c.id);
    case PrincipalKind::member:
      break;
  }
  return Actor{UserId(c.id), c.email(), display_of(c.id), TenantId(c.tenant)};
}

// --- handles ---------------------------------------------------------------------------

OrgId LibraryRunner::org(int handle) const {
  auto it = orgs_.find(handle);
  return it != orgs_.end() ? it->second : OrgId(unknown_id);
}

InvitationId LibraryRunner::invitation(int handle) const {
  auto it = invitations_.find(handle);
  return it != invitations_.end() ? it->second : InvitationId(unknown_id);
}

std::string LibraryRunner::token(int handle) const {
  if (handle < 0) return "not-a-token";
  auto it = tokens_.find(handle);
  return it != tokens_.end() ? it->second : unknown_token;
}

std::string LibraryRunner::handle_of(OrgId id) const {
  for (const auto& [handle, known] : orgs_) {
    if (known == id) return "#" + std::to_string(handle);
  }
  return "#?" + std::to_string(id.value());
}

std::string LibraryRunner::invitation_handle(InvitationId id) const {
  for (const auto& [handle, known] : invitations_) {
    if (known == id) return "#" + std::to_string(handle);
  }
  return "#?" + std::to_string(id.value());
}

void LibraryRunner::remember_org(int handle, OrgId id, const std::string& tenant) {
  orgs_[handle] = id;
  org_tenants_[handle] = tenant;
}

// --- running an op ---------------------------------------------------------------------

template <class T>
Outcome LibraryRunner::answer(const Result<T>& result) {
  if (!result) return Outcome{result.error().code, {}, {}};
  if constexpr (has_commit_token<T>::value) {
    note_token(result->commit_token);
  }
  return Outcome{};
}

void LibraryRunner::note_token(const CommitToken& token) {
  if (token < last_token_) {  // U1: a later commit never gets a smaller token
    violations_.push_back("commit token went backwards: " + token.to_string() + " after " +
                          last_token_.to_string());
  }
  if (last_token_ < token) last_token_ = token;
}

std::vector<std::string> LibraryRunner::take_violations() {
  std::vector<std::string> out;
  out.swap(violations_);
  return out;
}

Outcome LibraryRunner::apply(const Op& op) {
  switch (op.kind) {
    case OpKind::add_member:
    case OpKind::change_role:
    case OpKind::remove_member:
    case OpKind::bulk_change_roles:
    case OpKind::bulk_remove:
    case OpKind::set_department:
    case OpKind::find_member:
    case OpKind::get_membership:
      return members_op(op);
    case OpKind::invite:
    case OpKind::create_link:
    case OpKind::accept:
    case OpKind::decline:
    case OpKind::preview:
    case OpKind::resend:
    case OpKind::revoke_invitation:
      return invitation_op(op);
    case OpKind::create_role:
    case OpKind::update_role:
    case OpKind::delete_role:
    case OpKind::create_key:
    case OpKind::revoke_key:
    case OpKind::verify_key:
      return roles_and_keys_op(op);
    default:
      return run(op);
  }
}

Outcome LibraryRunner::run(const Op& op) {
  const Actor a = actor_of(op.actor);
  const std::string& tenant = cast(op.actor).tenant;
  switch (op.kind) {
    case OpKind::create_org: {
      NewOrganization spec;
      spec.name = op.text;
      spec.slug = op.alt;
      spec.plan = op.plan;
      if (!op.user.empty())
        spec.owner = NewOwner{UserId(op.user), email_of(op.user), display_of(op.user)};
      auto r = kit_.create_organization(a, spec);
      Outcome out = answer(r);
      if (r) {
        remember_org(op.id, r->id, tenant);
        out.value = "org=#" + std::to_string(op.id);
      }
      return out;
    }
    case OpKind::ensure_personal: {
      auto r = kit_.ensure_personal_organization(a);
      Outcome out = answer(r);
      if (r) {
        if (handle_of(r->id).rfind("#?", 0) == 0) remember_org(op.id, r->id, tenant);
        out.value = "org=" + handle_of(r->id);
      }
      return out;
    }
    case OpKind::update_org: {
      OrganizationUpdate update;
      update.name = op.text;
      return answer(kit_.update_organization(a, org(op.org), update));
    }
    case OpKind::delete_org:
      return answer(kit_.delete_organization(a, org(op.org)));
    case OpKind::set_active:
      return answer(kit_.set_active_organization(a, org(op.org)));
    case OpKind::leave:
      return answer(kit_.leave_organization(a, org(op.org)));
    case OpKind::transfer:
      return answer(kit_.transfer_ownership(a, org(op.org), UserId(op.user), op.role));
    case OpKind::set_plan:
      return answer(kit_.set_plan(a, org(op.org), op.plan));
    case OpKind::advance_clock:
      clock_.advance(std::chrono::minutes(op.number));
      return Outcome{};
    default:
      return Outcome{ErrorCode::not_supported, {}, "the runner does not know this op"};
  }
}

Outcome LibraryRunner::members_op(const Op& op) {
  const Actor a = actor_of(op.actor);
  const OrgId id = org(op.org);
  const UserId user(op.user);
  switch (op.kind) {
    case OpKind::add_member:
      return answer(
          kit_.add_member(a, id, {user, email_of(op.user), display_of(op.user), op.role}));
    case OpKind::change_role: {
      auto r = kit_.change_member_role(a, id, user, op.role);
      Outcome out = answer(r);
      if (r) out.value = "role=" + r->role;
      return out;
    }
    case OpKind::remove_member:
      return answer(kit_.remove_member(a, id, user));
    case OpKind::bulk_change_roles:
    case OpKind::bulk_remove: {
      Result<Committed<BulkResult>> r = fail(Error{});
      if (op.kind == OpKind::bulk_remove) {
        std::vector<UserId> users;
        for (const auto& row : op.rows) users.emplace_back(row.first);
        r = kit_.remove_members(a, id, users);
      } else {
        std::vector<MemberRoleChange> changes;
        for (const auto& [who, role] : op.rows) changes.push_back({UserId(who), role});
        r = kit_.change_member_roles(a, id, changes);
      }
      Outcome out = answer(r);
      if (r) {
        for (const auto& row : r->rows) {
          out.rows.push_back(row.error ? std::optional<ErrorCode>(row.error->code) : std::nullopt);
        }
      }
      return out;
    }
    case OpKind::set_department:
      return answer(kit_.set_member_department(a, id, user, op.text));
    case OpKind::get_membership: {
      auto r = kit_.get_membership(a, id, user);
      Outcome out = answer(r);
      if (r) out.value = "role=" + r->role;
      return out;
    }
    case OpKind::find_member: {
      auto r = kit_.find_member_by_email(a, id, op.text);
      Outcome out = answer(r);
      if (r) out.value = "user=" + r->user.value();
      return out;
    }
    default:
      return Outcome{ErrorCode::not_supported, {}, "the runner does not know this op"};
  }
}

Outcome LibraryRunner::invitation_op(const Op& op) {
  const Actor a = actor_of(op.actor);
  switch (op.kind) {
    case OpKind::invite: {
      InviteRequest request;
      request.email = op.text;
      request.role = op.role;
      request.department = op.alt;
      if (op.number > 0) request.expires_in = std::chrono::minutes(op.number);
      auto r = kit_.invite(a, org(op.org), request);
      Outcome out = answer(r);
      if (!r) return out;
      if (!r->refreshed) invitations_[op.id] = r->invitation.id;
      tokens_[op.id] = r->token;
      out.value = "invitation=" + invitation_handle(r->invitation.id) +
                  " refreshed=" + (r->refreshed ? "1" : "0");
      return out;
    }
    case OpKind::create_link: {
      auto r = kit_.create_invite_link(a, org(op.org), op.role, link_expiry(op.number));
      Outcome out = answer(r);
      if (!r) return out;
      invitations_[op.id] = r->invitation.id;
      tokens_[op.id] = r->token;
      out.value = "invitation=" + invitation_handle(r->invitation.id);
      return out;
    }
    case OpKind::accept: {
      auto r = kit_.accept_invitation(a, token(op.ref));
      Outcome out = answer(r);
      if (r) {
        out.value = "role=" + r->membership.role + " verified=" + (r->email_verified ? "1" : "0");
      }
      return out;
    }
    case OpKind::decline:
      return answer(kit_.decline_invitation(a, token(op.ref)));
    case OpKind::preview: {
      auto r = kit_.preview_invitation(token(op.ref), a.tenant);
      Outcome out = answer(r);
      if (r) out.value = "invitation=" + invitation_handle(r->id) + " role=" + r->role;
      return out;
    }
    case OpKind::resend: {
      auto r = kit_.resend_invitation(a, org(op.org), invitation(op.ref));
      Outcome out = answer(r);
      if (!r) return out;
      tokens_[op.id] = r->token;
      out.value = "invitation=" + invitation_handle(r->invitation.id);
      return out;
    }
    case OpKind::revoke_invitation:
      return answer(kit_.revoke_invitation(a, org(op.org), invitation(op.ref)));
    default:
      return Outcome{ErrorCode::not_supported, {}, "the runner does not know this op"};
  }
}

Outcome LibraryRunner::roles_and_keys_op(const Op& op) {
  const Actor a = actor_of(op.actor);
  const OrgId id = org(op.org);
  switch (op.kind) {
    case OpKind::create_role: {
      CustomRole role;
      role.name = op.text;
      role.rank = op.number;
      role.permissions = op.perms;
      return answer(kit_.create_role(a, id, role));
    }
    case OpKind::update_role: {
      CustomRoleUpdate update;
      if (!op.alt.empty()) update.name = op.alt;
      if (op.flag) update.permissions = op.perms;
      return answer(kit_.update_role(a, id, op.text, update));
    }
    case OpKind::delete_role: {
      std::optional<std::string> reassign;
      if (!op.alt.empty()) reassign = op.alt;
      return answer(kit_.delete_role(a, id, op.text, reassign));
    }
    case OpKind::create_key: {
      NewApiKey spec{"key", op.role, std::nullopt};
      if (op.number > 0) spec.expires_in = std::chrono::minutes(op.number);
      auto r = kit_.create_api_key(a, id, spec);
      Outcome out = answer(r);
      if (r) {
        keys_[op.id] = IssuedKey{r->key.id, r->secret};
        out.value = "key=#" + std::to_string(op.id);
      }
      return out;
    }
    case OpKind::revoke_key: {
      auto key = keys_.find(op.ref);
      return answer(
          kit_.revoke_api_key(a, id, key != keys_.end() ? key->second.id : ApiKeyId(unknown_id)));
    }
    case OpKind::verify_key: {
      auto key = keys_.find(op.ref);
      auto r = kit_.verify_api_key(key != keys_.end() ? key->second.secret : unknown_key);
      Outcome out = answer(r);
      if (r) {
        out.value = "org=" + handle_of(r->key.org) + " role=" + r->key.role + " [" +
                    joined(r->permissions) + "]";
      }
      return out;
    }
    default:
      return Outcome{ErrorCode::not_supported, {}, "the runner does not know this op"};
  }
}

// --- reading the state -----------------------------------------------------------------

void LibraryRunner::read_org(int handle, OrgId id, const std::string& tenant, Snapshot& out) {
  const Actor host = actor_of(host_of(tenant));
  auto o = kit_.get_organization(host, id);
  if (!o) {
    if (o.error().code != ErrorCode::not_found) {
      violations_.push_back("get_organization(#" + std::to_string(handle) +
                            "): " + to_string(o.error()));
    }
    return;
  }
  OrgRow row;
  row.tenant = o->tenant.value();
  row.name = o->name;
  row.slug = o->slug;
  row.plan = o->plan;
  row.personal = o->personal;
  auto fail_read = [&](const char* what, const Error& e) {
    violations_.push_back(std::string(what) + "(#" + std::to_string(handle) + "): " + to_string(e));
  };
  MemberQuery mq;
  mq.limit = 1000;
  if (auto members = kit_.list_members(host, id, mq)) {
    for (const auto& m : members->items) {
      row.members[m.user.value()] = {m.role, m.email, m.department};
    }
  } else {
    fail_read("list_members", members.error());
  }
  InvitationQuery iq;
  iq.limit = 1000;
  if (auto invitations = kit_.list_invitations(host, id, iq)) {
    for (const auto& i : invitations->items) {
      const std::string h = invitation_handle(i.id);
      const int key =
          h.rfind("#?", 0) == 0 ? -static_cast<int>(i.id.value()) : std::stoi(h.substr(1));
      row.invitations[key] = {std::string(to_string(i.kind)),  i.email,      i.role,
                              std::string(to_string(i.state)), i.department, i.invited_by.value(),
                              to_unix_ms(i.expires_at)};
    }
  } else {
    fail_read("list_invitations", invitations.error());
  }
  if (auto roles = kit_.list_roles(host, id)) {
    for (const auto& r : *roles) {
      if (r.custom) row.roles[r.name] = {r.rank, {r.permissions.begin(), r.permissions.end()}};
    }
  } else {
    fail_read("list_roles", roles.error());
  }
  if (auto keys = kit_.list_api_keys(host, id)) {
    for (const auto& k : *keys) {
      int key = -static_cast<int>(k.id.value());
      for (const auto& [h, issued] : keys_) {
        if (issued.id == k.id) key = h;
      }
      std::optional<std::int64_t> expires;
      if (k.expires_at) expires = to_unix_ms(*k.expires_at);
      row.keys[key] = {k.name, k.role, k.revoked_at.has_value(), expires};
    }
  } else {
    fail_read("list_api_keys", keys.error());
  }
  AuditQuery aq;
  aq.limit = 1000;
  if (auto events = kit_.list_audit_events(host, id, aq)) {
    for (auto e = events->items.rbegin(); e != events->items.rend(); ++e) {
      row.audit.push_back(e->action + " by " + e->actor.value());
    }
  } else {
    fail_read("list_audit_events", events.error());
  }
  out.orgs[handle] = std::move(row);
}

UserRow LibraryRunner::read_user(int actor) {
  const Actor a = actor_of(actor);
  UserRow row;
  auto active = kit_.active_organization(a);
  row.active = !active   ? "error " + to_string(active.error())
               : *active ? handle_of(**active)
                         : std::string("none");
  ClaimsOptions options;
  options.include_permissions = true;
  auto claims = kit_.claims(a, options);
  if (!claims) {
    row.claims_active = "error " + to_string(claims.error());
    return row;
  }
  row.claims_active = claims->active_org ? handle_of(*claims->active_org) : "none";
  for (const auto& o : claims->orgs) {
    row.orgs.push_back(handle_of(o.id) + " " + o.slug + " " + o.role + " [" +
                       joined(o.permissions) + "]");
  }
  return row;
}

std::string LibraryRunner::roster(int org_handle, int actor) {
  RosterQuery q;
  q.limit = 1000;
  auto page = kit_.list_roster(actor_of(actor), org(org_handle), q);
  if (!page) return std::string(to_string(page.error().code));
  std::string out;
  for (const auto& row : page->items) {
    if (row.status == RosterStatus::active) {
      out += "active " + (row.user ? row.user->value() : "?") + " " + row.role + "; ";
    } else {
      out += "pending " + row.email + " " + row.role + " " +
             (row.invitation ? invitation_handle(*row.invitation) : "#?") + "; ";
    }
  }
  return out;
}

char LibraryRunner::probe(const Probe& p) {
  const Actor a = actor_of(p.actor);
  const OrgId id = org(p.org);
  const std::string_view permission = permission_name(p.permission);
  Result<bool> r = false;
  switch (p.kind) {
    case Probe::Kind::check:
      r = kit_.check(a, id, permission);
      break;
    case Probe::Kind::fresh_check:
      r = kit_.check(a, id, permission, Consistency::fully_consistent());
      break;
    case Probe::Kind::own:
      r = kit_.check(a, id, permission, a.id);
      break;
    case Probe::Kind::others:
      r = kit_.check(a, id, permission, UserId("someone-else"));
      break;
    case Probe::Kind::authorize: {
      auto why = kit_.authorize(a, id, permission);
      if (why) return 'o';
      if (why.error().code == ErrorCode::permission_denied) return 'd';
      if (why.error().code == ErrorCode::not_found) return 'n';
      return 'E';
    }
  }
  return !r ? 'E' : *r ? '1' : '0';
}

Snapshot LibraryRunner::snapshot(const std::vector<Probe>& probes) {
  Snapshot out;
  for (const auto& [handle, id] : orgs_) read_org(handle, id, org_tenants_.at(handle), out);
  for (int actor = 0; actor < cast_size; ++actor) {
    if (cast(actor).is_member()) out.users[actor] = read_user(actor);
  }
  for (const auto& [handle, key] : keys_) {
    Op op;
    op.kind = OpKind::verify_key;
    op.ref = handle;
    out.verified_keys[handle] = describe(roles_and_keys_op(op));
  }
  out.probes.reserve(probes.size());
  for (const auto& p : probes) out.probes += probe(p);
  return out;
}

}  // namespace orgkit::model
