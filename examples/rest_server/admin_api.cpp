// The shared plumbing of the REST example's routes: the error-to-status mapping, bearer
// authentication by tenant key, JSON bodies read field by field, path ids and page limits.
#include "admin_api.hpp"

#include <charconv>

namespace rest {

int http_status(orgkit::ErrorCode code) {
  using orgkit::ErrorCode;
  switch (code) {
    case ErrorCode::invalid_argument: return 400;
    case ErrorCode::permission_denied: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::already_exists: return 409;
    case ErrorCode::conflict: return 409;
    case ErrorCode::expired: return 410;
    case ErrorCode::revoked: return 410;
    case ErrorCode::already_used: return 410;
    case ErrorCode::limit_exceeded: return 429;
    case ErrorCode::not_supported: return 503;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::aborted: return 503;
    case ErrorCode::storage: return 503;
  }
  return 503;
}

namespace {

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  if (status != 204) res.set_content(body.dump(), "application/json");
}

// The key of "Authorization: Bearer <key>", or empty.
std::string bearer(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size() || header.compare(0, scheme.size(), scheme) != 0) return {};
  return header.substr(scheme.size());
}

}  // namespace

void send_error(httplib::Response& res, const orgkit::Error& e) {
  if (e.code == orgkit::ErrorCode::unavailable || e.code == orgkit::ErrorCode::aborted) {
    res.set_header("Retry-After", "1");
  }
  send_json(res, http_status(e.code), orgkit::tools::as_json(e));
}

void send_unauthorized(httplib::Response& res, const std::string& message) {
  res.set_header("WWW-Authenticate", "Bearer");
  send_json(res, 401,
            json{{"code", "unauthenticated"}, {"field", "authorization"}, {"message", message}});
}

void send(httplib::Response& res, const Answer& answer) {
  if (!answer) {
    send_error(res, answer.error());
  } else {
    send_json(res, answer->status, answer->body);
  }
}

httplib::Server::Handler admin_route(orgkit::Service& service, AdminHandler handler) {
  return [&service, handler](const httplib::Request& req, httplib::Response& res) {
    const orgkit::TenantId tenant(req.matches[1].str());
    const std::string key = bearer(req);
    if (key.empty()) {
      send_unauthorized(res, "send the tenant key: Authorization: Bearer otk_...");
      return;
    }
    auto admin = service.verify_tenant_key(key, tenant);
    if (!admin) {
      // Unknown, malformed, revoked, expired or another tenant's: not identified, 401.
      if (http_status(admin.error().code) == 503) {  // the store failed: not the caller's fault
        send_error(res, admin.error());
      } else {
        send_unauthorized(res, admin.error().message);
      }
      return;
    }
    send(res, handler(req, Caller{tenant, admin->actor}));
  };
}

orgkit::Result<std::int64_t> path_id(const httplib::Request& req, std::size_t index,
                                     const char* field) {
  const std::string text = req.matches[index].str();
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return orgkit::fail(orgkit::Error::not_found(field, "no such " + std::string(field) + " '" +
                                                            text + "'"));
  }
  return id;
}

orgkit::Result<orgkit::OrgId> org_id(const httplib::Request& req, std::size_t index) {
  auto id = path_id(req, index, "org_id");
  if (!id) return orgkit::fail(id.error());
  return orgkit::OrgId(*id);
}

orgkit::Result<int> limit_param(const httplib::Request& req) {
  if (!req.has_param("limit")) return 50;
  const std::string text = req.get_param_value("limit");
  int limit = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return orgkit::fail(orgkit::Error::invalid("limit", "must be a number, 1-1000"));
  }
  return limit;  // the library checks the range
}

// --- Body ----------------------------------------------------------------------------------

