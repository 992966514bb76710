#include "sqlite/rows.hpp"

#include <sqlite3.h>

#include "sqlite/packed.hpp"

namespace orgkit::sqlite {

Organization read_org(SQLite::Statement& s) {
  Organization o;
  o.id = OrgId(s.getColumn(0).getInt64());
  o.tenant = TenantId(s.getColumn(1).getString());
  o.name = s.getColumn(2).getString();
  o.slug = s.getColumn(3).getString();
  o.description = s.getColumn(4).getString();
  o.legal_name = s.getColumn(5).getString();
  o.alerting_email = s.getColumn(6).getString();
  o.invoicing_email = s.getColumn(7).getString();
  o.plan = s.getColumn(8).getString();
  o.personal = s.getColumn(9).getInt() != 0;
  o.created_by = UserId(s.getColumn(10).getString());
  o.created_at = from_unix_ms(s.getColumn(11).getInt64());
  auto metadata = unpack_metadata(blob_view(s.getColumn(12)));
  if (!metadata) throw SQLite::Exception("an organization's metadata is damaged", SQLITE_CORRUPT);
  o.metadata = std::move(*metadata);
  return o;
}

Membership read_membership(SQLite::Statement& s) {
  Membership m;
  m.org = OrgId(s.getColumn(0).getInt64());
  m.user = UserId(s.getColumn(1).getString());
  m.email = s.getColumn(2).getString();
  m.display_name = s.getColumn(3).getString();
  m.role = s.getColumn(4).getString();
  m.joined_at = from_unix_ms(s.getColumn(5).getInt64());
  m.department = s.getColumn(6).getString();
  return m;
}

InvitationState parse_state(const std::string& s) {
  if (s == "accepted") return InvitationState::accepted;
  if (s == "declined") return InvitationState::declined;
  if (s == "revoked") return InvitationState::revoked;
  return InvitationState::pending;
}

// Columns in the order of ORGKIT_INVITATION_COLUMNS, starting at column 0.
Invitation read_invitation(SQLite::Statement& s) {
  Invitation i;
  i.id = InvitationId(s.getColumn(0).getInt64());
  i.org = OrgId(s.getColumn(1).getInt64());
  i.kind = s.getColumn(2).getString() == "link" ? InvitationKind::link : InvitationKind::email;
  i.email = s.getColumn(3).getString();
  i.role = s.getColumn(4).getString();
  i.department = s.getColumn(5).getString();
  i.message = s.getColumn(6).getString();
  i.state = parse_state(s.getColumn(7).getString());
  i.invited_by = UserId(s.getColumn(8).getString());
  i.created_at = from_unix_ms(s.getColumn(9).getInt64());
  i.expires_at = from_unix_ms(s.getColumn(10).getInt64());
  if (!s.getColumn(11).isNull()) i.closed_by = UserId(s.getColumn(11).getString());
  if (!s.getColumn(12).isNull()) i.closed_at = from_unix_ms(s.getColumn(12).getInt64());
  const std::string kind = s.getColumn(13).getString();
  i.invited_by_kind = kind == "host"           ? PrincipalKind::host
                      : kind == "tenant_admin" ? PrincipalKind::tenant_admin
                                               : PrincipalKind::member;
  return i;
}

CustomRole read_custom_role(SQLite::Statement& s) {
  CustomRole r;
  r.name = s.getColumn(0).getString();
  r.rank = s.getColumn(1).getInt();
  const std::string words = s.getColumn(2).getString();
  std::size_t start = 0;
  while (start < words.size()) {
    std::size_t end = words.find(' ', start);
    if (end == std::string::npos) end = words.size();
    if (end > start) r.permissions.push_back(words.substr(start, end - start));
    start = end + 1;
  }
  r.created_at = from_unix_ms(s.getColumn(3).getInt64());
  return r;
}

// Permission names have no spaces (validate::permission_name), so a space separates them.
std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::optional<Timestamp> nullable_time(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return from_unix_ms(c.getInt64());
}

ApiKey read_api_key(SQLite::Statement& s) {
  ApiKey k;
  k.id = ApiKeyId(s.getColumn(0).getInt64());
  k.org = OrgId(s.getColumn(1).getInt64());
  k.name = s.getColumn(2).getString();
  k.role = s.getColumn(3).getString();
  k.prefix = s.getColumn(4).getString();
  k.created_by = UserId(s.getColumn(5).getString());
  k.created_at = from_unix_ms(s.getColumn(6).getInt64());
  k.expires_at = nullable_time(s.getColumn(7));
  k.revoked_at = nullable_time(s.getColumn(8));
  k.last_used_at = nullable_time(s.getColumn(9));
  return k;
}

std::string_view blob_view(const SQLite::Column& c) {
  const int n = c.getBytes();
  if (n <= 0) return {};
  return std::string_view(static_cast<const char*>(c.getBlob()), static_cast<std::size_t>(n));
}

PrincipalKind parse_principal_kind(const std::string& s) {
  if (s == "host") return PrincipalKind::host;
  if (s == "tenant_admin") return PrincipalKind::tenant_admin;
  return PrincipalKind::member;
}

TenantKey read_tenant_key(SQLite::Statement& s) {
  TenantKey k;
  k.id = TenantKeyId(s.getColumn(0).getInt64());
  k.tenant = TenantId(s.getColumn(1).getString());
  k.name = s.getColumn(2).getString();
  k.prefix = s.getColumn(3).getString();
  k.created_by = UserId(s.getColumn(4).getString());
  k.created_by_kind = parse_principal_kind(s.getColumn(5).getString());
  k.created_at = from_unix_ms(s.getColumn(6).getInt64());
  k.expires_at = nullable_time(s.getColumn(7));
  k.revoked_at = nullable_time(s.getColumn(8));
  return k;
}

// A BLOB column (a hash) as bytes.
std::string blob(const SQLite::Column& c) {
  return std::string(static_cast<const char*>(c.getBlob()), static_cast<std::size_t>(c.getBytes()));
}

std::optional<std::string> nullable_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

}  // namespace orgkit::sqlite
