// Admin API, inside one organization (seed 003, rows 6-11): list, add and remove members,
// list the roles, create and revoke invitations. And the caller's own memberships
// (/account/organizations), which identifies a user rather than an administrator.
#include "admin_api.hpp"

namespace rest {

namespace {

constexpr const char* members = R"(/t/([^/]+)/api/v1/admin/organizations/([^/]+)/members)";
constexpr const char* member =
    R"(/t/([^/]+)/api/v1/admin/organizations/([^/]+)/members/([^/]+))";
constexpr const char* roles = R"(/t/([^/]+)/api/v1/admin/organizations/([^/]+)/roles)";
constexpr const char* invitations =
    R"(/t/([^/]+)/api/v1/admin/organizations/([^/]+)/invitations)";
constexpr const char* invitation =
    R"(/t/([^/]+)/api/v1/admin/organizations/([^/]+)/invitations/([^/]+))";
constexpr const char* account = R"(/t/([^/]+)/api/v1/account/organizations)";

Answer list_members(orgkit::Service& s, const httplib::Request& req, const Caller& c) {
  auto id = org_id(req, 2);
  if (!id) return orgkit::fail(id.error());
  auto limit = limit_param(req);
  if (!limit) return orgkit::fail(limit.error());
  orgkit::MemberQuery q;
  q.limit = *limit;
  q.cursor = req.get_param_value("cursor");
  if (req.has_param("role")) q.role = req.get_param_value("role");
  auto page = s.list_members(c.actor, *id, q);
  if (!page) return orgkit::fail(page.error());
  return Reply{200, orgkit::tools::as_json(*page)};
}

Answer add_member(orgkit::Service& s, const httplib::Request& req, const Caller& c) {
  auto id = org_id(req, 2);
  if (!id) return orgkit::fail(id.error());
  auto visible = s.get_organization(c.actor, *id);  // R1: 404 before the body is judged
  if (!visible) return orgkit::fail(visible.error());
  auto body = Body::parse(req.body);
  if (!body) return orgkit::fail(body.error());
  if (auto known = body->only({"user_id", "email", "display_name", "role"}); !known) {
    return orgkit::fail(known.error());
  }
  auto user = body->text("user_id");
  if (!user) return orgkit::fail(user.error());
  auto email = body->text("email");
  if (!email) return orgkit::fail(email.error());
  auto role = body->text("role");
  if (!role) return orgkit::fail(role.error());
  auto display = body->optional_text("display_name");
  if (!display) return orgkit::fail(display.error());
  auto added = s.add_member(c.actor, *id,
                            {orgkit::UserId(*user), *email, display->value_or(""), *role});
  if (!added) return orgkit::fail(added.error());
  return Reply{201, orgkit::tools::as_json(static_cast<const orgkit::Membership&>(*added))};
}

Answer remove_member(orgkit::Service& s, const httplib::Request& req, const Caller& c) {
  auto id = org_id(req, 2);
  if (!id) return orgkit::fail(id.error());
  auto gone = s.remove_member(c.actor, *id, orgkit::UserId(req.matches[3].str()));
  if (!gone) return orgkit::fail(gone.error());
  return Reply{204, nullptr};
}

Answer list_roles(orgkit::Service& s, const httplib::Request& req, const Caller& c) {
  auto id = org_id(req, 2);
  if (!id) return orgkit::fail(id.error());
  auto list = s.list_roles(c.actor, *id);
  if (!list) return orgkit::fail(list.error());
  return Reply{200, orgkit::tools::list_json(*list)};
}

Answer invite(orgkit::Service& s, const httplib::Request& req, const Caller& c) {
  auto id = org_id(req, 2);
  if (!id) return orgkit::fail(id.error());
  auto visible = s.get_organization(c.actor, *id);  // R1
  if (!visible) return orgkit::fail(visible.error());
  auto body = Body::parse(req.body);
  if (!body) return orgkit::fail(body.error());
  if (auto known = body->only({"email", "role", "message", "department", "expires_in_days"});
      !known) {
    return orgkit::fail(known.error());
  }
  orgkit::InviteRequest r;
  auto email = body->text("email");
  if (!email) return orgkit::fail(email.error());
  auto role = body->text("role");
  if (!role) return orgkit::fail(role.error());
  auto message = body->optional_text("message");
  if (!message) return orgkit::fail(message.error());
  auto department = body->optional_text("department");
  if (!department) return orgkit::fail(department.error());
  auto days = body->optional_int("expires_in_days");
  if (!days) return orgkit::fail(days.error());
  r.email = *email;
  r.role = *role;
  r.message = message->value_or("");
  r.department = department->value_or("");
  if (*days) r.expires_in = std::chrono::hours(24 * **days);
  auto issued = s.invite(c.actor, *id, r);
  if (!issued) return orgkit::fail(issued.error());
  return Reply{201, orgkit::tools::as_json(static_cast<const orgkit::IssuedInvitation&>(*issued))};
}

Answer revoke(orgkit::Service& s, const httplib::Request& req, const Caller& c) {
  auto id = org_id(req, 2);
  if (!id) return orgkit::fail(id.error());
  auto visible = s.get_organization(c.actor, *id);  // R1: the org's 404 before the id's
  if (!visible) return orgkit::fail(visible.error());
  auto inv = path_id(req, 3, "invitation_id");
  if (!inv) return orgkit::fail(inv.error());
  auto revoked = s.revoke_invitation(c.actor, *id, orgkit::InvitationId(*inv));
  if (!revoked) return orgkit::fail(revoked.error());
  return Reply{204, nullptr};
}

template <class F>
httplib::Server::Handler route(orgkit::Service& s, F f) {
  return admin_route(s, [&s, f](const httplib::Request& req, const Caller& c) {
    return f(s, req, c);
  });
}

}  // namespace

void register_member_routes(httplib::Server& server, orgkit::Service& service) {
  server.Get(members, route(service, list_members));
  server.Post(members, route(service, add_member));
  server.Delete(member, route(service, remove_member));
  server.Get(roles, route(service, list_roles));
  server.Post(invitations, route(service, invite));
  server.Delete(invitation, route(service, revoke));
}

void register_account_routes(httplib::Server& server, orgkit::Service& service,
                             const ApiOptions& options) {
  const bool demo = options.demo_user_header;
  server.Get(account, [&service, demo](const httplib::Request& req, httplib::Response& res) {
    const std::string user = req.get_header_value("X-Demo-User");
    if (!demo || user.empty()) {
      send_unauthorized(res, demo ? "send X-Demo-User (and X-Demo-Email)"
                                  : "this example identifies users only when started with "
                                    "--demo-user-header");
      return;
    }
    orgkit::Actor actor{orgkit::UserId(user), req.get_header_value("X-Demo-Email"), {},
                        orgkit::TenantId(req.matches[1].str())};
    auto mine = service.my_organizations(actor);
    if (!mine) {
      send_error(res, mine.error());
      return;
    }
    send(res, Reply{200, orgkit::tools::list_json(*mine)});
  });
}

}  // namespace rest
