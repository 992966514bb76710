// SqliteTransaction: invitations (I1-I9).
#include "sqlite/rows.hpp"
#include "sqlite/transaction.hpp"

namespace orgkit::sqlite {

Result<InvitationId> SqliteTransaction::insert_invitation(const TenantId& tenant,
                                                          const Invitation& inv,
                                                          std::string_view email_key,
                                                          std::string_view token_hash) {
  return guarded(
      "create invitation",
      [&]() -> Result<InvitationId> {
        if (!org_in_tenant(inv.org, tenant)) return fail(not_in_tenant());
        auto& s = stmt(
            "INSERT INTO invitations (org_id, tenant, kind, email, email_key, role, department, "
            "message, state, token_hash, invited_by, created_at, expires_at, invited_by_kind) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)");
        // Bound without a copy where the value outlives exec() (a CSV import binds 100,000 of
        // these); the names of kinds are NUL-terminated literals.
        s.bind(1, inv.org.value());
        s.bindNoCopy(2, tenant.value());
        s.bindNoCopy(3, to_string(inv.kind).data());
        s.bindNoCopy(4, inv.email);
        s.bind(5, std::string(email_key));
        s.bindNoCopy(6, inv.role);
        s.bindNoCopy(7, inv.department);
        s.bindNoCopy(8, inv.message);
        s.bindNoCopy(9, token_hash.data(), static_cast<int>(token_hash.size()));
        s.bindNoCopy(10, inv.invited_by.value());
        s.bind(11, to_unix_ms(inv.created_at));
        s.bind(12, to_unix_ms(inv.expires_at));
        s.bindNoCopy(13, to_string(inv.invited_by_kind).data());
        s.exec();
        return InvitationId((*lease_)->db.getLastInsertRowid());
      },
      "token");
}

Result<std::optional<StoredInvitation>> SqliteTransaction::find_invitation_by_token(
    std::string_view token_hash) {
  return guarded("read invitation", [&]() -> Result<std::optional<StoredInvitation>> {
    auto& s = stmt("SELECT " ORGKIT_INVITATION_COLUMNS
                   ", tenant, token_hash "
                   "FROM invitations WHERE token_hash = ?");
    s.bind(1, token_hash.data(), static_cast<int>(token_hash.size()));
    if (!s.executeStep()) return std::optional<StoredInvitation>();
    StoredInvitation stored;
    stored.invitation = read_invitation(s);
    stored.tenant = TenantId(s.getColumn(14).getString());
    stored.token_hash = blob(s.getColumn(15));
    return std::optional<StoredInvitation>(std::move(stored));
  });
}

Result<std::optional<Invitation>> SqliteTransaction::find_invitation(const TenantId& tenant,
                                                                     OrgId org, InvitationId id) {
  return guarded("read invitation", [&]() -> Result<std::optional<Invitation>> {
    auto& s = stmt("SELECT " ORGKIT_INVITATION_COLUMNS
                   " FROM invitations WHERE id = ? AND org_id = ? AND tenant = ?");
    s.bind(1, id.value());
    s.bind(2, org.value());
    s.bind(3, tenant.value());
    if (!s.executeStep()) return std::optional<Invitation>();
    return std::optional<Invitation>(read_invitation(s));
  });
}

Result<std::optional<Invitation>> SqliteTransaction::find_pending_email_invitation(
    OrgId org, std::string_view email_key) {
  return guarded("read invitation", [&]() -> Result<std::optional<Invitation>> {
    auto& s = stmt("SELECT " ORGKIT_INVITATION_COLUMNS
                   " FROM invitations WHERE org_id = ? AND email_key = ? AND "
                   "state = 'pending' AND kind = 'email'");
    s.bind(1, org.value());
    s.bind(2, std::string(email_key));
    if (!s.executeStep()) return std::optional<Invitation>();
    return std::optional<Invitation>(read_invitation(s));
  });
}

Result<void> SqliteTransaction::reissue_invitation(OrgId org, InvitationId id,
                                                   const Invitation& inv,
                                                   std::string_view token_hash) {
  return guarded(
      "reissue invitation",
      [&]() -> Result<void> {
        auto& s = stmt(
            "UPDATE invitations SET token_hash = ?, role = ?, department = ?, message = ?, "
            "invited_by = ?, created_at = ?, expires_at = ?, invited_by_kind = ? "
            "WHERE id = ? AND org_id = ? AND state = 'pending'");
        s.bind(1, token_hash.data(), static_cast<int>(token_hash.size()));
        s.bind(2, inv.role);
        s.bind(3, inv.department);
        s.bind(4, inv.message);
        s.bind(5, inv.invited_by.value());
        s.bind(6, to_unix_ms(inv.created_at));
        s.bind(7, to_unix_ms(inv.expires_at));
        s.bind(8, std::string(to_string(inv.invited_by_kind)));
        s.bind(9, id.value());
        s.bind(10, org.value());
        if (s.exec() != 1) {
          return fail(Error::not_found("invitation_id", "no pending invitation with this id"));
        }
        return {};
      },
      "token");
}

Result<bool> SqliteTransaction::close_invitation(OrgId org, InvitationId id, InvitationState to,
                                                 const UserId& by, Timestamp at) {
  return guarded("close invitation", [&]() -> Result<bool> {
    auto& s = stmt(
        "UPDATE invitations SET state = ?, closed_by = ?, closed_at = ? "
        "WHERE id = ? AND org_id = ? AND state = 'pending'");
    s.bind(1, std::string(to_string(to)));
    s.bind(2, by.value());
    s.bind(3, to_unix_ms(at));
    s.bind(4, id.value());
    s.bind(5, org.value());
    return s.exec() == 1;
  });
}

Result<std::vector<Invitation>> SqliteTransaction::list_invitations(
    OrgId org, std::optional<InvitationState> state, Timestamp now,
    std::optional<InvitationId> before, int limit) {
  return guarded("list invitations", [&]() -> Result<std::vector<Invitation>> {
    // ?3 is the state filter: '' for all; 'pending' and 'expired' compare with now (?4).
    auto& s = stmt("SELECT " ORGKIT_INVITATION_COLUMNS
                   " FROM invitations WHERE org_id = ?1 AND id < ?2 AND ("
                   "?3 = '' OR "
                   "(?3 = 'pending' AND state = 'pending' AND expires_at > ?4) OR "
                   "(?3 = 'expired' AND state = 'pending' AND expires_at <= ?4) OR "
                   "(?3 NOT IN ('pending', 'expired') AND state = ?3)) "
                   "ORDER BY id DESC LIMIT ?5");
    s.bind(1, org.value());
    s.bind(2, before ? before->value() : INT64_MAX);
    s.bind(3, state ? std::string(to_string(*state)) : std::string());
    s.bind(4, to_unix_ms(now));
    s.bind(5, limit);
    std::vector<Invitation> out;
    while (s.executeStep()) out.push_back(read_invitation(s));
    return out;
  });
}

Result<std::optional<Membership>> SqliteTransaction::find_membership_by_email(
    OrgId org, std::string_view email_key) {
  return guarded("read member", [&]() -> Result<std::optional<Membership>> {
    auto& s = stmt(
        "SELECT org_id, user_id, email, display_name, role, joined_at, department FROM memberships "
        "WHERE org_id = ? AND email_key = ?");
    s.bind(1, org.value());
    s.bind(2, std::string(email_key));
    if (!s.executeStep()) return std::optional<Membership>();
    return std::optional<Membership>(read_membership(s));
  });
}

Result<std::int64_t> SqliteTransaction::count_pending_invitations(OrgId org, Timestamp now) {
  return guarded("count invitations", [&]() -> Result<std::int64_t> {
    auto& s = stmt(
        "SELECT count(*) FROM invitations WHERE org_id = ? AND state = 'pending' AND "
        "expires_at > ?");
    s.bind(1, org.value());
    s.bind(2, to_unix_ms(now));
    (void)s.executeStep();
    return s.getColumn(0).getInt64();
  });
}

}  // namespace orgkit::sqlite
