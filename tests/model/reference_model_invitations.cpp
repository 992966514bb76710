// The reference model: invitations and links (I1-I5, I7, I8, R3, O2).
#include "model/reference_model.hpp"
#include "model/reference_model_steps.hpp"

#include <algorithm>

namespace orgkit::model {

using namespace steps;

namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t hour_ms = 60 * minute_ms;

// I5: a link lasts 1 hour, 24 hours, 48 hours or 7 days.
std::int64_t link_lifetime(int expiry) {
  static const std::int64_t lifetimes[] = {hour_ms, 24 * hour_ms, 48 * hour_ms, 168 * hour_ms};
  return lifetimes[std::clamp(expiry, 0, 3)];
}

bool well_formed_email(const std::string& email) {
  const auto at = email.find('@');
  return at != std::string::npos && at > 0 && email.find('@', at + 1) == std::string::npos &&
         email.find('.', at) != std::string::npos;
}

}  // namespace

bool ReferenceModel::inviter_lost_authority(const Invitation& inv, const RoleDef& role) const {
  if (!inv.invited_by_member) return false;  // administrators and the host keep theirs
  const Org& org = state_.orgs.at(inv.org);
  auto inviter = org.members.find(inv.invited_by);
  if (inviter == org.members.end()) return true;
  auto held = find_role(org, inviter->second.role);
  return !held || !holds(*held, members_invite) || !may_grant(*held, role);
}

std::optional<ErrorCode> ReferenceModel::open_token(int actor, int token, bool check_email,
                                                    int& invitation) {
  if (token < 0) return ErrorCode::invalid_argument;
  auto t = state_.tokens.find(token);
  if (t == state_.tokens.end()) return ErrorCode::not_found;
  auto found = state_.invitations.find(t->second);
  // A resent or refreshed invitation's old token, a deleted organization's, another
  // tenant's: as unknown as one never issued (I4, O5, O9).
  if (found == state_.invitations.end() || found->second.token != token ||
      state_.orgs.at(found->second.org).tenant != cast(actor).tenant) {
    return ErrorCode::not_found;
  }
  const Invitation& inv = found->second;
  switch (inv.state) {  // I5: each closed state its own error
    case Stored::accepted:
      return ErrorCode::already_used;
    case Stored::revoked:
      return ErrorCode::revoked;
    case Stored::declined:
      return ErrorCode::conflict;
    case Stored::pending:
      break;
  }
  if (inv.expires_at <= state_.now) return ErrorCode::expired;
  if (check_email && !inv.link && email_key(cast(actor).email()) != email_key(inv.email)) {
    return ErrorCode::permission_denied;  // I2
  }
  invitation = found->first;
  return std::nullopt;
}

