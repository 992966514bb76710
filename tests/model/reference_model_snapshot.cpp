// The reference model: what the library must show after a step (snapshot.hpp): each
// organization's rows, each user's claims and active organization (O6, P8), every key's
// verification (P9), and the answers to the check and authorize probes (E1, P3, P7, U3).
#include "model/reference_model.hpp"
#include "model/reference_model_steps.hpp"

#include <algorithm>

namespace orgkit::model {

using namespace steps;

// --- what the library must show --------------------------------------------------------

std::string ReferenceModel::claims_line(int org_handle, const std::string& role_name) const {
  const Org& org = state_.orgs.at(org_handle);
  std::string out = handle_text(org_handle) + " " + org.slug + " " + role_name + " [";
  auto role = find_role(org, role_name);
  bool first = true;
  for (int p = 0; role && p < permission_count; ++p) {
    if (holds(*role, p)) {
      out += (first ? "" : " ") + std::string(permission_name(p));
      first = false;
    }
  }
  return out + "]";
}

char ReferenceModel::answer(const Probe& probe) const {
  auto role = role_in(probe.actor, probe.org);
  const bool held = role && holds(*role, probe.permission);
  switch (probe.kind) {
    case Probe::Kind::check:
    case Probe::Kind::fresh_check:
      return held ? '1' : '0';
    case Probe::Kind::own:  // P7: the "all" half, or the "own" half on one's own resource
      return role && (holds(*role, resources_manage_all) || holds(*role, resources_manage_own))
                 ? '1'
                 : '0';
    case Probe::Kind::others:
      return role && holds(*role, resources_manage_all) ? '1' : '0';
    case Probe::Kind::authorize:
      return !role ? 'n' : held ? 'o' : 'd';
  }
  return '?';
}

Snapshot ReferenceModel::snapshot(const std::vector<Probe>& probes) const {
  Snapshot out;
  for (const auto& [handle, org] : state_.orgs) {
    if (!org.alive) continue;
    OrgRow row{org.tenant, org.name, org.slug, org.plan, org.personal, {}, {}, {}, {}, org.audit};
    for (const auto& [user, m] : org.members) row.members[user] = {m.role, m.email, m.department};
    for (const auto& [name, r] : org.roles) {
      row.roles[name] = {r.rank, {r.permissions.begin(), r.permissions.end()}};
    }
    out.orgs[handle] = std::move(row);
  }
  for (const auto& [handle, inv] : state_.invitations) {
    static const char* states[] = {"pending", "accepted", "declined", "revoked"};
    std::string state = states[static_cast<int>(inv.state)];
    if (inv.state == Stored::pending && inv.expires_at <= state_.now) state = "expired";  // I3
    out.orgs.at(inv.org).invitations[handle] = {inv.link ? "link" : "email",
                                                inv.email,
                                                inv.role,
                                                state,
                                                inv.department,
                                                inv.invited_by,
                                                inv.expires_at};
  }
  for (const auto& [handle, key] : state_.keys) {
    out.orgs.at(key.org).keys[handle] = {key.name, key.role, key.revoked, key.expires_at};
  }
  for (int actor = 0; actor < cast_size; ++actor) {
    const CastMember& who = cast(actor);
    if (!who.is_member()) continue;
    UserRow user;
    user.active = "none";
    auto active = state_.active.find({who.tenant, who.id});
    std::vector<int> mine;
    for (const auto& [handle, org] : state_.orgs) {
      if (org.alive && org.tenant == who.tenant && org.members.count(who.id) != 0) {
        mine.push_back(handle);
      }
    }
    if (active != state_.active.end() &&
        std::find(mine.begin(), mine.end(), active->second) != mine.end()) {
      user.active = handle_text(active->second);  // O6: first in the claims
      std::stable_partition(mine.begin(), mine.end(), [&](int h) { return h == active->second; });
    }
    user.claims_active = user.active;
    for (int h : mine)
      user.orgs.push_back(claims_line(h, state_.orgs.at(h).members.at(who.id).role));
    out.users[actor] = std::move(user);
  }
  for (int key : state_.issued_keys) {
    Op op;
    op.ref = key;
    out.verified_keys[key] = describe(verify_key(op));
  }
  out.probes = answers(probes);
  return out;
}

// I4: every member, by user id, then every pending and unexpired email invitation, newest
// first, those only for whoever may list invitations (members:invite).
std::string ReferenceModel::roster(int org_handle, int actor) const {
  auto role = role_in(actor, org_handle);
  if (!role) return "not_found";
  if (!holds(*role, members_read)) return "permission_denied";
  const Org& org = state_.orgs.at(org_handle);
  std::string out;
  for (const auto& [user, m] : org.members) out += "active " + user + " " + m.role + "; ";
  if (!holds(*role, members_invite)) return out;
  for (auto it = state_.invitations.rbegin(); it != state_.invitations.rend(); ++it) {
    const Invitation& inv = it->second;
    if (inv.org == org_handle && !inv.link && inv.state == Stored::pending &&
        inv.expires_at > state_.now) {
      out += "pending " + inv.email + " " + inv.role + " " + handle_text(it->first) + "; ";
    }
  }
  return out;
}

std::string ReferenceModel::answers(const std::vector<Probe>& probes) const {
  std::string out;
  out.reserve(probes.size());
  for (const auto& probe : probes) out += answer(probe);
  return out;
}

}  // namespace orgkit::model
