// Admin API, organizations (seed 003, rows 1-5): list (paged by cursor, filtered by q),
// create (with its owner: an organization never exists without one), get, update, delete.
#include "admin_api.hpp"

namespace rest {

namespace {

constexpr const char* collection = R"(/t/([^/]+)/api/v1/admin/organizations)";
constexpr const char* item = R"(/t/([^/]+)/api/v1/admin/organizations/([^/]+))";

Answer list(orgkit::Service& s, const httplib::Request& req, const Caller& c) {
  auto limit = limit_param(req);
  if (!limit) return orgkit::fail(limit.error());
  orgkit::OrganizationQuery q;
  q.limit = *limit;
  q.cursor = req.get_param_value("cursor");
  q.text = req.get_param_value("q");
  const std::string match = req.get_param_value("match");
  if (match == "prefix") {
    q.match = orgkit::NameMatch::prefix;
  } else if (!match.empty() && match != "contains") {
    return orgkit::fail(orgkit::Error::invalid("match", "must be contains or prefix"));
  }
  auto page = s.list_tenant_organizations(c.actor, q);
  if (!page) return orgkit::fail(page.error());
  return Reply{200, orgkit::tools::as_json(*page)};
}

// The fields a request may set (both create and update), read from the body.
struct Details {
  std::optional<std::string> name, description, legal_name, alerting_email, invoicing_email;
  std::optional<std::map<std::string, std::string>> metadata;
};

orgkit::Result<Details> details(const Body& body) {
  Details d;
  for (auto [name, slot] : {std::pair{"name", &d.name}, std::pair{"description", &d.description},
                            std::pair{"legal_name", &d.legal_name},
                            std::pair{"alerting_email", &d.alerting_email},
                            std::pair{"invoicing_email", &d.invoicing_email}}) {
    auto v = body.optional_text(name);
    if (!v) return orgkit::fail(v.error());
    *slot = std::move(*v);
  }
  auto md = body.string_map("metadata");
  if (!md) return orgkit::fail(md.error());
  d.metadata = std::move(*md);
  return d;
}

// "owner": {"user_id", "email", "display_name" (optional)}: required, as an organization
// never exists without an owner.
orgkit::Result<orgkit::NewOwner> owner_of(const Body& body) {
  auto nested = body.object("owner", true);
  if (!nested) return orgkit::fail(nested.error());
  const Body& owner = **nested;
  if (auto known = owner.only({"user_id", "email", "display_name"}); !known) {
    return orgkit::fail(known.error());
  }
  auto user = owner.text("user_id");
  if (!user) return orgkit::fail(user.error());
  auto email = owner.text("email");
  if (!email) return orgkit::fail(email.error());
  auto display = owner.optional_text("display_name");
  if (!display) return orgkit::fail(display.error());
  return orgkit::NewOwner{orgkit::UserId(*user), *email, display->value_or("")};
}

orgkit::Result<orgkit::NewOrganization> new_organization(const Body& body) {
  auto known = body.only({"name", "slug", "owner", "description", "legal_name", "alerting_email",
                          "invoicing_email", "plan", "metadata"});
  if (!known) return orgkit::fail(known.error());
  auto d = details(body);
  if (!d) return orgkit::fail(d.error());
  orgkit::NewOrganization spec;
  auto name = body.text("name");
  if (!name) return orgkit::fail(name.error());
  spec.name = *name;
  auto slug = body.optional_text("slug");
  auto plan = body.optional_text("plan");
  if (!slug) return orgkit::fail(slug.error());
  if (!plan) return orgkit::fail(plan.error());
  spec.slug = slug->value_or("");
  spec.plan = plan->value_or("");
  spec.description = d->description.value_or("");
  spec.legal_name = d->legal_name.value_or("");
  spec.alerting_email = d->alerting_email.value_or("");
  spec.invoicing_email = d->invoicing_email.value_or("");
  spec.metadata = d->metadata.value_or(std::map<std::string, std::string>{});
  auto owner = owner_of(body);
  if (!owner) return orgkit::fail(owner.error());
  spec.owner = std::move(*owner);
  return spec;
}

Answer create(orgkit::Service& s, const httplib::Request& req, const Caller& c) {
  auto body = Body::parse(req.body);
  if (!body) return orgkit::fail(body.error());
  auto spec = new_organization(*body);
  if (!spec) return orgkit::fail(spec.error());
  auto org = s.create_organization(c.actor, *spec);
  if (!org) return orgkit::fail(org.error());
  return Reply{201, orgkit::tools::as_json(static_cast<const orgkit::Organization&>(*org))};
}

Answer update(orgkit::Service& s, const httplib::Request& req, const Caller& c) {
  auto id = org_id(req, 2);
  if (!id) return orgkit::fail(id.error());
  // Visibility first (R1): another tenant's organization is 404 before the body is judged.
  auto current = s.get_organization(c.actor, *id);
  if (!current) return orgkit::fail(current.error());
  auto body = Body::parse(req.body);
  if (!body) return orgkit::fail(body.error());
  auto known = body->only({"name", "description", "legal_name", "alerting_email",
                           "invoicing_email", "metadata"});
  if (!known) return orgkit::fail(known.error());
  auto d = details(*body);
  if (!d) return orgkit::fail(d.error());
  orgkit::OrganizationUpdate u{d->name,           d->description,     d->legal_name,
                               d->alerting_email, d->invoicing_email, d->metadata};
  auto org = s.update_organization(c.actor, *id, u);
  if (!org) return orgkit::fail(org.error());
  return Reply{200, orgkit::tools::as_json(static_cast<const orgkit::Organization&>(*org))};
}

}  // namespace

void register_organization_routes(httplib::Server& server, orgkit::Service& service) {
  auto& s = service;
  server.Get(collection, admin_route(s, [&s](const auto& req, const Caller& c) {
               return list(s, req, c);
             }));
  server.Post(collection, admin_route(s, [&s](const auto& req, const Caller& c) {
                return create(s, req, c);
              }));
  server.Get(item, admin_route(s, [&s](const httplib::Request& req, const Caller& c) -> Answer {
               auto id = org_id(req, 2);
               if (!id) return orgkit::fail(id.error());
               auto org = s.get_organization(c.actor, *id);
               if (!org) return orgkit::fail(org.error());
               return Reply{200, orgkit::tools::as_json(*org)};
             }));
  server.Put(item, admin_route(s, [&s](const auto& req, const Caller& c) {
               return update(s, req, c);
             }));
  server.Delete(item, admin_route(s, [&s](const httplib::Request& req, const Caller& c) -> Answer {
                  auto id = org_id(req, 2);
                  if (!id) return orgkit::fail(id.error());
                  auto gone = s.delete_organization(c.actor, *id);
                  if (!gone) return orgkit::fail(gone.error());
                  return Reply{204, nullptr};
                }));
}

}  // namespace rest