Outcome ReferenceModel::invite(const Op& op) {
  if (!well_formed_email(op.text)) return fail(ErrorCode::invalid_argument);
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, members_invite)) return fail(ErrorCode::permission_denied);
  Org& org = *live(op.org);
  if (org.personal) return fail(ErrorCode::conflict);                            // O2
  if (!plan_allows_invitations(org)) return fail(ErrorCode::permission_denied);  // I7
  auto granted = find_role(org, op.role);
  if (!granted) return fail(ErrorCode::not_found);
  if (!may_grant(*role, *granted)) return fail(ErrorCode::permission_denied);  // P4
  const std::string key = email_key(op.text);
  for (const auto& [user, m] : org.members) {
    if (email_key(m.email) == key) return fail(ErrorCode::already_exists);  // I8
  }
  Invitation* previous = nullptr;
  int previous_handle = 0;
  for (auto& [handle, inv] : state_.invitations) {
    if (inv.org == op.org && !inv.link && inv.state == Stored::pending &&
        email_key(inv.email) == key) {
      previous = &inv;
      previous_handle = handle;
    }
  }
  // A new invitation, or one renewing an expired one, needs a seat (I7; pending invitations
  // hold none in the harness's configuration).
  const bool takes_seat = previous == nullptr || previous->expires_at <= state_.now;
  auto limit = seat_limit(org);
  if (takes_seat && limit && static_cast<int>(org.members.size()) + 1 > *limit) {
    return fail(ErrorCode::limit_exceeded);
  }
  if (previous != nullptr) {  // I8: nobody overwrites an invitation they could not send
    auto previous_role = find_role(org, previous->role);
    if (previous_role && !may_grant(*role, *previous_role)) {
      return fail(ErrorCode::permission_denied);
    }
  }
  const std::int64_t lifetime = op.number > 0 ? op.number * minute_ms : default_email_expiry_ms;
  Invitation fresh;
  fresh.org = op.org;
  fresh.email = op.text;
  if (previous != nullptr) fresh = *previous;  // renewed in place: same id, same address
  fresh.role = granted->name;
  fresh.department = op.alt;
  fresh.invited_by = cast(op.actor).id;
  fresh.invited_by_member = cast(op.actor).is_member();
  fresh.created_at = state_.now;
  fresh.expires_at = state_.now + lifetime;
  fresh.token = op.id;
  const int handle = previous != nullptr ? previous_handle : op.id;
  state_.invitations[handle] = fresh;
  state_.tokens[op.id] = handle;
  record(op.org, previous != nullptr ? "invitation.refreshed" : "invitation.created", op.actor);
  return ok("invitation=" + handle_text(handle) + " refreshed=" + (previous ? "1" : "0"));
}

Outcome ReferenceModel::create_link(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, members_invite)) return fail(ErrorCode::permission_denied);
  Org& org = *live(op.org);
  if (org.personal) return fail(ErrorCode::conflict);
  if (!plan_allows_invitations(org)) return fail(ErrorCode::permission_denied);
  auto granted = find_role(org, op.role);
  if (!granted) return fail(ErrorCode::not_found);
  if (!may_grant(*role, *granted)) return fail(ErrorCode::permission_denied);
  auto limit = seat_limit(org);
  if (limit && static_cast<int>(org.members.size()) + 1 > *limit) {
    return fail(ErrorCode::limit_exceeded);
  }
  Invitation link;
  link.org = op.org;
  link.link = true;
  link.role = granted->name;
  link.invited_by = cast(op.actor).id;
  link.invited_by_member = cast(op.actor).is_member();
  link.created_at = state_.now;
  link.expires_at = state_.now + link_lifetime(op.number);
  link.token = op.id;
  state_.invitations[op.id] = link;
  state_.tokens[op.id] = op.id;
  record(op.org, "invitation.link_created", op.actor);
  return ok("invitation=" + handle_text(op.id));
}

Outcome ReferenceModel::accept(const Op& op) {
  const CastMember& who = cast(op.actor);
  if (!who.is_member()) return fail(ErrorCode::invalid_argument);
  int handle = 0;
  if (auto error = open_token(op.actor, op.ref, true, handle)) return fail(*error);
  Invitation& inv = state_.invitations.at(handle);
  Org& org = *live(inv.org);
  if (!plan_allows_invitations(org)) return fail(ErrorCode::permission_denied);  // I7
  auto role = find_role(org, inv.role);
  if (!role) return fail(ErrorCode::conflict);
  if (org.members.count(who.id) != 0) return fail(ErrorCode::already_exists);
  if (inviter_lost_authority(inv, *role)) {
    // R3: refused; the invitation closes as revoked, with its reason (README, service.hpp).
    inv.state = Stored::revoked;
    record(inv.org, "invitation.revoked", op.actor);  // committed, though the accept fails
    return fail(ErrorCode::revoked);
  }
  auto limit = seat_limit(org);
  if (limit && static_cast<int>(org.members.size()) + 1 > *limit) {
    return fail(ErrorCode::limit_exceeded);
  }
  inv.state = Stored::accepted;
  org.members[who.id] = Member{role->name, who.email(), inv.department};
  record(inv.org, "invitation.accepted", op.actor);
  return ok("role=" + role->name + " verified=" + (inv.link ? "0" : "1"));
}

