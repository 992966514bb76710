// Invitation use cases: I1-I9 (invite, links, accept, decline, resend, revoke, list, CSV).
#include <charconv>
#include <ctime>
#include <unordered_map>

#include <fmt/format.h>

#include "csv.hpp"
#include "service/core.hpp"
#include "service/unit_of_work.hpp"
#include "service/use_cases.hpp"
#include "tokens.hpp"
#include "validate.hpp"

namespace orgkit::detail {

namespace {

// The key emails are matched by (I2, I8): trimmed, ASCII lower-cased. SQLite's lower() in
// the membership index does the same, so both sides agree.
std::string email_key(std::string_view email) {
  std::string key = validate::trim(email);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

// What audit events about an invitation name: the address, or the link's id (never a token).
std::string audit_target(const Invitation& inv) {
  return inv.kind == InvitationKind::email ? inv.email
                                           : fmt::format("invitation {}", inv.id.value());
}

std::string format_time(Timestamp t) {
  const std::time_t secs = static_cast<std::time_t>(to_unix_ms(t) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

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

// What a template may say; rendering with fmt's named arguments.
struct TemplateValues {
  std::string organization, inviter, inviter_email, role, message, department, accept_url,
      expires_at, email;
};

constexpr std::string_view placeholders[] = {"organization", "inviter",    "inviter_email",
                                             "role",         "message",    "department",
                                             "accept_url",   "expires_at", "email"};

// Templates may hold only bare {name} placeholders (and {{ }} for braces): no format specs,
// so a template can neither fail at render time nor ask for a two-gigabyte field width.
Result<void> check_template(std::string_view field, std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '}') {
      if (i + 1 < t.size() && t[i + 1] == '}') {
        ++i;
        continue;
      }
      return fail(Error::invalid(std::string(field), "a lone '}' (write }} for a brace)"));
    }
    if (t[i] != '{') continue;
    if (i + 1 < t.size() && t[i + 1] == '{') {
      ++i;
      continue;
    }
    const auto close = t.find('}', i);
    if (close == std::string_view::npos) {
      return fail(
          Error::invalid(std::string(field), "a '{' is never closed (write {{ for a brace)"));
    }
    const std::string_view name = t.substr(i + 1, close - i - 1);
    bool known = false;
    for (auto p : placeholders) known = known || p == name;
    if (!known) {
      return fail(Error::invalid(std::string(field),
                                 fmt::format("unknown placeholder {{{}}}; known: {{organization}} "
                                             "{{inviter}} {{inviter_email}} {{role}} {{message}} "
                                             "{{department}} {{accept_url}} {{expires_at}} "
                                             "{{email}}",
                                             name)));
    }
    i = close;
  }
  return {};
}

// A subject is one line, whatever the values hold (no header injection through a message).
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

std::string render_one(const std::string& tmpl, const TemplateValues& v) {
  return fmt::format(fmt::runtime(tmpl), fmt::arg("organization", v.organization),
                     fmt::arg("inviter", v.inviter), fmt::arg("inviter_email", v.inviter_email),
                     fmt::arg("role", v.role), fmt::arg("message", v.message),
                     fmt::arg("department", v.department), fmt::arg("accept_url", v.accept_url),
                     fmt::arg("expires_at", v.expires_at), fmt::arg("email", v.email));
}

Result<OutgoingMessage> render(const MessageTemplates& t, OutgoingMessage::Kind kind,
                               const Organization& org, const Actor& inviter, const Invitation& inv,
                               const std::string& accept_url) {
  TemplateValues v{
      org.name,      inviter.display_name.empty() ? inviter.email : inviter.display_name,
      inviter.email, inv.role,
      inv.message,   inv.department,
      accept_url,    format_time(inv.expires_at),
      inv.email};
  TemplateValues subject_values{one_line(v.organization),
                                one_line(v.inviter),
                                one_line(v.inviter_email),
                                one_line(v.role),
                                one_line(v.message),
                                one_line(v.department),
                                v.accept_url,
                                v.expires_at,
                                one_line(v.email)};
  OutgoingMessage m;
  m.kind = kind;
  m.to = inv.email;
  m.org = org.id;
  m.invitation = inv.id;
  m.organization_name = v.organization;
  m.role = v.role;
  m.accept_url = v.accept_url;
  m.expires_at = v.expires_at;
  try {
    m.subject = render_one(t.subject, subject_values);
    m.body = render_one(t.body, v);
  } catch (const std::exception& e) {  // fmt::format_error, std::bad_alloc: never escape
    return fail(
        Error::invalid("invitations.templates", fmt::format("cannot render: {}", e.what())));
  }
  return m;
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

Result<void> check_templates(const MessageTemplates& templates) {
  ORGKIT_CHECK(check_template("invitations.templates.subject", templates.subject));
  return check_template("invitations.templates.body", templates.body);
}

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
    const Plan* plan = plan_for(s, org);
    if (*seats + 1 > *plan->max_members) return fail(seat_error(s, *plan, *seats));
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
  // Render before writing: a message that cannot be rendered leaves nothing behind.
  Issued out;
  out.issued.accept_url = s.invitations.accept_url_base + token.text;
  ORGKIT_TRY(note, render(s.invitations.templates, OutgoingMessage::Kind::invitation, org, actor,
                          inv, out.issued.accept_url));
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
  note.invitation = inv.id;
  out.message = std::move(note);
  out.issued.invitation = std::move(inv);
  out.issued.token = std::move(token.text);
  return out;
}

Result<EmailInvite> check_invite(std::string_view email, std::string_view department,
                                 std::string_view message) {
  EmailInvite out;
  ORGKIT_TRY(checked_email, validate::email("email", email));
  ORGKIT_TRY(checked_department,
             validate::text("department", department, validate::max_department_chars));
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
        ORGKIT_TRY(role, requested_role(c, *tx, org, "role", request.role));
        ORGKIT_TRY(ctx, inviting(c, *tx, actor, org, role.get()));
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
        ORGKIT_TRY(role, requested_role(c, *tx, org, "role", role_name));
        ORGKIT_TRY(ctx, inviting(c, *tx, actor, org, role.get()));
        ORGKIT_CHECK(ensure_seat(c, *tx, ctx.org, true));
        const Timestamp now = c.clock->now();
        Invitation inv;
        inv.org = org;
        inv.kind = InvitationKind::link;
        inv.role = role->name;
        inv.invited_by = actor.id;
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

Result<OpenInvitation> open_invitation(Core& s, StorageTransaction& tx, const Actor& invitee,
                                       std::string_view token) {
  if (!tokens::well_formed(token)) {
    return fail(Error::invalid("token",
                               "is not an invitation token: check that the whole link "
                               "was copied"));
  }
  const std::string hash = tokens::hash(token);
  ORGKIT_TRY(found, tx.find_invitation_by_token(hash));
  // Another tenant's invitation is as unknown as one that never existed (O9).
  if (!found || found->tenant != invitee.tenant || !tokens::same_hash(found->token_hash, hash)) {
    return fail(Error::not_found("token",
                                 "this invitation does not exist: it may have been "
                                 "replaced by a newer one, or its organization was "
                                 "deleted"));
  }
  Invitation& inv = found->invitation;
  const Timestamp now = s.clock->now();
  switch (inv.state) {
    case InvitationState::accepted:
      return fail(Error{ErrorCode::already_used, "token",
                        "this invitation has already been used; ask an administrator for a new "
                        "one"});
    case InvitationState::revoked:
      return fail(Error{ErrorCode::revoked, "token",
                        "this invitation was revoked by an administrator; ask for a new one"});
    case InvitationState::declined:
      return fail(Error::conflict("token", "this invitation was declined"));
    case InvitationState::pending:
    case InvitationState::expired:
      break;
  }
  if (inv.expires_at <= now) {
    return fail(Error{ErrorCode::expired, "token",
                      fmt::format("this invitation expired on {}; ask an administrator for a "
                                  "new one",
                                  format_time(inv.expires_at))});
  }
  if (inv.kind == InvitationKind::email) {
    ORGKIT_TRY(email, validate::email("actor.email", invitee.email));
    if (email_key(email) != email_key(inv.email)) {
      return fail(Error::denied("email",
                                "this invitation was sent to a different email "
                                "address; sign in with that address to accept it"));
    }
  }
  ORGKIT_TRY(org, organization(tx, invitee, inv.org));
  return OpenInvitation{std::move(inv), std::move(org)};
}

// The organization a token belongs to, read before the write transaction so that it can
// declare its scope; open_invitation checks everything again inside it.
Result<OrgId> invitation_org(Core& c, const Actor& invitee, std::string_view token) {
  if (!tokens::well_formed(token)) {
    return fail(Error::invalid("token",
                               "is not an invitation token: check that the whole link "
                               "was copied"));
  }
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(found, tx->find_invitation_by_token(tokens::hash(token)));
  // Unknown here is answered in full by open_invitation; any organization of the tenant will do
  // as a scope for that.
  if (!found || found->tenant != invitee.tenant) return OrgId(0);
  return found->invitation.org;
}

Result<Committed<AcceptedInvitation>> accept_invitation(Core& c, const Actor& invitee,
                                                        std::string_view token) {
  ORGKIT_CHECK(validate_actor(invitee));
  ORGKIT_CHECK(require_member(invitee, "accept an invitation"));
  ORGKIT_TRY(email, validate::email("actor.email", invitee.email));
  ORGKIT_TRY(display_name,
             validate::text("actor.display_name", invitee.display_name, validate::max_name_chars));
  ORGKIT_TRY(org_id, invitation_org(c, invitee, token));
  return c.write<AcceptedInvitation>(
      invitee, scope_of(invitee, org_id), [&](Work& w) -> Result<AcceptedInvitation> {
        StorageTransaction* tx = &w;
        ORGKIT_TRY(open, open_invitation(c, *tx, invitee, token));
        // An organization moved to a plan without invitations honours none that are pending (I7);
        // declining stays possible.
        ORGKIT_CHECK(invitations_allowed(c, open.org));
        Invitation& inv = open.invitation;
        ORGKIT_TRY(role, find_role(c, *tx, inv.org, inv.role));
        if (!role) {
          return fail(
              Error::conflict("role", fmt::format("the invited role '{}' no longer exists; ask "
                                                  "for a new invitation",
                                                  inv.role)));
        }
        ORGKIT_TRY(existing, tx->find_membership(invitee.tenant, inv.org, invitee.id));
        if (existing) {
          return fail(Error::exists("user_id", fmt::format("'{}' is already a member of {}",
                                                           invitee.id.value(), open.org.name)));
        }
        ORGKIT_CHECK(ensure_seat(c, *tx, open.org, false));
        const Timestamp now = c.clock->now();
        // The conditional write keeps the token single-use even if two accepts raced past the
        // checks above (they cannot inside one IMMEDIATE transaction, but the rule is stated here).
        ORGKIT_TRY(closed, tx->close_invitation(inv.org, inv.id, InvitationState::accepted,
                                                invitee.id, now));
        if (!closed) {
          return fail(
              Error{ErrorCode::already_used, "token", "this invitation has already been used"});
        }
        Membership m{inv.org, invitee.id, email, display_name, role->name, now};
        ORGKIT_CHECK(tx->insert_membership(invitee.tenant, m));
        ORGKIT_CHECK(audit(c, *tx, invitee, inv.org, "invitation.accepted", audit_target(inv),
                           {{"state", "pending", "accepted"},
                            {"member", std::nullopt, invitee.id.value()},
                            {"role", std::nullopt, role->name}}));
        inv.state = InvitationState::accepted;
        inv.closed_by = invitee.id;
        inv.closed_at = now;
        AcceptedInvitation out;
        out.email_verified = inv.kind == InvitationKind::email;
        out.membership = std::move(m);
        out.invitation = std::move(inv);
        return out;
      });
}

Result<Committed<Invitation>> decline_invitation(Core& c, const Actor& invitee,
                                                 std::string_view token) {
  ORGKIT_CHECK(validate_actor(invitee));
  ORGKIT_CHECK(require_member(invitee, "decline an invitation"));
  ORGKIT_TRY(org_id, invitation_org(c, invitee, token));
  return c.write<
      Invitation>(invitee, scope_of(invitee, org_id), [&](Work& w) -> Result<Invitation> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(open, open_invitation(c, *tx, invitee, token));
    Invitation& inv = open.invitation;
    // A link is for whoever gets it: one recipient saying no must not close it for the rest.
    if (inv.kind == InvitationKind::link) {
      return fail(Error::conflict("token",
                                  "a shareable link cannot be declined; leaving it "
                                  "unused is enough"));
    }
    const Timestamp now = c.clock->now();
    ORGKIT_TRY(closed,
               tx->close_invitation(inv.org, inv.id, InvitationState::declined, invitee.id, now));
    if (!closed) {
      return fail(Error{ErrorCode::already_used, "token", "this invitation has already been used"});
    }
    ORGKIT_CHECK(audit(c, *tx, invitee, inv.org, "invitation.declined", audit_target(inv),
                       {{"state", "pending", "declined"}}));
    inv.state = InvitationState::declined;
    inv.closed_by = invitee.id;
    inv.closed_at = now;
    return std::move(inv);
  });
}

Result<ManagedInvitation> managed_invitation(Core& s, StorageTransaction& tx, const Actor& actor,
                                             OrgId org, InvitationId id, std::string_view what) {
  ORGKIT_TRY(a, access(s, tx, actor, org, permissions::members_invite, what));
  ORGKIT_TRY(inv, tx.find_invitation(actor.tenant, org, id));
  if (!inv) {
    return fail(Error::not_found("invitation_id", fmt::format("no invitation {} in this "
                                                              "organization",
                                                              id.value())));
  }
  ORGKIT_TRY(role, find_role(s, tx, org, inv->role));
  if (role && !PermissionPolicy::may_grant(*a.role, *role)) {
    return fail(Error::denied("invitation_id", fmt::format("role '{}' may not manage an "
                                                           "invitation to '{}'",
                                                           a.role->name, role->name)));
  }
  if (inv->state == InvitationState::revoked) {
    return fail(Error{ErrorCode::revoked, "invitation_id", "the invitation is revoked already"});
  }
  if (inv->state != InvitationState::pending) {
    return fail(Error::conflict(
        "invitation_id", fmt::format("the invitation is {}, not pending", to_string(inv->state))));
  }
  return ManagedInvitation{std::move(a), std::move(*inv)};
}

Result<Committed<IssuedInvitation>> resend_invitation(Core& c, const Actor& actor, OrgId org,
                                                      InvitationId id) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_TRY(token, tokens::generate());
  std::size_t change = 0;  // the change whose message the notifier delivers
  return write_then<IssuedInvitation>(
      c, scope_of(actor, org),
      [&](Work& w) -> Result<IssuedInvitation> {
        StorageTransaction* tx = &w;
        ORGKIT_TRY(managed, managed_invitation(c, *tx, actor, org, id, "resend invitations"));
        Invitation inv = std::move(managed.invitation);
        if (inv.kind != InvitationKind::email) {
          return fail(
              Error::conflict("invitation_id", "a link cannot be resent; create a new link"));
        }
        ORGKIT_TRY(organization, organization(*tx, actor, org));
        ORGKIT_CHECK(invitations_allowed(c, organization));
        ORGKIT_TRY(member, tx->find_membership_by_email(org, email_key(inv.email)));
        if (member) {
          return fail(
              Error::exists("email", fmt::format("'{}' has become a member; the invitation is "
                                                 "not needed",
                                                 inv.email)));
        }
        const Timestamp now = c.clock->now();
        if (inv.expires_at <= now) ORGKIT_CHECK(ensure_seat(c, *tx, organization, true));
        const Timestamp old_expiry = inv.expires_at;
        // The same lifetime the invitation was given (per call or the default), from now.
        inv.expires_at = now + (inv.expires_at - inv.created_at);
        inv.created_at = now;
        IssuedInvitation issued;
        issued.accept_url = c.invitations.accept_url_base + token.text;
        ORGKIT_TRY(note, render(c.invitations.templates, OutgoingMessage::Kind::resend,
                                organization, actor, inv, issued.accept_url));
        ORGKIT_CHECK(tx->reissue_invitation(org, inv.id, inv, token.hash));
        ORGKIT_CHECK(audit(c, *tx, actor, org, "invitation.resent", inv.email,
                           {{"expires_at", format_time(old_expiry), format_time(inv.expires_at)}}));
        change = w.attach_message(std::move(note));
        issued.invitation = std::move(inv);
        issued.token = token.text;
        return issued;
      },
      [&](IssuedInvitation& issued, const Delivery& delivery) {
        issued.delivery_error = delivery.message_error(change);
      });
}

Result<Committed<Invitation>> revoke_invitation(Core& c, const Actor& actor, OrgId org,
                                                InvitationId id) {
  ORGKIT_CHECK(validate_actor(actor));
  return c.write<Invitation>(actor, scope_of(actor, org), [&](Work& w) -> Result<Invitation> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(managed, managed_invitation(c, *tx, actor, org, id, "revoke invitations"));
    Invitation inv = std::move(managed.invitation);
    const Timestamp now = c.clock->now();
    ORGKIT_TRY(closed, tx->close_invitation(org, inv.id, InvitationState::revoked, actor.id, now));
    if (!closed)
      return fail(Error::conflict("invitation_id", "the invitation is no longer pending"));
    ORGKIT_CHECK(audit(c, *tx, actor, org, "invitation.revoked", audit_target(inv),
                       {{"state", "pending", "revoked"}}));
    inv.state = InvitationState::revoked;
    inv.closed_by = actor.id;
    inv.closed_at = now;
    return inv;
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
  for (auto& inv : items) inv.state = effective_state(inv, now);
  page.items = std::move(items);
  return page;
}

InvitationState effective_state(const Invitation& inv, Timestamp now) {
  return inv.state == InvitationState::pending && inv.expires_at <= now ? InvitationState::expired
                                                                        : inv.state;
}

Result<void> invitations_allowed(const Core& s, const Organization& org) {
  const Plan* plan = plan_for(s, org);
  if (plan != nullptr && !plan->invitations) {
    return fail(Error::denied("plan", fmt::format("plan '{}' does not include invitations; "
                                                  "upgrade the plan to invite members",
                                                  plan->name)));
  }
  return {};
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
