// PgTransaction: memberships (the email key computed here, never by the database's lower())
// and the audit trail.
#include <array>

#include "postgres/rows.hpp"
#include "postgres/transaction.hpp"

namespace orgkit::postgres {

Result<void> PgTransaction::insert_membership(const TenantId& tenant, const Membership& m) {
  return guarded(
      "add member",
      [&]() -> Result<void> {
        // Only into an organization of that tenant: a row under another tenant would make the
        // organization answer for it.
        const auto r = write(
            "INSERT INTO memberships (org_id, user_id, tenant, email, email_key, display_name, "
            "role, joined_at, department) "
            "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 "
            "WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1 AND tenant = $3)",
            m.org.value(), m.user.value(), tenant.value(), m.email, email_key(m.email),
            m.display_name, m.role, to_unix_ms(m.joined_at), m.department);
        if (r.affected_rows() == 0) return fail(not_in_tenant());
        return {};
      },
      "user_id");
}

Result<std::optional<Membership>> PgTransaction::find_membership(const TenantId& tenant,
                                                                 OrgId org, const UserId& user) {
  return guarded("read member", [&]() -> Result<std::optional<Membership>> {
    const auto r = run("SELECT " ORGKIT_PG_MEMBER_COLUMNS
                       " FROM memberships WHERE org_id = $1 AND user_id = $2 AND tenant = $3",
                       org.value(), user.value(), tenant.value());
    if (r.empty()) return std::optional<Membership>();
    return std::optional<Membership>(read_membership(r[0]));
  });
}

Result<void> PgTransaction::update_membership_role(OrgId org, const UserId& user,
                                                   std::string_view role) {
  return guarded("change role", [&]() -> Result<void> {
    const auto r = write("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3",
                         std::string(role), org.value(), user.value());
    if (r.affected_rows() != 1) return fail(Error::not_found("user_id", "no such member"));
    return {};
  });
}

Result<void> PgTransaction::update_membership_department(OrgId org, const UserId& user,
                                                         std::string_view department) {
  return guarded("change department", [&]() -> Result<void> {
    const auto r =
        write("UPDATE memberships SET department = $1 WHERE org_id = $2 AND user_id = $3",
              std::string(department), org.value(), user.value());
    if (r.affected_rows() != 1) return fail(Error::not_found("user_id", "no such member"));
    return {};
  });
}

Result<void> PgTransaction::delete_membership(OrgId org, const UserId& user) {
  return guarded("remove member", [&]() -> Result<void> {
    const auto r = write("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2",
                         org.value(), user.value());
    if (r.affected_rows() != 1) return fail(Error::not_found("user_id", "no such member"));
    return {};
  });
}

Result<std::vector<Membership>> PgTransaction::list_memberships(
    OrgId org, const std::optional<std::string>& role, const std::string& after_user, int limit) {
  return guarded("list members", [&]() -> Result<std::vector<Membership>> {
    const auto r =
        role ? run("SELECT " ORGKIT_PG_MEMBER_COLUMNS
                   " FROM memberships WHERE org_id = $1 AND role = $4 AND user_id > $2 "
                   "ORDER BY user_id LIMIT $3",
                   org.value(), after_user, limit, *role)
             : run("SELECT " ORGKIT_PG_MEMBER_COLUMNS
                   " FROM memberships WHERE org_id = $1 AND user_id > $2 "
                   "ORDER BY user_id LIMIT $3",
                   org.value(), after_user, limit);
    std::vector<Membership> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(read_membership(row));
    return out;
  });
}

Result<std::int64_t> PgTransaction::count_memberships(OrgId org,
                                                      const std::optional<std::string>& role) {
  return guarded("count members", [&]() -> Result<std::int64_t> {
    const auto r =
        role ? run("SELECT count(*) FROM memberships WHERE org_id = $1 AND role = $2",
                   org.value(), *role)
             : run("SELECT count(*) FROM memberships WHERE org_id = $1", org.value());
    return r[0][0].as<std::int64_t>();
  });
}

Result<std::optional<Membership>> PgTransaction::find_membership_by_email(
    OrgId org, std::string_view email_key) {
  return guarded("read member", [&]() -> Result<std::optional<Membership>> {
    const auto r = run("SELECT " ORGKIT_PG_MEMBER_COLUMNS
                       " FROM memberships WHERE org_id = $1 AND email_key = $2",
                       org.value(), std::string(email_key));
    if (r.empty()) return std::optional<Membership>();
    return std::optional<Membership>(read_membership(r[0]));
  });
}

// One statement per event, its changes included (as arrays, unnested in order): a CSV import
// writes an event per row, and each round trip to the server counts there.
Result<AuditEventId> PgTransaction::append_audit_event(const AuditEvent& e) {
  return guarded("write audit event", [&]() -> Result<AuditEventId> {
    std::vector<std::optional<std::string>> fields, befores, afters;
    for (const auto& c : e.changes) {
      fields.emplace_back(c.field);
      befores.push_back(c.before);
      afters.push_back(c.after);
    }
    const auto r = write(
        "WITH e AS (INSERT INTO audit_events (tenant, org_id, actor, action, target, at, "
        "actor_kind) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id), "
        "c AS (INSERT INTO audit_changes (event_id, seq, field, before, after) "
        "SELECT e.id, c.n - 1, c.field, c.before, c.after FROM e, "
        "unnest($8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS c (field, before, after, n)) "
        "SELECT id FROM e",
        e.tenant.value(), e.org.value(), e.actor.value(), e.action, e.target, to_unix_ms(e.at),
        std::string(to_string(e.actor_kind)), text_array(fields), text_array(befores),
        text_array(afters));
    wrote_ = true;  // the SELECT reports no affected rows; its inserts happened
    return AuditEventId(r[0][0].as<std::int64_t>());
  });
}

namespace {

// The audit listing with only the conditions a filter sets, one SQL text per combination,
// each prepared once per connection (statements are keyed by the address of their text,
// which stays put in this table). Unset conditions are left out rather than written as
// "$4 IS NULL OR action = $4", so that one plan fits each combination: it walks
// audit_events_by_org (tenant, org_id, id) backwards from `before`.
enum AuditCondition : unsigned { by_action = 1, by_target = 2, by_since = 4, by_until = 8 };

const char* audit_select(unsigned conditions) {
  static const std::array<std::string, 16> texts = [] {
    std::array<std::string, 16> out;
    for (unsigned c = 0; c < out.size(); ++c) {
      std::string sql =
          "SELECT id, tenant, org_id, actor, action, target, at, actor_kind FROM audit_events "
          "WHERE tenant = $1 AND org_id = $2 AND id < $3";
      // A condition left out still names its parameter, sent as NULL, in a test that is
      // always true: PostgreSQL must see every parameter to know its type. The planner
      // makes it a one-time filter.
      sql += (c & by_action) ? " AND action = $4" : " AND $4::text IS NULL";
      sql += (c & by_target) ? " AND target = $5" : " AND $5::text IS NULL";
      sql += (c & by_since) ? " AND at >= $6" : " AND $6::bigint IS NULL";
      sql += (c & by_until) ? " AND at < $7" : " AND $7::bigint IS NULL";
      sql += " ORDER BY id DESC LIMIT $8";
      out[c] = std::move(sql);
    }
    return out;
  }();
  return texts[conditions & 15u].c_str();
}

}  // namespace

Result<std::vector<AuditEvent>> PgTransaction::list_audit_events(const TenantId& tenant,
                                                                 OrgId org,
                                                                 const AuditFilter& filter,
                                                                 int limit) {
  return guarded("list audit events", [&]() -> Result<std::vector<AuditEvent>> {
    const unsigned conditions = (filter.action ? by_action : 0u) |
                                (filter.target ? by_target : 0u) |
                                (filter.since ? by_since : 0u) | (filter.until ? by_until : 0u);
    const nullable_param action = param_of(filter.action);
    const nullable_param target = param_of(filter.target);
    const nullable_param since = param_of(filter.since);
    const nullable_param until = param_of(filter.until);
    const auto r = run(audit_select(conditions), tenant.value(), org.value(),
                       filter.before ? filter.before->value() : INT64_MAX, action.get(),
                       target.get(), since.get(), until.get(), limit);
    std::vector<AuditEvent> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(read_audit_event(row));
    for (auto& e : out) {
      const auto changes = run(
          "SELECT field, before, after FROM audit_changes WHERE event_id = $1 ORDER BY seq",
          e.id.value());
      for (const auto& c : changes) {
        e.changes.push_back({c[0].as<std::string>(), nullable_text(c[1]), nullable_text(c[2])});
      }
    }
    return out;
  });
}

}  // namespace orgkit::postgres
