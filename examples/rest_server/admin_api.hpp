// The REST example's HTTP surface: seed 003's Admin API (eleven routes under
// /t/{tenantSlug}/api/v1/admin/organizations) and the caller's own memberships
// (/t/{tenantSlug}/api/v1/account/organizations), on cpp-httplib, over one orgkit::Service.
//
// Everything a route decides comes from the library: the route only authenticates the caller,
// reads the JSON body, calls the Service and writes its answer. Errors are one JSON shape,
// {"code", "field", "message"}, and one function maps orgkit::ErrorCode to an HTTP status
// (http_status). 401 is the one status that is not an ErrorCode's: the caller could not be
// identified (no key, a malformed, unknown, revoked or expired key), code "unauthenticated".
//
// An example, not a product: it shows how a host serves the Admin API; a real host adds TLS,
// rate limiting and its own way of identifying users.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include <httplib.h>

#include <orgkit/orgkit.hpp>

#include "model_json.hpp"

namespace rest {

using orgkit::tools::json;

struct ApiOptions {
  /// Identify the caller of /account/organizations by the X-Demo-User and X-Demo-Email
  /// headers. Example-only: anyone can send any header; off unless --demo-user-header.
  bool demo_user_header = false;
};

/// The one mapping from an error code to an HTTP status (400, 403, 404, 409, 410, 429, 503).
int http_status(orgkit::ErrorCode code);

/// The largest request body accepted: 1 MiB. A larger one is refused with 413 before it is
/// read (payload_max_length), so memory stays bounded whatever a client sends.
inline constexpr std::size_t max_body_bytes = 1u << 20;

/// Registers every route, the JSON error handler and the body limit on `server`.
void register_routes(httplib::Server& server, orgkit::Service& service, const ApiOptions& options);

// --- for the route files ---------------------------------------------------------------

/// What a route answers: a status and a JSON body (none for 204).
struct Reply {
  int status = 200;
  json body;
};
using Answer = orgkit::Result<Reply>;

/// Who is calling an admin route: the tenant of the path and its verified administrator.
struct Caller {
  orgkit::TenantId tenant;
  orgkit::Actor actor;
};

using AdminHandler = std::function<Answer(const httplib::Request&, const Caller&)>;

/// A route that authenticates `Authorization: Bearer <tenant key>` for the path's tenant
/// (401 otherwise) and then runs `handler`, writing its reply or its error.
httplib::Server::Handler admin_route(orgkit::Service& service, AdminHandler handler);

/// Writes `e` with its status.
void send_error(httplib::Response& res, const orgkit::Error& e);

/// Writes 401 with the reason.
void send_unauthorized(httplib::Response& res, const std::string& message);

/// Writes an answer: its reply, or its error.
void send(httplib::Response& res, const Answer& answer);

/// The organization id of path segment `index`; a malformed one is not_found, as an unused
/// id is (nothing to learn from the difference).
orgkit::Result<orgkit::OrgId> org_id(const httplib::Request& req, std::size_t index);

/// A positive integer id of path segment `index`, or not_found naming `field`.
orgkit::Result<std::int64_t> path_id(const httplib::Request& req, std::size_t index,
                                     const char* field);

/// Query parameter `name` as a page limit (default 50); invalid_argument if not a number.
orgkit::Result<int> limit_param(const httplib::Request& req);

/// The JSON object of a request body, with typed reads that name the field they are about.
class Body {
 public:
  /// invalid_argument (field "body") unless the body is one JSON object.
  static orgkit::Result<Body> parse(const std::string& text);

  /// invalid_argument naming the first key not in `allowed` (typos are errors, not ignored).
  orgkit::Result<void> only(std::initializer_list<const char*> allowed) const;

  orgkit::Result<std::string> text(const char* name) const;  ///< required string
  orgkit::Result<std::optional<std::string>> optional_text(const char* name) const;
  orgkit::Result<std::optional<std::int64_t>> optional_int(const char* name) const;
  /// A nested object; invalid_argument if absent (when required) or not an object.
  orgkit::Result<std::optional<Body>> object(const char* name, bool required) const;
  orgkit::Result<std::optional<std::map<std::string, std::string>>> string_map(
      const char* name) const;

 private:
  Body(json value, std::string prefix) : value_(std::move(value)), prefix_(std::move(prefix)) {}
  [[nodiscard]] std::string field(const char* name) const { return prefix_ + name; }
  json value_;
  std::string prefix_;  // "owner." for a nested object
};

// The route families (one file each).
void register_organization_routes(httplib::Server& server, orgkit::Service& service);
void register_member_routes(httplib::Server& server, orgkit::Service& service);
void register_account_routes(httplib::Server& server, orgkit::Service& service,
                             const ApiOptions& options);

}  // namespace rest
