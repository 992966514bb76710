// Row mapping of the PostgreSQL store: each orgkit value from its columns, read in the order
// the queries select them, and the few conversions of parameters (nullable values, bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/binarystring>
#include <pqxx/field>
#include <pqxx/row>

#include <orgkit/model.hpp>

namespace orgkit::postgres {

// Organization rows are read with these columns, in this order (read_org).
#define ORGKIT_PG_ORG_COLUMNS                                                             \
  "o.id, o.tenant, o.name, o.slug, o.description, o.legal_name, o.alerting_email, "      \
  "o.invoicing_email, o.plan, o.personal, o.created_by, o.created_at"
// Membership rows (read_membership).
#define ORGKIT_PG_MEMBER_COLUMNS \
  "org_id, user_id, email, display_name, role, joined_at, department"
// Invitation rows (read_invitation).
#define ORGKIT_PG_INVITATION_COLUMNS                                                    \
  "id, org_id, kind, email, role, department, message, state, invited_by, created_at, " \
  "expires_at, closed_by, closed_at, invited_by_kind"
// API key rows (read_api_key).
#define ORGKIT_PG_API_KEY_COLUMNS                                                    \
  "id, org_id, name, role, prefix, created_by, created_at, expires_at, revoked_at, " \
  "last_used_at"

// Tenant key rows (read_tenant_key).
#define ORGKIT_PG_TENANT_KEY_COLUMNS \
  "id, tenant, name, prefix, created_by, created_by_kind, created_at, expires_at, revoked_at"

Organization read_org(const pqxx::row& r);
TenantKey read_tenant_key(const pqxx::row& r);
Membership read_membership(const pqxx::row& r);
Invitation read_invitation(const pqxx::row& r);
CustomRole read_custom_role(const pqxx::row& r);
ApiKey read_api_key(const pqxx::row& r);
AuditEvent read_audit_event(const pqxx::row& r);

PrincipalKind parse_principal(std::string_view s);

// Permission names have no spaces (validate::permission_name), so a space separates them.
std::string join_words(const std::vector<std::string>& words);

std::optional<std::string> nullable_text(const pqxx::field& f);
std::optional<Timestamp> nullable_time(const pqxx::field& f);

// A bytea column (a hash) as bytes.
std::string bytes_of(const pqxx::field& f);
// Bytes (a hash) as a bytea parameter.
inline pqxx::binarystring bytea(std::string_view bytes) {
  return pqxx::binarystring(bytes.data(), bytes.size());
}

// A nullable parameter: libpqxx sends a null `const char*` as SQL NULL. The text lives in
// the holder, which must outlive the statement.
struct nullable_param {
  std::optional<std::string> text;
  [[nodiscard]] const char* get() const { return text ? text->c_str() : nullptr; }
};
inline nullable_param param_of(const std::optional<Timestamp>& t) {
  return t ? nullable_param{std::to_string(to_unix_ms(*t))} : nullable_param{};
}
inline nullable_param param_of(const std::optional<std::string>& s) { return nullable_param{s}; }

// Texts, some null, as a text[] parameter: {"a",NULL,"b \\"q\\""}.
std::string text_array(const std::vector<std::optional<std::string>>& items);

// An array of ids as a bigint[] parameter: "{1,2,3}".
std::string id_array(const std::vector<OrgId>& ids);

}  // namespace orgkit::postgres
