// The one JSON mapping of orgkit's values used by orgctl and the REST example (see the header
// for the conventions). Field names follow the model's member names, so the C++ API, the
// command line and the HTTP API share one vocabulary.
#include "model_json.hpp"

#include <ctime>
#include <iomanip>
#include <sstream>

namespace orgkit::tools {

namespace {

json id_json(std::int64_t id) { return std::to_string(id); }

json optional_time(const std::optional<Timestamp>& t) {
  return t ? json(time_text(*t)) : json(nullptr);
}

json optional_text(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

json strings(const std::vector<std::string>& list) {
  json out = json::array();
  for (const auto& s : list) out.push_back(s);
  return out;
}

}  // namespace

std::string time_text(Timestamp t) {
  const std::int64_t ms = to_unix_ms(t);
  std::int64_t seconds = ms / 1000;
  std::int64_t rest = ms % 1000;
  if (rest < 0) {  // before 1970: floor, so the milliseconds stay positive
    rest += 1000;
    --seconds;
  }
  const std::time_t tt = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::ostringstream out;
  out << std::string(buf, n) << '.' << std::setw(3) << std::setfill('0') << rest << 'Z';
  return out.str();
}

std::optional<Timestamp> parse_time(const std::string& text) {
  std::istringstream in(text);
  std::tm tm{};
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  std::string rest;
  std::getline(in, rest);
  int ms = 0;
  if (!rest.empty() && rest[0] == '.') {
    std::size_t digits = 1;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits != 4) return std::nullopt;  // exactly milliseconds
    ms = std::stoi(rest.substr(1, 3));
    rest = rest.substr(digits);
  }
  if (rest != "Z" && rest != "+00:00") return std::nullopt;
  const std::time_t seconds = timegm(&tm);
  return from_unix_ms(static_cast<std::int64_t>(seconds) * 1000 + ms);
}

json as_json(const Error& e) {
  return json{{"code", std::string(to_string(e.code))}, {"field", e.field}, {"message", e.message}};
}

json as_json(const Organization& o) {
  json metadata = json::object();
  for (const auto& [k, v] : o.metadata) metadata[k] = v;
  return json{{"id", id_json(o.id.value())},
              {"tenant", o.tenant.value()},
              {"name", o.name},
              {"slug", o.slug},
              {"description", o.description},
              {"legal_name", o.legal_name},
              {"alerting_email", o.alerting_email},
              {"invoicing_email", o.invoicing_email},
              {"plan", o.plan},
              {"metadata", std::move(metadata)},
              {"personal", o.personal},
              {"created_by", o.created_by.value()},
              {"created_at", time_text(o.created_at)}};
}

json as_json(const MyOrganization& mo) {
  return json{{"organization", as_json(mo.organization)}, {"role", mo.role}, {"active", mo.active}};
}

json as_json(const Membership& m) {
  return json{{"org_id", id_json(m.org.value())},  {"user_id", m.user.value()},
              {"email", m.email},                  {"display_name", m.display_name},
              {"role", m.role},                    {"department", m.department},
              {"joined_at", time_text(m.joined_at)}};
}

json as_json(const RosterEntry& r) {
  return json{{"status", std::string(to_string(r.status))},
              {"user_id", r.user ? json(r.user->value()) : json(nullptr)},
              {"email", r.email},
              {"display_name", r.display_name},
              {"role", r.role},
              {"since", time_text(r.since)},
              {"expires_at", optional_time(r.expires_at)},
              {"invitation_id", r.invitation ? id_json(r.invitation->value()) : json(nullptr)}};
}

json as_json(const BulkResult& r) {
  json rows = json::array();
  for (const auto& row : r.rows) {
    rows.push_back(json{{"user_id", row.user.value()},
                        {"applied", row.applied()},
                        {"error", row.error ? as_json(*row.error) : json(nullptr)}});
  }
  return json{{"applied", r.applied}, {"failed", r.failed}, {"rows", std::move(rows)}};
}

json as_json(const Invitation& i) {
  return json{{"id", id_json(i.id.value())},
              {"org_id", id_json(i.org.value())},
              {"kind", std::string(to_string(i.kind))},
              {"email", i.email},
              {"role", i.role},
              {"department", i.department},
              {"message", i.message},
              {"state", std::string(to_string(i.state))},
              {"invited_by", i.invited_by.value()},
              {"invited_by_kind", std::string(to_string(i.invited_by_kind))},
              {"created_at", time_text(i.created_at)},
              {"expires_at", time_text(i.expires_at)},
              {"closed_by", i.closed_by ? json(i.closed_by->value()) : json(nullptr)},
              {"closed_at", optional_time(i.closed_at)}};
}

json as_json(const IssuedInvitation& i) {
  json out = as_json(i.invitation);
  out["token"] = i.token;
  out["accept_url"] = i.accept_url;
  out["refreshed"] = i.refreshed;
  out["delivery_error"] = optional_text(i.delivery_error);
  return out;
}

json as_json(const InvitationPreview& p) {
  return json{{"id", id_json(p.id.value())},
              {"kind", std::string(to_string(p.kind))},
              {"email", p.email},
              {"org_id", id_json(p.org.value())},
              {"organization_name", p.organization_name},
              {"organization_slug", p.organization_slug},
              {"role", p.role},
              {"department", p.department},
              {"message", p.message},
              {"invited_by", p.invited_by.value()},
              {"invited_by_kind", std::string(to_string(p.invited_by_kind))},
              {"inviter_name", p.inviter_name},
              {"expires_at", time_text(p.expires_at)}};
}

json as_json(const AcceptedInvitation& a) {
  return json{{"membership", as_json(a.membership)},
              {"invitation", as_json(a.invitation)},
              {"email_verified", a.email_verified}};
}

json as_json(const CustomRole& r) {
  return json{{"name", r.name},
              {"rank", r.rank},
              {"permissions", strings(r.permissions)},
              {"created_at", time_text(r.created_at)}};
}

json as_json(const RoleInfo& r) {
  return json{{"name", r.name},
              {"rank", r.rank},
              {"permissions", strings(r.permissions)},
              {"custom", r.custom}};
}

json as_json(const ApiKey& k) {
  return json{{"id", id_json(k.id.value())},
              {"org_id", id_json(k.org.value())},
              {"name", k.name},
              {"role", k.role},
              {"prefix", k.prefix},
              {"created_by", k.created_by.value()},
              {"created_at", time_text(k.created_at)},
              {"expires_at", optional_time(k.expires_at)},
              {"revoked_at", optional_time(k.revoked_at)},
              {"last_used_at", optional_time(k.last_used_at)}};
}

json as_json(const IssuedApiKey& k) {
  json out = as_json(k.key);
  out["key"] = k.secret;
  return out;
}

json as_json(const VerifiedApiKey& k) {
  json out = as_json(k.key);
  out["tenant"] = k.tenant.value();
  out["permissions"] = strings(k.permissions);
  return out;
}

json as_json(const TenantKey& k) {
  return json{{"id", id_json(k.id.value())},
              {"tenant", k.tenant.value()},
              {"name", k.name},
              {"prefix", k.prefix},
              {"created_by", k.created_by.value()},
              {"created_by_kind", std::string(to_string(k.created_by_kind))},
              {"created_at", time_text(k.created_at)},
              {"expires_at", optional_time(k.expires_at)},
              {"revoked_at", optional_time(k.revoked_at)}};
}

json as_json(const IssuedTenantKey& k) {
  json out = as_json(k.key);
  out["key"] = k.secret;
  return out;
}

json as_json(const AuditEvent& e) {
  json changes = json::array();
  for (const auto& c : e.changes) {
    changes.push_back(
        json{{"field", c.field}, {"before", optional_text(c.before)}, {"after", optional_text(c.after)}});
  }
  return json{{"id", id_json(e.id.value())},
              {"tenant", e.tenant.value()},
              {"org_id", e.org.valid() ? id_json(e.org.value()) : json(nullptr)},
              {"actor", e.actor.value()},
              {"actor_kind", std::string(to_string(e.actor_kind))},
              {"action", e.action},
              {"target", e.target},
              {"changes", std::move(changes)},
              {"at", time_text(e.at)}};
}

json as_json(const CsvImportResult& r) {
  json rows = json::array();
  for (const auto& row : r.rows) {
    const char* outcome = row.outcome == CsvRowResult::Outcome::invited     ? "invited"
                          : row.outcome == CsvRowResult::Outcome::refreshed ? "refreshed"
                                                                            : "failed";
    rows.push_back(json{{"line", row.line},
                        {"email", row.email},
                        {"outcome", outcome},
                        {"invitation_id", row.invitation ? id_json(row.invitation->value())
                                                         : json(nullptr)},
                        {"accept_url", row.accept_url},
                        {"error", row.error ? as_json(*row.error) : json(nullptr)},
                        {"delivery_error", optional_text(row.delivery_error)}});
  }
  return json{{"invited", r.invited},
              {"refreshed", r.refreshed},
              {"failed", r.failed},
              {"rows", std::move(rows)}};
}

json as_json(const Claims& c) { return json::parse(c.to_json()); }

json active_organization_json(const std::optional<OrgId>& org) {
  return json{{"org_id", org ? id_json(org->value()) : json(nullptr)}};
}

}  // namespace orgkit::tools
