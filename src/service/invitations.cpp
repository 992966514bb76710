// Issuing invitations: by email (I1, I8), shareable links (I5), the listing (I4), and the
// checks every issuing path shares: plan gating, seats, rank (I7, P4).
#include <charconv>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/invitation_steps.hpp"
#include "service/unit_of_work.hpp"
#include "service/use_cases.hpp"
#include "tokens.hpp"
#include "validate.hpp"

namespace orgkit::detail {

namespace {

std::chrono::seconds link_duration(LinkExpiry e) {
  switch (e) {
    case LinkExpiry::one_hour:
      return std::chrono::hours(1);
    case LinkExpiry::one_day:
      return std::chrono::hours(24);
    case LinkExpiry::two_days:
      return std::chrono::hours(48);
    case LinkExpiry::seven_days:
      return std::chrono::hours(24 * 7);
  }
  return std::chrono::hours(1);
}

Result<std::optional<InvitationId>> decode_invitation_cursor(const std::string& cursor) {
  if (cursor.empty()) return std::optional<InvitationId>();
  std::int64_t id = 0;
  const char* b = cursor.data();
  const char* e = b + cursor.size();
  if (cursor.size() < 3 || cursor.compare(0, 2, "i:") != 0 ||
      std::from_chars(b + 2, e, id).ptr != e || id <= 0) {
    return fail(Error::invalid("cursor", "is not a cursor returned by list_invitations"));
  }
  return std::optional<InvitationId>(InvitationId(id));
}

}  // namespace

Result<std::optional<std::int64_t>> seats_taken(const Core& s, StorageTransaction& tx,
                                                const Organization& org, bool count_pending) {
  const Plan* plan = plan_for(s, org);
  if (plan == nullptr || !plan->max_members) return std::optional<std::int64_t>();
  ORGKIT_TRY(members, tx.count_memberships(org.id, std::nullopt));
  if (count_pending && s.plans.pending_invitations_use_seats) {
    ORGKIT_TRY(pending, tx.count_pending_invitations(org.id, s.clock->now()));
    members += pending;
  }
  return std::optional<std::int64_t>(members);
}

Result<Issued> issue_email_invitation(Core& s, StorageTransaction& tx, const Actor& actor,
                                      const Organization& org, const RoleDefinition& actor_role,
                                      Invitation inv, std::optional<std::int64_t>& seats) {
  const std::string key = email_key(inv.email);
  ORGKIT_TRY(member, tx.find_membership_by_email(org.id, key));
  if (member) {
    return fail(Error::exists("email", fmt::format("'{}' is already a member of the "
                                                   "organization",
                                                   inv.email)));
  }
  ORGKIT_TRY(token, tokens::generate());
  const Timestamp now = s.clock->now();
  ORGKIT_TRY(previous, tx.find_pending_email_invitation(org.id, key));
  // A new invitation, or one renewing an expired invitation (which held no seat), needs a
  // seat when the plan limits them (I7).
  const bool takes_seat = !previous || previous->expires_at <= now;
  if (takes_seat && seats) {
    ORGKIT_CHECK(rules::seats_fit(plan_for(s, org), *seats, 1, s.plans.pending_invitations_use_seats));
  }
  if (previous) {
    // Renewing replaces the earlier invitation, so the actor must be allowed to manage it
    // (P4): an admin cannot overwrite an owner's invitation to an owner.
    ORGKIT_TRY(previous_role, find_role(s, tx, org.id, previous->role));
    if (previous_role && !PermissionPolicy::may_grant(actor_role, *previous_role)) {
      return fail(Error::denied("email", fmt::format("a pending invitation to '{}' as '{}' "
                                                     "exists, which role '{}' may not change",
                                                     inv.email, previous->role, actor_role.name)));
    }
  }
  // Render before writing: a message that cannot be rendered leaves nothing behind. With no
  // sink at all nobody would receive it, so it is not rendered (a tenth of a CSV import).
  Issued out;
  out.issued.accept_url = s.invitations.accept_url_base + token.text;
  std::optional<OutgoingMessage> note;
  if (!s.sinks.empty()) {
    ORGKIT_TRY(rendered, render(s.invitations, OutgoingMessage::Kind::invitation, org, actor,
                                inv, out.issued.accept_url));
    note = std::move(rendered);
  }
  // Every check passed: only now does this invitation take its seat (a refused row of a CSV
  // import must not use one up).
  if (takes_seat && seats && s.plans.pending_invitations_use_seats) ++*seats;
  if (previous) {
    // I8: a second invitation to the same address renews the pending one, never twins it.
    inv.id = previous->id;
    ORGKIT_CHECK(tx.reissue_invitation(org.id, previous->id, inv, token.hash));
    out.issued.refreshed = true;
    ORGKIT_CHECK(
        audit(s, tx, actor, org.id, "invitation.refreshed", inv.email,
              {{"role", previous->role, inv.role},
               {"expires_at", format_time(previous->expires_at), format_time(inv.expires_at)}}));
  } else {
    ORGKIT_TRY(id, tx.insert_invitation(actor.tenant, inv, key, token.hash));
    inv.id = id;
    ORGKIT_CHECK(audit(s, tx, actor, org.id, "invitation.created", inv.email,
                       {{"state", std::nullopt, "pending"},
                        {"role", std::nullopt, inv.role},
                        {"expires_at", std::nullopt, format_time(inv.expires_at)}}));
  }
  if (note) note->invitation = inv.id;
  out.message = std::move(note);
  out.issued.invitation = std::move(inv);
  out.issued.token = std::move(token.text);
  return out;
}

Result<EmailInvite> check_invite(std::string_view email, std::string_view department,
                                 std::string_view message) {
  EmailInvite out;
  ORGKIT_TRY(checked_email, validate::email("email", email));
  // One line: it becomes the member's department, shown in listings (and messages).
  ORGKIT_TRY(checked_department,
             validate::line("department", department, validate::max_department_chars));
  ORGKIT_TRY(checked_message, validate::text("message", message));
  out.email = std::move(checked_email);
  out.department = std::move(checked_department);
  out.message = std::move(checked_message);
  return out;
}

Invitation email_invitation(const Actor& actor, OrgId org, EmailInvite fields,
                            const std::string& role, Timestamp now,
                            std::chrono::milliseconds expiry) {
  Invitation inv;
  inv.org = org;
  inv.kind = InvitationKind::email;
  inv.email = std::move(fields.email);
  inv.role = role;
  inv.department = std::move(fields.department);
  inv.message = std::move(fields.message);
  inv.invited_by = actor.id;
  inv.invited_by_kind = actor.kind;
  inv.created_at = now;
  inv.expires_at = now + expiry;
  return inv;
}

Result<void> may_invite_to(const RoleDefinition& actor_role, const RoleDefinition& role) {
  if (PermissionPolicy::may_grant(actor_role, role)) return {};
  return fail(Error::denied("role", fmt::format("role '{}' may not invite to '{}', which ranks "
                                                "above it or is not among the roles it manages",
                                                actor_role.name, role.name)));
}

Result<Committed<IssuedInvitation>> invite(Core& c, const Actor& actor, OrgId org,
                                           const InviteRequest& request) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_TRY(fields, check_invite(request.email, request.department, request.message));
  ORGKIT_CHECK(validate::role_name("role", request.role));
  const auto expiry = request.expires_in.value_or(c.invitations.email_expiry);
  if (expiry < std::chrono::minutes(1) || expiry > std::chrono::hours(24 * 365)) {
    return fail(Error::invalid("expires_in", "must be 1 minute to 365 days"));
  }

