// model_json.hpp: orgkit's values as JSON, for orgctl's --json output and the REST example.
//
// One mapping for both, so that a script written against `orgctl --json` reads the same field
// names as a client of the Admin API. Not part of the installed library: the library itself
// stays free of a JSON dependency in its public headers (Claims::to_json is its only JSON).
//
// Conventions: ids are strings ("42"; 64-bit ids do not survive a JavaScript number), times
// are RFC 3339 in UTC with milliseconds ("2025-01-31T12:00:00.000Z"), absent optional values
// are null, enums are their to_string() names. Secrets appear only in the as_json of the
// Issued* values, which exist only when the secret is created.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <orgkit/orgkit.hpp>

namespace orgkit::tools {

using json = nlohmann::json;

/// RFC 3339, UTC, milliseconds.
std::string time_text(Timestamp t);

/// A time written by time_text (or without milliseconds, or with "+00:00"), else nullopt.
std::optional<Timestamp> parse_time(const std::string& text);

/// {"code", "field", "message"}: the error body of the REST example and of `orgctl --json`.
json as_json(const Error& e);

json as_json(const Organization& o);
json as_json(const MyOrganization& mo);
json as_json(const Membership& m);
/// A row of the member table: "status" ("active" or "pending"), "user_id" (null for an
/// invitee), "email", "display_name", "role", "since", "expires_at" and "invitation_id" (null
/// for a member).
json as_json(const RosterEntry& r);
/// {"applied", "failed", "rows": [{"user_id", "applied", "error" (null when applied)}]}, the
/// rows in the order given: a refused row is never shown as applied.
json as_json(const BulkResult& r);
json as_json(const Invitation& i);
/// The invitation, plus "token" and "accept_url" (secrets, shown this once) and "refreshed".
json as_json(const IssuedInvitation& i);
json as_json(const InvitationPreview& p);
json as_json(const AcceptedInvitation& a);
json as_json(const CustomRole& r);
json as_json(const RoleInfo& r);
json as_json(const ApiKey& k);
/// The key's fields plus "key": the whole secret key, shown this once.
json as_json(const IssuedApiKey& k);
json as_json(const VerifiedApiKey& k);
json as_json(const TenantKey& k);
/// The key's fields plus "key": the whole secret key, shown this once.
json as_json(const IssuedTenantKey& k);
json as_json(const AuditEvent& e);
json as_json(const CsvImportResult& r);
json as_json(const Claims& c);
/// {"org_id": "42"} for the active organization, {"org_id": null} when none is set.
json active_organization_json(const std::optional<OrgId>& org);

/// {"items": [...], "next_cursor": "..." or null}.
template <class T>
json as_json(const Page<T>& page) {
  json items = json::array();
  for (const auto& item : page.items) items.push_back(as_json(item));
  return json{{"items", std::move(items)},
              {"next_cursor", page.next_cursor ? json(*page.next_cursor) : json(nullptr)}};
}

/// {"items": [...]} of a whole list.
template <class T>
json list_json(const std::vector<T>& list) {
  json items = json::array();
  for (const auto& item : list) items.push_back(as_json(item));
  return json{{"items", std::move(items)}};
}

}  // namespace orgkit::tools
