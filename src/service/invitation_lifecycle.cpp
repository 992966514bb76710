// An invitation's life after it is issued: opened by its token, accepted or declined by the
// invitee (I2, I4, I9), resent or revoked by the organization (I4).
#include <fmt/format.h>

#include "service/core.hpp"
#include "service/invitation_steps.hpp"
#include "service/unit_of_work.hpp"
#include "service/use_cases.hpp"
#include "tokens.hpp"
#include "validate.hpp"

namespace orgkit::detail {

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
  ORGKIT_CHECK(rules::may_open(inv, now));
  // A preview has no invitee (an empty id): the address is checked when someone accepts.
  if (inv.kind == InvitationKind::email && !invitee.id.value().empty()) {
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

// R3: why the invitation's sender may no longer grant its role, if so. Invitations from a
// tenant administrator or the host keep their authority.
Result<std::optional<std::string>> inviter_lost_authority(Core& c, StorageTransaction& tx,
                                                          const Organization& org,
                                                          const Invitation& inv,
                                                          const RoleDefinition& role) {
  using Reason = std::optional<std::string>;
  if (inv.invited_by_kind != PrincipalKind::member) return Reason();
  ORGKIT_TRY(inviter, tx.find_membership(org.tenant, org.id, inv.invited_by));
  if (!inviter) return Reason("the person who sent it is no longer a member");
  ORGKIT_TRY(inviter_role, find_role(c, tx, org.id, inviter->role));
  const auto invite = c.policy.permission(permissions::members_invite);
  if (!inviter_role || !invite || !PermissionPolicy::holds(*inviter_role, *invite) ||
      !PermissionPolicy::may_grant(*inviter_role, role)) {
    return Reason(fmt::format("the person who sent it may no longer invite to the role '{}'",
                              role.name));
  }
  return Reason();
}

Result<Committed<AcceptedInvitation>> accept_invitation(Core& c, const Actor& invitee,
                                                        std::string_view token) {
  ORGKIT_CHECK(validate_actor(invitee));
  ORGKIT_CHECK(require_member(invitee, "accept an invitation"));
  ORGKIT_TRY(email, validate::email("actor.email", invitee.email));
  ORGKIT_TRY(display_name,
             validate::text("actor.display_name", invitee.display_name, validate::max_name_chars));
  ORGKIT_TRY(org_id, invitation_org(c, invitee, token));
  // Empty when the invitation lapsed instead (R3): that revocation is committed, and the
  // invitee gets its reason as the error.
  std::string lapsed;
  auto accepted = c.write<std::optional<AcceptedInvitation>>(
      invitee, scope_of(invitee, org_id),
      [&](Work& w) -> Result<std::optional<AcceptedInvitation>> {
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
        const Timestamp now = c.clock->now();
        ORGKIT_TRY(reason, inviter_lost_authority(c, *tx, open.org, inv, *role));
        if (reason) {
          ORGKIT_TRY(closed, tx->close_invitation(inv.org, inv.id, InvitationState::revoked,
                                                  invitee.id, now));
          if (!closed) {
            return fail(
                Error{ErrorCode::already_used, "token", "this invitation has already been used"});
          }
          ORGKIT_CHECK(audit(c, *tx, invitee, inv.org, "invitation.revoked", audit_target(inv),
                             {{"state", "pending", "revoked"}, {"reason", std::nullopt, *reason}}));
          lapsed = std::move(*reason);
          return std::optional<AcceptedInvitation>();
        }
        ORGKIT_CHECK(ensure_seat(c, *tx, open.org, false));
        // The conditional write keeps the token single-use even if two accepts raced past the
        // checks above (they cannot inside one IMMEDIATE transaction, but the rule is stated here).
        ORGKIT_TRY(closed, tx->close_invitation(inv.org, inv.id, InvitationState::accepted,
                                                invitee.id, now));
        if (!closed) {
          return fail(
              Error{ErrorCode::already_used, "token", "this invitation has already been used"});
        }
        // The department the invitation carried comes with it (004's CSV column).
        Membership m{inv.org, invitee.id, email, display_name, role->name, now, inv.department};
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
        return std::optional<AcceptedInvitation>(std::move(out));
      });
  if (!accepted) return fail(std::move(accepted).error());
  if (!accepted->has_value()) {
    return fail(Error{ErrorCode::revoked, "token",
                      fmt::format("this invitation was revoked because {}; ask for a new one",
                                  lapsed)});
  }
  Committed<AcceptedInvitation> out;
  static_cast<AcceptedInvitation&>(out) = std::move(**accepted);
  out.commit_token = accepted->commit_token;
  return out;
}

Result<InvitationPreview> preview_invitation(Core& c, std::string_view token,
                                             const TenantId& tenant) {
  ORGKIT_CHECK(validate::host_id("tenant", tenant.value()));
  // The checks of accepting, in a read transaction, less the invitee's address; nothing is
  // written, not even the revocation of an invitation whose sender lost authority.
  Actor visitor;
  visitor.tenant = tenant;
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(open, open_invitation(c, *tx, visitor, token));
  ORGKIT_CHECK(invitations_allowed(c, open.org));
  const Invitation& inv = open.invitation;
  ORGKIT_TRY(role, find_role(c, *tx, inv.org, inv.role));
  if (!role) {
    return fail(Error::conflict("role", fmt::format("the invited role '{}' no longer exists; ask "
                                                    "for a new invitation",
                                                    inv.role)));
  }
  ORGKIT_TRY(reason, inviter_lost_authority(c, *tx, open.org, inv, *role));
  if (reason) {
    return fail(Error{ErrorCode::revoked, "token",
                      fmt::format("this invitation was revoked because {}; ask for a new one",
                                  *reason)});
  }
  InvitationPreview out;
  out.id = inv.id;
  out.kind = inv.kind;
  out.email = inv.email;
  out.org = inv.org;
  out.organization_name = open.org.name;
  out.organization_slug = open.org.slug;
  out.role = inv.role;
  out.department = inv.department;
  out.message = inv.message;
  out.invited_by = inv.invited_by;
  out.invited_by_kind = inv.invited_by_kind;
  out.expires_at = inv.expires_at;
  if (inv.invited_by_kind == PrincipalKind::member) {
    ORGKIT_TRY(inviter, tx->find_membership(tenant, inv.org, inv.invited_by));
    if (inviter) out.inviter_name = inviter->display_name;
  }
  return out;
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
  ORGKIT_CHECK(rules::may_manage(*inv));
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
        std::optional<OutgoingMessage> note;  // none when nobody would receive it
        if (!c.sinks.empty()) {
          ORGKIT_TRY(rendered, render(c.invitations, OutgoingMessage::Kind::resend,
                                      organization, actor, inv, issued.accept_url));
          note = std::move(rendered);
        }
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

}  // namespace orgkit::detail