  std::size_t change = 0;  // the change whose message the notifier delivers
  return write_then<IssuedInvitation>(
      c, scope_of(actor, org),
      [&](Work& w) -> Result<IssuedInvitation> {
        StorageTransaction* tx = &w;
        // Visibility first (R1): the role is looked up only in an organization the actor sees.
        ORGKIT_TRY(ctx, inviting(c, *tx, actor, org, nullptr));
        ORGKIT_TRY(role, requested_role(c, *tx, org, "role", request.role));
        ORGKIT_CHECK(may_invite_to(*ctx.access.role, *role));
        Invitation inv =
            email_invitation(actor, org, fields, role->name, c.clock->now(),
                             std::chrono::duration_cast<std::chrono::milliseconds>(expiry));
        ORGKIT_TRY(seats, seats_taken(c, *tx, ctx.org));
        ORGKIT_TRY(out, issue_email_invitation(c, *tx, actor, ctx.org, *ctx.access.role,
                                               std::move(inv), seats));
        change = w.attach_message(std::move(out.message));
        return std::move(out.issued);
      },
      [&](IssuedInvitation& issued, const Delivery& delivery) {
        issued.delivery_error = delivery.message_error(change);
      });
}

Result<Committed<IssuedInvitation>> create_invite_link(Core& c, const Actor& actor, OrgId org,
                                                       std::string_view role_name,
                                                       LinkExpiry expiry) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::role_name("role", role_name));
  const auto duration = link_duration(expiry);
  ORGKIT_TRY(token, tokens::generate());

  return c.write<IssuedInvitation>(
      actor, scope_of(actor, org), [&](Work& w) -> Result<IssuedInvitation> {
        StorageTransaction* tx = &w;
        ORGKIT_TRY(ctx, inviting(c, *tx, actor, org, nullptr));
        ORGKIT_TRY(role, requested_role(c, *tx, org, "role", role_name));
        ORGKIT_CHECK(may_invite_to(*ctx.access.role, *role));
        ORGKIT_CHECK(ensure_seat(c, *tx, ctx.org, true));
        const Timestamp now = c.clock->now();
        Invitation inv;
        inv.org = org;
        inv.kind = InvitationKind::link;
        inv.role = role->name;
        inv.invited_by = actor.id;
        inv.invited_by_kind = actor.kind;
        inv.created_at = now;
        inv.expires_at = now + std::chrono::duration_cast<std::chrono::milliseconds>(duration);
        ORGKIT_TRY(id, tx->insert_invitation(actor.tenant, inv, "", token.hash));
        inv.id = id;
        ORGKIT_CHECK(audit(c, *tx, actor, org, "invitation.link_created",
                           fmt::format("invitation {}", id.value()),
                           {{"state", std::nullopt, "pending"},
                            {"role", std::nullopt, inv.role},
                            {"expires_at", std::nullopt, format_time(inv.expires_at)}}));
        IssuedInvitation issued;
        issued.invitation = std::move(inv);
        issued.accept_url = c.invitations.accept_url_base + token.text;
        issued.token = token.text;
        return issued;
      });
}

