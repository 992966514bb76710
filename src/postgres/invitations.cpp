// PgTransaction: invitations (I1-I9). State changes are conditional on "pending" and check
// the rows they changed (PITFALLS 1), so a token stays single-use when two accepts race: the
// second waits for the first's row lock and then finds the row no longer pending.
#include "postgres/rows.hpp"
#include "postgres/transaction.hpp"

namespace orgkit::postgres {

Result<InvitationId> PgTransaction::insert_invitation(const TenantId& tenant,
                                                      const Invitation& inv,
                                                      std::string_view email_key,
                                                      std::string_view token_hash) {
  return guarded(
      "create invitation",
      [&]() -> Result<InvitationId> {
        const auto r = write(
            "INSERT INTO invitations (org_id, tenant, kind, email, email_key, role, department, "
            "message, state, token_hash, invited_by, created_at, expires_at, invited_by_kind) "
            "SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11, $12, $13 "
            "WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1 AND tenant = $2) "
            "RETURNING id",
            inv.org.value(), tenant.value(), std::string(to_string(inv.kind)), inv.email,
            std::string(email_key), inv.role, inv.department, inv.message, bytea(token_hash),
            inv.invited_by.value(), to_unix_ms(inv.created_at), to_unix_ms(inv.expires_at),
            std::string(to_string(inv.invited_by_kind)));
        if (r.empty()) return fail(not_in_tenant());
        return InvitationId(r[0][0].as<std::int64_t>());
      },
      "token");
}

Result<std::optional<StoredInvitation>> PgTransaction::find_invitation_by_token(
    std::string_view token_hash) {
  return guarded("read invitation", [&]() -> Result<std::optional<StoredInvitation>> {
    const auto r = run("SELECT " ORGKIT_PG_INVITATION_COLUMNS
                       ", tenant, token_hash FROM invitations WHERE token_hash = $1",
                       bytea(token_hash));
    if (r.empty()) return std::optional<StoredInvitation>();
    StoredInvitation stored;
    stored.invitation = read_invitation(r[0]);
    stored.tenant = TenantId(r[0][14].as<std::string>());
    stored.token_hash = bytes_of(r[0][15]);
    return std::optional<StoredInvitation>(std::move(stored));
  });
}

Result<std::optional<Invitation>> PgTransaction::find_invitation(const TenantId& tenant,
                                                                 OrgId org, InvitationId id) {
  return guarded("read invitation", [&]() -> Result<std::optional<Invitation>> {
    const auto r = run("SELECT " ORGKIT_PG_INVITATION_COLUMNS
                       " FROM invitations WHERE id = $1 AND org_id = $2 AND tenant = $3",
                       id.value(), org.value(), tenant.value());
    if (r.empty()) return std::optional<Invitation>();
    return std::optional<Invitation>(read_invitation(r[0]));
  });
}

Result<std::optional<Invitation>> PgTransaction::find_pending_email_invitation(
    OrgId org, std::string_view email_key) {
  return guarded("read invitation", [&]() -> Result<std::optional<Invitation>> {
    const auto r = run("SELECT " ORGKIT_PG_INVITATION_COLUMNS
                       " FROM invitations WHERE org_id = $1 AND email_key = $2 AND "
                       "state = 'pending' AND kind = 'email'",
                       org.value(), std::string(email_key));
    if (r.empty()) return std::optional<Invitation>();
    return std::optional<Invitation>(read_invitation(r[0]));
  });
}

Result<void> PgTransaction::reissue_invitation(OrgId org, InvitationId id, const Invitation& inv,
                                               std::string_view token_hash) {
  return guarded(
      "reissue invitation",
      [&]() -> Result<void> {
        const auto r = write(
            "UPDATE invitations SET token_hash = $1, role = $2, department = $3, message = $4, "
            "invited_by = $5, created_at = $6, expires_at = $7, invited_by_kind = $8 "
            "WHERE id = $9 AND org_id = $10 AND state = 'pending'",
            bytea(token_hash), inv.role, inv.department, inv.message, inv.invited_by.value(),
            to_unix_ms(inv.created_at), to_unix_ms(inv.expires_at),
            std::string(to_string(inv.invited_by_kind)), id.value(), org.value());
        if (r.affected_rows() != 1) {
          return fail(Error::not_found("invitation_id", "no pending invitation with this id"));
        }
        return {};
      },
      "token");
}

Result<bool> PgTransaction::close_invitation(OrgId org, InvitationId id, InvitationState to,
                                             const UserId& by, Timestamp at) {
  return guarded("close invitation", [&]() -> Result<bool> {
    const auto r = write(
        "UPDATE invitations SET state = $1, closed_by = $2, closed_at = $3 "
        "WHERE id = $4 AND org_id = $5 AND state = 'pending'",
        std::string(to_string(to)), by.value(), to_unix_ms(at), id.value(), org.value());
    return r.affected_rows() == 1;
  });
}

Result<std::vector<Invitation>> PgTransaction::list_invitations(
    OrgId org, std::optional<InvitationState> state, Timestamp now,
    std::optional<InvitationId> before, int limit) {
  return guarded("list invitations", [&]() -> Result<std::vector<Invitation>> {
    // $3 is the state filter: '' for all; 'pending' and 'expired' compare with now ($4).
    const auto r = run("SELECT " ORGKIT_PG_INVITATION_COLUMNS
                       " FROM invitations WHERE org_id = $1 AND id < $2 AND ("
                       "$3::text = '' OR "
                       "($3 = 'pending' AND state = 'pending' AND expires_at > $4) OR "
                       "($3 = 'expired' AND state = 'pending' AND expires_at <= $4) OR "
                       "($3 NOT IN ('pending', 'expired') AND state = $3)) "
                       "ORDER BY id DESC LIMIT $5",
                       org.value(), before ? before->value() : INT64_MAX,
                       state ? std::string(to_string(*state)) : std::string(),
                       to_unix_ms(now), limit);
    std::vector<Invitation> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(read_invitation(row));
    return out;
  });
}

Result<std::int64_t> PgTransaction::count_pending_invitations(OrgId org, Timestamp now) {
  return guarded("count invitations", [&]() -> Result<std::int64_t> {
    return run("SELECT count(*) FROM invitations WHERE org_id = $1 AND state = 'pending' AND "
               "expires_at > $2",
               org.value(), to_unix_ms(now))[0][0]
        .as<std::int64_t>();
  });
}

}  // namespace orgkit::postgres
