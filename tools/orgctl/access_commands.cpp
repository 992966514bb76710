// orgctl audit (an organization's trail, the tenant's own), claims, check, authorize and
// policy validate. `check` answers with its exit code too (0 yes, 3 no), so a shell script
// can ask `orgctl check ... && ...`; an error is never read as "no": it has its own exit
// code. `authorize` is the same question asked as Service::authorize asks it: a no is an
// error saying who lacks what (permission_denied, or not_found for a non-member), with that
// error's exit code, for a script that wants to stop and show why.
#include "context.hpp"

namespace orgctl {

namespace {

using orgkit::OrgId;

struct AccessOptions {
  std::int64_t org = 0;
  std::string action, target, since, until, cursor, permission, owner, at_least, file;
  int limit = 50;
  bool permissions = false;
  bool fully_consistent = false;
  std::size_t max_orgs = 50;
};

orgkit::Result<orgkit::AuditQuery> audit_query(const AccessOptions& o) {
  orgkit::AuditQuery q;
  if (!o.action.empty()) q.action = o.action;
  if (!o.target.empty()) q.target = o.target;
  for (auto [text, slot, field] : {std::tuple{&o.since, &q.since, "since"},
                                   std::tuple{&o.until, &q.until, "until"}}) {
    if (text->empty()) continue;
    auto t = orgkit::tools::parse_time(*text);
    if (!t) {
      return orgkit::fail(orgkit::Error::invalid(
          field, "expected a UTC time such as 2025-01-31T12:00:00Z"));
    }
    *slot = *t;
  }
  q.cursor = o.cursor;
  q.limit = o.limit;
  return q;
}

const std::vector<std::string> audit_columns = {"id", "at", "actor", "actor_kind", "action",
                                                "target"};

void add_audit_filters(CLI::App& c, AccessOptions& o) {
  c.add_option("--action", o.action, "only this action, e.g. member.role_changed");
  c.add_option("--target", o.target, "only this target, exactly as recorded");
  c.add_option("--since", o.since, "only events at or after this UTC time (RFC 3339)");
  c.add_option("--until", o.until, "only events before this UTC time (RFC 3339)");
  c.add_option("--limit", o.limit, "page size, 1-1000");
  c.add_option("--cursor", o.cursor, "continue after a previous page");
}

void add_audit(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "the audit trail, newest first");
  audit->require_subcommand(1);
  auto o = std::make_shared<AccessOptions>();
  auto* ls = audit->add_subcommand("list", "an organization's events (audit:read)");
  ls->add_option("ORG", o->org, "organization id")->required();
  add_audit_filters(*ls, *o);
  ls->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
      auto q = audit_query(*o);
      if (!q) return orgkit::fail(q.error());
      return shown(s.list_audit_events(a, OrgId(o->org), *q), audit_columns);
    });
  }));
  auto* tenant = audit->add_subcommand("tenant", "the tenant's own events (tenant keys)");
  add_audit_filters(*tenant, *o);
  tenant->callback(command(ctx, Principal::host_default, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
      auto q = audit_query(*o);
      if (!q) return orgkit::fail(q.error());
      return shown(s.list_tenant_audit_events(a, *q), audit_columns);
    });
  }));
}

Outcome check(Context& ctx, const AccessOptions& o) {
  return with_actor(ctx, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
    orgkit::Result<bool> r = false;
    if (o.fully_consistent) {
      r = s.check(a, OrgId(o.org), o.permission, orgkit::Consistency::fully_consistent());
    } else if (!o.at_least.empty()) {
      auto token = orgkit::CommitToken::parse(o.at_least);
      if (!token) return orgkit::fail(token.error());
      r = s.check(a, OrgId(o.org), o.permission, *token);
    } else if (!o.owner.empty()) {
      r = s.check(a, OrgId(o.org), o.permission, orgkit::UserId(o.owner));
    } else {
      r = s.check(a, OrgId(o.org), o.permission);
    }
    if (!r) return orgkit::fail(r.error());
    return Output{json{{"allowed", *r}}, {}, *r ? "allowed" : "denied",
                  *r ? exit_ok : exit_denied};
  });
}

void add_check_and_claims(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<AccessOptions>();
  auto* c = app.add_subcommand("check", "may the principal do PERMISSION in ORG? (exit 0 yes, "
                                        "3 no)");
  c->add_option("ORG", o->org, "organization id")->required();
  c->add_option("PERMISSION", o->permission, "permission name, e.g. members:invite")->required();
  auto* owner = c->add_option("--owner", o->owner, "the resource's owner (own/all rules)");
  auto* at_least = c->add_option("--at-least", o->at_least,
                                 "as fresh as this commit token (ct1.N): the cache only if it "
                                 "has seen that commit, else the store")
                       ->excludes(owner);
  c->add_flag("--fully-consistent", o->fully_consistent,
              "read the store, never the cache (sees writes made without orgkit too)")
      ->excludes(owner)
      ->excludes(at_least);
  c->callback(command(ctx, Principal::any, [o](Context& x) { return check(x, *o); }));

  auto* az = app.add_subcommand(
      "authorize", "like check, but a no is the error saying why, with its exit code");
  az->footer("Exit 0 when allowed. Otherwise the error and its code: " +
             std::to_string(exit_code_for(orgkit::ErrorCode::permission_denied)) +
             " permission_denied (the role lacks it), " +
             std::to_string(exit_code_for(orgkit::ErrorCode::not_found)) +
             " not_found (not a member, or another tenant's organization), " +
             std::to_string(exit_code_for(orgkit::ErrorCode::invalid_argument)) +
             " invalid_argument (the policy has no such permission).\n\n" + exit_code_table());
  az->add_option("ORG", o->org, "organization id")->required();
  az->add_option("PERMISSION", o->permission, "permission name, e.g. members:invite")->required();
  az->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
      auto r = s.authorize(a, OrgId(o->org), o->permission);
      if (!r) return orgkit::fail(r.error());
      return Output{json{{"allowed", true}}, {}, "allowed", exit_ok};
    });
  }));

  auto* claims = app.add_subcommand("claims", "the --as user's memberships as token claims");
  claims->add_flag("--permissions", o->permissions, "add each role's permissions");
  claims->add_option("--max", o->max_orgs, "at most this many organizations (1-1000)");
  claims->callback(command(ctx, Principal::member, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return shown(s.claims(a, {o->permissions, o->max_orgs}));
    });
  }));
}

void add_policy(CLI::App& app, Context& ctx) {
  auto* policy = app.add_subcommand("policy", "permission policy files");
  policy->require_subcommand(1);
  auto o = std::make_shared<AccessOptions>();
  auto* v = policy->add_subcommand("validate", "check a policy file (no database needed)");
  v->add_option("FILE", o->file, "policy file (JSON)")->required();
  v->callback(command(
      ctx, Principal::none,
      [o](Context&) -> Outcome {
        auto p = orgkit::PermissionPolicy::load(o->file);
        if (!p) return orgkit::fail(p.error());
        json roles = json::array();
        for (const auto& r : p->roles()) roles.push_back(json{{"name", r.name}, {"rank", r.rank}});
        return Output{json{{"valid", true},
                           {"name", p->name()},
                           {"permissions", p->permission_names()},
                           {"roles", std::move(roles)}},
                      {}, "valid: policy '" + p->name() + "'", 0};
      },
      false));
}

}  // namespace

void add_audit_commands(CLI::App& app, Context& ctx) { add_audit(app, ctx); }

void add_access_commands(CLI::App& app, Context& ctx) {
  add_check_and_claims(app, ctx);
  add_policy(app, ctx);
}

}  // namespace orgctl