Result<Page<Invitation>> list_invitations(Core& c, const Actor& actor, OrgId org,
                                          const InvitationQuery& query) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::page_limit("limit", query.limit));
  ORGKIT_TRY(before, decode_invitation_cursor(query.cursor));
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::members_invite, "list invitations"));
  (void)a;
  const Timestamp now = c.clock->now();
  ORGKIT_TRY(items, tx->list_invitations(org, query.state, now, before, query.limit + 1));
  Page<Invitation> page;
  if (items.size() > static_cast<std::size_t>(query.limit)) {
    items.pop_back();
    page.next_cursor = fmt::format("i:{}", items.back().id.value());
  }
  for (auto& inv : items) inv.state = rules::effective_state(inv, now);
  page.items = std::move(items);
  return page;
}

Result<void> invitations_allowed(const Core& s, const Organization& org) {
  return rules::invitations_allowed(plan_for(s, org));
}

Result<InviteContext> inviting(Core& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                               const RoleDefinition* role) {
  ORGKIT_TRY(a, access(s, tx, actor, org, permissions::members_invite, "invite members"));
  ORGKIT_TRY(organization, organization(tx, actor, org));
  if (organization.personal) {
    return fail(Error::conflict("org_id", "a personal organization accepts no invitations"));
  }
  ORGKIT_CHECK(invitations_allowed(s, organization));
  if (role != nullptr) ORGKIT_CHECK(may_invite_to(*a.role, *role));
  return InviteContext{std::move(a), std::move(organization)};
}

}  // namespace orgkit::detail
