// Row mapping of the PostgreSQL store (rows.hpp): the same values the SQLite store reads.
#include "postgres/rows.hpp"

#include <algorithm>

namespace orgkit::postgres {

Organization read_org(const pqxx::row& r) {
  Organization o;
  o.id = OrgId(r[0].as<std::int64_t>());
  o.tenant = TenantId(r[1].as<std::string>());
  o.name = r[2].as<std::string>();
  o.slug = r[3].as<std::string>();
  o.description = r[4].as<std::string>();
  o.legal_name = r[5].as<std::string>();
  o.alerting_email = r[6].as<std::string>();
  o.invoicing_email = r[7].as<std::string>();
  o.plan = r[8].as<std::string>();
  o.personal = r[9].as<bool>();
  o.created_by = UserId(r[10].as<std::string>());
  o.created_at = from_unix_ms(r[11].as<std::int64_t>());
  return o;
}

Membership read_membership(const pqxx::row& r) {
  Membership m;
  m.org = OrgId(r[0].as<std::int64_t>());
  m.user = UserId(r[1].as<std::string>());
  m.email = r[2].as<std::string>();
  m.display_name = r[3].as<std::string>();
  m.role = r[4].as<std::string>();
  m.joined_at = from_unix_ms(r[5].as<std::int64_t>());
  m.department = r[6].as<std::string>();
  return m;
}

namespace {

InvitationState parse_state(const std::string& s) {
  if (s == "accepted") return InvitationState::accepted;
  if (s == "declined") return InvitationState::declined;
  if (s == "revoked") return InvitationState::revoked;
  return InvitationState::pending;
}

}  // namespace

PrincipalKind parse_principal(std::string_view s) {
  if (s == "host") return PrincipalKind::host;
  if (s == "tenant_admin") return PrincipalKind::tenant_admin;
  return PrincipalKind::member;
}

Invitation read_invitation(const pqxx::row& r) {
  Invitation i;
  i.id = InvitationId(r[0].as<std::int64_t>());
  i.org = OrgId(r[1].as<std::int64_t>());
  i.kind = std::string_view(r[2].c_str()) == "link" ? InvitationKind::link : InvitationKind::email;
  i.email = r[3].as<std::string>();
  i.role = r[4].as<std::string>();
  i.department = r[5].as<std::string>();
  i.message = r[6].as<std::string>();
  i.state = parse_state(r[7].as<std::string>());
  i.invited_by = UserId(r[8].as<std::string>());
  i.created_at = from_unix_ms(r[9].as<std::int64_t>());
  i.expires_at = from_unix_ms(r[10].as<std::int64_t>());
  if (!r[11].is_null()) i.closed_by = UserId(r[11].as<std::string>());
  if (!r[12].is_null()) i.closed_at = from_unix_ms(r[12].as<std::int64_t>());
  i.invited_by_kind = parse_principal(r[13].c_str());
  return i;
}

CustomRole read_custom_role(const pqxx::row& r) {
  CustomRole role;
  role.name = r[0].as<std::string>();
  role.rank = r[1].as<int>();
  const std::string words = r[2].as<std::string>();
  std::size_t start = 0;
  while (start < words.size()) {
    std::size_t end = words.find(' ', start);
    if (end == std::string::npos) end = words.size();
    if (end > start) role.permissions.push_back(words.substr(start, end - start));
    start = end + 1;
  }
  role.created_at = from_unix_ms(r[3].as<std::int64_t>());
  return role;
}

ApiKey read_api_key(const pqxx::row& r) {
  ApiKey k;
  k.id = ApiKeyId(r[0].as<std::int64_t>());
  k.org = OrgId(r[1].as<std::int64_t>());
  k.name = r[2].as<std::string>();
  k.role = r[3].as<std::string>();
  k.prefix = r[4].as<std::string>();
  k.created_by = UserId(r[5].as<std::string>());
  k.created_at = from_unix_ms(r[6].as<std::int64_t>());
  k.expires_at = nullable_time(r[7]);
  k.revoked_at = nullable_time(r[8]);
  k.last_used_at = nullable_time(r[9]);
  return k;
}

TenantKey read_tenant_key(const pqxx::row& r) {
  TenantKey k;
  k.id = TenantKeyId(r[0].as<std::int64_t>());
  k.tenant = TenantId(r[1].as<std::string>());
  k.name = r[2].as<std::string>();
  k.prefix = r[3].as<std::string>();
  k.created_by = UserId(r[4].as<std::string>());
  k.created_by_kind = parse_principal(r[5].as<std::string>());
  k.created_at = from_unix_ms(r[6].as<std::int64_t>());
  k.expires_at = nullable_time(r[7]);
  k.revoked_at = nullable_time(r[8]);
  return k;
}

AuditEvent read_audit_event(const pqxx::row& r) {
  AuditEvent e;
  e.id = AuditEventId(r[0].as<std::int64_t>());
  e.tenant = TenantId(r[1].as<std::string>());
  e.org = OrgId(r[2].as<std::int64_t>());
  e.actor = UserId(r[3].as<std::string>());
  e.action = r[4].as<std::string>();
  e.target = r[5].as<std::string>();
  e.at = from_unix_ms(r[6].as<std::int64_t>());
  e.actor_kind = parse_principal(r[7].c_str());
  return e;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::optional<std::string> nullable_text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

std::optional<Timestamp> nullable_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_unix_ms(f.as<std::int64_t>());
}

std::string bytes_of(const pqxx::field& f) {
  const pqxx::binarystring b(f);
  return b.str();
}

std::string text_array(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    if (!items[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (const char c : *items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string id_array(const std::vector<OrgId>& ids) {
  std::vector<std::int64_t> sorted;
  sorted.reserve(ids.size());
  for (const auto& id : ids) sorted.push_back(id.value());
  std::sort(sorted.begin(), sorted.end());
  std::string out = "{";
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(sorted[i]);
  }
  out += '}';
  return out;
}

}  // namespace orgkit::postgres
