// orgctl org: create, get, list, update, delete, transfer, plan, and the --as user's own
// personal, use, active and leave (O1-O9, T1). `org list` lists the whole tenant for a
// tenant administrator or the host, and one's own organizations (with the role in each) for
// a member. The user's own commands refuse another principal as a usage error: only a user
// has a personal organization, an active one, or leaves.
#include "context.hpp"

namespace orgctl {

namespace {

using orgkit::OrgId;

struct OrgOptions {
  std::int64_t org = 0;
  std::string name, slug, description, legal_name, alerting_email, invoicing_email, plan;
  std::vector<std::string> meta;
  bool clear_meta = false;
  std::string owner, owner_email, owner_name;
  std::string to, keep_role;
  std::string text, cursor;
  bool prefix = false;
  int limit = 50;
  // Which of update's optional fields were given (an empty value clears an email).
  CLI::Option *name_opt = nullptr, *description_opt = nullptr, *legal_name_opt = nullptr,
              *alerting_opt = nullptr, *invoicing_opt = nullptr;
};

orgkit::Result<std::map<std::string, std::string>> metadata(const std::vector<std::string>& pairs) {
  std::map<std::string, std::string> out;
  for (const auto& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos) {
      return orgkit::fail(orgkit::Error::invalid("meta", "expected KEY=VALUE, got '" + pair + "'"));
    }
    out[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return out;
}

Outcome create(Context& ctx, const OrgOptions& o) {
  auto md = metadata(o.meta);
  if (!md) return orgkit::fail(md.error());
  orgkit::NewOrganization spec;
  spec.name = o.name;
  spec.slug = o.slug;
  spec.description = o.description;
  spec.legal_name = o.legal_name;
  spec.alerting_email = o.alerting_email;
  spec.invoicing_email = o.invoicing_email;
  spec.plan = o.plan;
  spec.metadata = *md;
  if (!o.owner.empty()) {
    spec.owner = orgkit::NewOwner{orgkit::UserId(o.owner), o.owner_email, o.owner_name};
  }
  return with_actor(ctx, [&](orgkit::Service& s, const orgkit::Actor& a) {
    return committed(s.create_organization(a, spec));
  });
}

Outcome list(Context& ctx, const OrgOptions& o) {
  return with_actor(ctx, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
    if (a.is_member()) {
      auto mine = s.my_organizations(a);
      if (!mine) return orgkit::fail(mine.error());
      return Output{orgkit::tools::list_json(*mine),
                    {"organization.id", "organization.slug", "organization.name", "role", "active"},
                    {},
                    0};
    }
    orgkit::OrganizationQuery q;
    q.text = o.text;
    q.match = o.prefix ? orgkit::NameMatch::prefix : orgkit::NameMatch::contains;
    q.cursor = o.cursor;
    q.limit = o.limit;
    return shown(s.list_tenant_organizations(a, q), {"id", "slug", "name", "plan", "created_at"});
  });
}

Outcome update(Context& ctx, const OrgOptions& o) {
  orgkit::OrganizationUpdate u;
  auto given = [](CLI::Option* opt) { return opt != nullptr && opt->count() > 0; };
  if (given(o.name_opt)) u.name = o.name;
  if (given(o.description_opt)) u.description = o.description;
  if (given(o.legal_name_opt)) u.legal_name = o.legal_name;
  if (given(o.alerting_opt)) u.alerting_email = o.alerting_email;
  if (given(o.invoicing_opt)) u.invoicing_email = o.invoicing_email;
  if (!o.meta.empty() || o.clear_meta) {
    auto md = metadata(o.meta);
    if (!md) return orgkit::fail(md.error());
    u.metadata = *md;
  }
  return with_actor(ctx, [&](orgkit::Service& s, const orgkit::Actor& a) {
    return committed(s.update_organization(a, OrgId(o.org), u));
  });
}

void add_create(CLI::App& org, Context& ctx) {
  auto o = std::make_shared<OrgOptions>();
  auto* c = org.add_subcommand("create", "create an organization (a member becomes its owner; "
                                         "an administrator or the host names one)");
  c->add_option("--name", o->name, "name, 1-100 characters")->required();
  c->add_option("--slug", o->slug, "slug (derived from the name when left out)");
  c->add_option("--description", o->description, "description");
  c->add_option("--legal-name", o->legal_name, "legal name");
  c->add_option("--alerting-email", o->alerting_email, "alerting email");
  c->add_option("--invoicing-email", o->invoicing_email, "invoicing email");
  c->add_option("--plan", o->plan, "plan");
  c->add_option("--meta", o->meta, "metadata entry KEY=VALUE (repeatable)");
  c->add_option("--owner", o->owner, "owner's user id (required for an administrator or host)");
  c->add_option("--owner-email", o->owner_email, "owner's email");
  c->add_option("--owner-name", o->owner_name, "owner's display name");
  c->callback(command(ctx, Principal::any, [o](Context& x) { return create(x, *o); }));
}

void add_read(CLI::App& org, Context& ctx) {
  auto o = std::make_shared<OrgOptions>();
  auto* get = org.add_subcommand("get", "show one organization");
  get->add_option("ORG", o->org, "organization id")->required();
  get->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return shown(s.get_organization(a, OrgId(o->org)));
    });
  }));
  auto* ls = org.add_subcommand("list", "the tenant's organizations (administrators, host) or "
                                        "one's own with the role in each (members)");
  ls->add_option("--text", o->text, "only names or slugs containing this (ignoring case)");
  ls->add_flag("--prefix", o->prefix, "--text is a prefix of the name or slug");
  ls->add_option("--limit", o->limit, "page size, 1-1000");
  ls->add_option("--cursor", o->cursor, "continue after a previous page");
  ls->callback(command(ctx, Principal::any, [o](Context& x) { return list(x, *o); }));
}