Outcome ReferenceModel::decline(const Op& op) {
  if (!cast(op.actor).is_member()) return fail(ErrorCode::invalid_argument);
  int handle = 0;
  if (auto error = open_token(op.actor, op.ref, true, handle)) return fail(*error);
  Invitation& inv = state_.invitations.at(handle);
  if (inv.link) return fail(ErrorCode::conflict);  // I4: a link is left unused instead
  inv.state = Stored::declined;
  record(inv.org, "invitation.declined", op.actor);
  return ok();
}

Outcome ReferenceModel::preview(const Op& op) {
  int handle = 0;  // accepting's checks, less the address, and nothing written
  if (auto error = open_token(op.actor, op.ref, false, handle)) return fail(*error);
  const Invitation& inv = state_.invitations.at(handle);
  const Org& org = state_.orgs.at(inv.org);
  if (!plan_allows_invitations(org)) return fail(ErrorCode::permission_denied);
  auto role = find_role(org, inv.role);
  if (!role) return fail(ErrorCode::conflict);
  if (inviter_lost_authority(inv, *role)) return fail(ErrorCode::revoked);
  return ok("invitation=" + handle_text(handle) + " role=" + inv.role);
}

Outcome ReferenceModel::resend(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, members_invite)) return fail(ErrorCode::permission_denied);
  auto found = state_.invitations.find(op.ref);
  if (found == state_.invitations.end() || found->second.org != op.org) {
    return fail(ErrorCode::not_found);
  }
  Invitation& inv = found->second;
  Org& org = *live(op.org);
  auto invited = find_role(org, inv.role);
  if (invited && !may_grant(*role, *invited)) return fail(ErrorCode::permission_denied);
  if (inv.state == Stored::revoked) return fail(ErrorCode::revoked);
  if (inv.state != Stored::pending) return fail(ErrorCode::conflict);
  if (inv.link) return fail(ErrorCode::conflict);
  if (!plan_allows_invitations(org)) return fail(ErrorCode::permission_denied);
  for (const auto& [user, m] : org.members) {
    if (email_key(m.email) == email_key(inv.email)) return fail(ErrorCode::already_exists);
  }
  auto limit = seat_limit(org);
  if (inv.expires_at <= state_.now && limit && static_cast<int>(org.members.size()) + 1 > *limit) {
    return fail(ErrorCode::limit_exceeded);
  }
  // I4: a new token and the same lifetime, from now; the old token stops working.
  const std::int64_t lifetime = inv.expires_at - inv.created_at;
  inv.created_at = state_.now;
  inv.expires_at = state_.now + lifetime;
  inv.token = op.id;
  state_.tokens[op.id] = found->first;
  record(op.org, "invitation.resent", op.actor);
  return ok("invitation=" + handle_text(found->first));
}

Outcome ReferenceModel::revoke_invitation(const Op& op) {
  auto role = role_in(op.actor, op.org);
  if (!role) return fail(ErrorCode::not_found);
  if (!holds(*role, members_invite)) return fail(ErrorCode::permission_denied);
  auto found = state_.invitations.find(op.ref);
  if (found == state_.invitations.end() || found->second.org != op.org) {
    return fail(ErrorCode::not_found);
  }
  Invitation& inv = found->second;
  auto invited = find_role(*live(op.org), inv.role);
  if (invited && !may_grant(*role, *invited)) return fail(ErrorCode::permission_denied);
  if (inv.state == Stored::revoked) return fail(ErrorCode::revoked);
  if (inv.state != Stored::pending) return fail(ErrorCode::conflict);
  inv.state = Stored::revoked;
  record(op.org, "invitation.revoked", op.actor);
  return ok();
}

}  // namespace orgkit::model