orgkit::Result<Body> Body::parse(const std::string& text) {
  json value;
  try {
    value = json::parse(text);
  } catch (const json::parse_error& e) {
    return orgkit::fail(orgkit::Error::invalid(
        "body", "is not valid JSON (at byte " + std::to_string(e.byte) + ")"));
  }
  if (!value.is_object()) {
    return orgkit::fail(orgkit::Error::invalid("body", "must be a JSON object"));
  }
  return Body(std::move(value), "");
}

orgkit::Result<void> Body::only(std::initializer_list<const char*> allowed) const {
  for (const auto& item : value_.items()) {
    bool known = false;
    for (const char* name : allowed) known = known || item.key() == name;
    if (!known) {
      return orgkit::fail(orgkit::Error::invalid(prefix_ + item.key(), "is not a known field"));
    }
  }
  return {};
}

orgkit::Result<std::optional<std::string>> Body::optional_text(const char* name) const {
  if (!value_.contains(name) || value_[name].is_null()) return std::optional<std::string>();
  if (!value_[name].is_string()) {
    return orgkit::fail(orgkit::Error::invalid(field(name), "must be a string"));
  }
  return std::optional<std::string>(value_[name].get<std::string>());
}

orgkit::Result<std::string> Body::text(const char* name) const {
  auto v = optional_text(name);
  if (!v) return orgkit::fail(v.error());
  if (!*v) return orgkit::fail(orgkit::Error::invalid(field(name), "is required"));
  return **v;
}

orgkit::Result<std::optional<std::int64_t>> Body::optional_int(const char* name) const {
  if (!value_.contains(name) || value_[name].is_null()) return std::optional<std::int64_t>();
  if (!value_[name].is_number_integer()) {
    return orgkit::fail(orgkit::Error::invalid(field(name), "must be an integer"));
  }
  return std::optional<std::int64_t>(value_[name].get<std::int64_t>());
}

orgkit::Result<std::optional<Body>> Body::object(const char* name, bool required) const {
  if (!value_.contains(name) || value_[name].is_null()) {
    if (required) return orgkit::fail(orgkit::Error::invalid(field(name), "is required"));
    return std::optional<Body>();
  }
  if (!value_[name].is_object()) {
    return orgkit::fail(orgkit::Error::invalid(field(name), "must be an object"));
  }
  return std::optional<Body>(Body(value_[name], field(name) + "."));
}

orgkit::Result<std::optional<std::map<std::string, std::string>>> Body::string_map(
    const char* name) const {
  using Map = std::map<std::string, std::string>;
  if (!value_.contains(name) || value_[name].is_null()) return std::optional<Map>();
  if (!value_[name].is_object()) {
    return orgkit::fail(orgkit::Error::invalid(field(name), "must be an object of strings"));
  }
  Map out;
  for (const auto& item : value_[name].items()) {
    if (!item.value().is_string()) {
      return orgkit::fail(
          orgkit::Error::invalid(field(name) + "." + item.key(), "must be a string"));
    }
    out[item.key()] = item.value().get<std::string>();
  }
  return std::optional<Map>(std::move(out));
}

// --- the server ----------------------------------------------------------------------------

void register_routes(httplib::Server& server, orgkit::Service& service,
                     const ApiOptions& options) {
  server.set_payload_max_length(max_body_bytes);
  // httplib's own refusals (no such route, a body over the limit, a malformed request) get
  // the same JSON shape as the routes' errors; a route's own error body is left alone.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const int status = res.status;
    if (status == 404) {
      send_error(res, orgkit::Error::not_found("path", "no such endpoint"));
    } else if (status == 413) {
      send_json(res, 413,
                json{{"code", "invalid_argument"},
                     {"field", "body"},
                     {"message", "the request body is larger than 1 MiB"}});
    } else {
      send_json(res, status,
                json{{"code", "invalid_argument"}, {"field", "request"}, {"message", "bad request"}});
    }
    res.status = status;
    return httplib::Server::HandlerResponse::Handled;
  }));
  register_organization_routes(server, service);
  register_member_routes(server, service);
  register_account_routes(server, service, options);
}

}  // namespace rest