void add_update(CLI::App& org, Context& ctx) {
  auto o = std::make_shared<OrgOptions>();
  auto* u = org.add_subcommand("update", "change an organization's details (org:update)");
  u->add_option("ORG", o->org, "organization id")->required();
  o->name_opt = u->add_option("--name", o->name, "new name");
  o->description_opt = u->add_option("--description", o->description, "new description");
  o->legal_name_opt = u->add_option("--legal-name", o->legal_name, "new legal name");
  o->alerting_opt = u->add_option("--alerting-email", o->alerting_email, "\"\" clears it");
  o->invoicing_opt = u->add_option("--invoicing-email", o->invoicing_email, "\"\" clears it");
  u->add_option("--meta", o->meta, "replace all metadata with these KEY=VALUE entries");
  u->add_flag("--clear-meta", o->clear_meta, "remove all metadata");
  u->callback(command(ctx, Principal::any, [o](Context& x) { return update(x, *o); }));
}

void add_lifecycle(CLI::App& org, Context& ctx) {
  auto o = std::make_shared<OrgOptions>();
  auto* del = org.add_subcommand("delete", "delete an organization with its members, "
                                           "invitations, roles and keys; its audit trail stays");
  del->add_option("ORG", o->org, "organization id")->required();
  del->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return done(s.delete_organization(a, OrgId(o->org)), "deleted");
    });
  }));
  auto* tr = org.add_subcommand("transfer", "make a member an owner (owners only)");
  tr->add_option("ORG", o->org, "organization id")->required();
  tr->add_option("--to", o->to, "the new owner's user id")->required();
  tr->add_option("--keep-role", o->keep_role, "your role afterwards (default: admin)");
  tr->callback(command(ctx, Principal::member, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return done(s.transfer_ownership(a, OrgId(o->org), orgkit::UserId(o->to), o->keep_role),
                  "ownership transferred");
    });
  }));
  auto* plan = org.add_subcommand("plan", "move an organization to another plan");
  plan->add_option("ORG", o->org, "organization id")->required();
  plan->add_option("PLAN", o->plan, "plan name")->required();
  plan->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.set_plan(a, OrgId(o->org), o->plan));
    });
  }));
}

void add_own(CLI::App& org, Context& ctx) {
  auto o = std::make_shared<OrgOptions>();
  auto* personal = org.add_subcommand(
      "personal", "the --as user's personal organization, created on first use (needs --email)");
  personal->callback(command(ctx, Principal::member, [](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.ensure_personal_organization(a));
    });
  }));
  auto* use = org.add_subcommand("use", "make ORG the --as user's active organization");
  use->add_option("ORG", o->org, "organization id (one you are a member of)")->required();
  use->callback(command(ctx, Principal::member, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return done(s.set_active_organization(a, OrgId(o->org)),
                  "active organization: " + std::to_string(o->org));
    });
  }));
  auto* active = org.add_subcommand(
      "active", "the --as user's active organization (org_id null, exit 0, when none is set)");
  active->callback(command(ctx, Principal::member, [](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
      auto r = s.active_organization(a);
      if (!r) return orgkit::fail(r.error());
      return Output{orgkit::tools::active_organization_json(*r), {},
                    *r ? "active organization: " + std::to_string((*r)->value())
                       : std::string("no active organization"),
                    0};
    });
  }));
  auto* leave = org.add_subcommand(
      "leave", "the --as user leaves ORG (the last owner cannot: transfer or delete first)");
  leave->add_option("ORG", o->org, "organization id")->required();
  leave->callback(command(ctx, Principal::member, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return done(s.leave_organization(a, OrgId(o->org)), "left");
    });
  }));
}

}  // namespace

void add_org_commands(CLI::App& app, Context& ctx) {
  auto* org = app.add_subcommand("org", "organizations: create, get, list, update, delete, "
                                        "transfer, plan; your own: personal, use, active, leave");
  org->require_subcommand(1);
  add_create(*org, ctx);
  add_read(*org, ctx);
  add_update(*org, ctx);
  add_lifecycle(*org, ctx);
  add_own(*org, ctx);
}

}  // namespace orgctl
