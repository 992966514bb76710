// Row mapping of the SQLite store: each orgkit value from its columns, read in the order
// the queries select them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <orgkit/model.hpp>

namespace orgkit::sqlite {

// Invitation rows are read with these columns, in this order (read_invitation).
#define ORGKIT_INVITATION_COLUMNS                                                       \
  "id, org_id, kind, email, role, department, message, state, invited_by, created_at, " \
  "expires_at, closed_by, closed_at, invited_by_kind"
// API key rows are read with these columns, in this order (read_api_key).
#define ORGKIT_API_KEY_COLUMNS                                                       \
  "id, org_id, name, role, prefix, created_by, created_at, expires_at, revoked_at, " \
  "last_used_at"

// Columns: id, tenant, name, slug, description, legal_name, alerting_email, invoicing_email,
// plan, personal, created_by, created_at, metadata (as TransactionSqlite's select_org_by_id).
Organization read_org(SQLite::Statement& s);

Membership read_membership(SQLite::Statement& s);

InvitationState parse_state(const std::string& s);

// Columns in the order of ORGKIT_INVITATION_COLUMNS, starting at column 0.
Invitation read_invitation(SQLite::Statement& s);

CustomRole read_custom_role(SQLite::Statement& s);

// Permission names have no spaces (validate::permission_name), so a space separates them.
std::string join_words(const std::vector<std::string>& words);

std::optional<Timestamp> nullable_time(const SQLite::Column& c);

ApiKey read_api_key(SQLite::Statement& s);

// Tenant key rows are read with these columns, in this order (read_tenant_key).
#define ORGKIT_TENANT_KEY_COLUMNS \
  "id, tenant, name, prefix, created_by, created_by_kind, created_at, expires_at, revoked_at"

TenantKey read_tenant_key(SQLite::Statement& s);

// "member", "tenant_admin" or "host" as stored (to_string(PrincipalKind)).
PrincipalKind parse_principal_kind(const std::string& s);

// A BLOB column (a hash) as bytes.
std::string blob(const SQLite::Column& c);

// A BLOB column's bytes, valid until the statement steps or resets.
std::string_view blob_view(const SQLite::Column& c);

std::optional<std::string> nullable_text(const SQLite::Column& c);

}  // namespace orgkit::sqlite
